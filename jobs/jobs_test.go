package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
)

func TestSubmitWorkResults(t *testing.T) {
	for _, c := range []struct {
		name     string
		sealed   bool
		postgres bool
	}{{"sqlite/sealed", true, false}, {"sqlite/clear", false, false}, {"postgres/sealed", true, true}} {
		t.Run(c.name, func(t *testing.T) {
			var keys []jobs.Key
			if c.sealed {
				keys = []jobs.Key{testKey}
			}
			o := envOptions{keys: keys}
			if c.postgres {
				o.dsn = testenv.Postgres(t)
			}
			e := newEnv(t, o)
			ctx := context.Background()
			e.topUp(t, "alice", 100)
			j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 12))
			if err != nil {
				t.Fatal(err)
			}
			if j.Total != 12 || len(j.Files) != 12 {
				t.Fatalf("job %+v", j.Counts)
			}
			j = wait(t, e.svc, "alice", j.ID)
			if j.State != jobs.StateDone || j.Done != 12 {
				t.Fatalf("job %s %+v", j.State, j.Counts)
			}
			var names []string
			for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{Consume: true}) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Err != nil || r.Title == "" || len(r.Keywords) == 0 {
					t.Fatalf("result %+v", r)
				}
				names = append(names, r.File)
			}
			if len(names) != 12 || !slices.IsSorted(names) {
				t.Fatalf("results in order: %v", names)
			}
			b, err := e.ledger.Balance(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if b.Credits != 100-12 {
				t.Fatalf("balance %+v, want 88", b)
			}
			// Consumed: a second read has no answers left.
			for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{}) {
				if err != nil {
					t.Fatal(err)
				}
				if !errors.Is(r.Err, jobs.ErrResultGone) {
					t.Fatalf("after consume: %+v", r)
				}
			}
		})
	}
}

func TestOtherAccountSeesNothing(t *testing.T) {
	e := newEnv(t, envOptions{keys: []jobs.Key{testKey}})
	ctx := context.Background()
	e.topUp(t, "alice", 10)
	j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	wait(t, e.svc, "alice", j.ID)
	if _, err := e.svc.Job(ctx, "mallory", j.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Job: %v", err)
	}
	if _, err := e.svc.Cancel(ctx, "mallory", j.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Cancel: %v", err)
	}
	if err := e.svc.Delete(ctx, "mallory", j.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Delete: %v", err)
	}
	for r, err := range e.svc.Results(ctx, "mallory", j.ID, jobs.ResultOptions{Consume: true}) {
		if r != nil || !errors.Is(err, jobs.ErrNotFound) || errcode.Of(err) != errcode.NotFound {
			t.Errorf("Results: %v %v", r, err)
		}
	}
	for _, err := range e.svc.Watch(ctx, "mallory", j.ID) {
		if !errors.Is(err, jobs.ErrNotFound) {
			t.Errorf("Watch: %v", err)
		}
	}
	if list, err := e.svc.Jobs(ctx, "mallory"); err != nil || len(list) != 0 {
		t.Errorf("Jobs: %v %v", list, err)
	}
	// alice still has every result.
	n := 0
	for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{}) {
		if err != nil || r.Err != nil {
			t.Fatal(err, r)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("alice's results: %d", n)
	}
}

// A key rotation: content spooled under the old key is worked by a service
// whose ring puts a new key first and keeps the old one; the results it
// holds are sealed with the new key, which alone then opens them.
func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	newKey := jobs.Key{ID: "k2", Secret: bytes.Repeat([]byte{9}, 32)}
	e := newEnv(t, envOptions{keys: []jobs.Key{testKey}, workers: -1})
	e.topUp(t, "alice", 10)
	j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	open := func(keys ...jobs.Key) *jobs.Service {
		pricing := metering.Pricing{Rates: []metering.Rate{{Base: 1}}}
		svc, err := jobs.Open(ctx, e.dsn, jobs.Config{
			Tagger: picfre.New(e.fake, picfre.Config{Meter: e.ledger, Pricer: pricing}),
			Spool:  e.spool, Keys: keys, PollInterval: 20 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = svc.Close(ctx) })
		return svc
	}
	rotated := open(newKey, testKey)
	if got := wait(t, rotated, "alice", j.ID); got.Done != 3 {
		t.Fatalf("after rotation: %+v", got.Counts)
	}
	if err := rotated.Close(ctx); err != nil {
		t.Fatal(err)
	}
	only := open(newKey)
	n := 0
	for r, err := range only.Results(ctx, "alice", j.ID, jobs.ResultOptions{}) {
		if err != nil || r.Err != nil || r.Title == "" {
			t.Fatalf("result under the new key alone: %v %+v", err, r)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("%d results", n)
	}
}

// Without a key the service says, in its log, that it stores in clear.
func TestClearModeWarns(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	dir := t.TempDir()
	spool, err := blob.OpenBucket(ctx, "file://"+filepath.ToSlash(dir)+"?create_dir=true")
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	svc, err := jobs.Open(ctx, "sqlite:"+filepath.Join(dir, "q.db"), jobs.Config{
		Spool: spool, Workers: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(ctx)
	if !strings.Contains(logs.String(), "stored in clear") {
		t.Fatalf("no warning in %q", logs.String())
	}
}

func TestOpenRefusesBadConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	spool, err := blob.OpenBucket(ctx, "file://"+filepath.ToSlash(dir)+"?create_dir=true")
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	for name, c := range map[string]struct {
		dsn string
		cfg jobs.Config
		err error
	}{
		"no spool":    {"sqlite:" + filepath.Join(dir, "a.db"), jobs.Config{Workers: -1}, jobs.ErrNoSpool},
		"no tagger":   {"sqlite:" + filepath.Join(dir, "a.db"), jobs.Config{Spool: spool}, jobs.ErrNoTagger},
		"bad dsn":     {"mysql://x", jobs.Config{Spool: spool, Workers: -1}, jobs.ErrInvalidDSN},
		"short key":   {"sqlite:" + filepath.Join(dir, "a.db"), jobs.Config{Spool: spool, Workers: -1, Keys: []jobs.Key{{ID: "k", Secret: []byte("short")}}}, nil},
		"password in": {"postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=1", jobs.Config{Spool: spool, Workers: -1}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			svc, err := jobs.Open(ctx, c.dsn, c.cfg)
			if err == nil {
				svc.Close(ctx)
				t.Fatal("opened")
			}
			if c.err != nil && !errors.Is(err, c.err) {
				t.Fatalf("%v, want %v", err, c.err)
			}
			if errcode.Of(err) == errcode.Internal || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "short") {
				t.Fatalf("error %q (code %s)", err, errcode.Of(err))
			}
		})
	}
}

// The same files submitted twice, as a browser's retried upload would: the
// second job is worked too, and replayed at no cost: each file is charged
// once.
func TestDuplicateSubmissionChargedOnce(t *testing.T) {
	e := newEnv(t, envOptions{keys: []jobs.Key{testKey}})
	ctx := context.Background()
	e.topUp(t, "alice", 100)
	var ids []string
	for range 2 {
		j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 5))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	replayed := 0
	for _, id := range ids {
		if j := wait(t, e.svc, "alice", id); j.Done != 5 {
			t.Fatalf("job %s: %+v", id, j.Counts)
		}
		for r, err := range e.svc.Results(ctx, "alice", id, jobs.ResultOptions{}) {
			if err != nil || r.Err != nil {
				t.Fatal(err, r)
			}
			if r.Replayed {
				replayed++
			}
		}
	}
	usage, err := e.ledger.Usage(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.ledger.Balance(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(usage) != 5 || b.Credits != 95 || replayed != 5 {
		t.Fatalf("%d usage records, balance %d, %d replayed; want 5, 95, 5", len(usage), b.Credits, replayed)
	}
}
