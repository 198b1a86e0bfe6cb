package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/retention"
)

// TestNoContentLeft is the promise that nothing of the content and nothing
// generated is kept once a result is fetched, or once its lifetime has
// passed: no window of any uploaded file and no title, description or
// keyword is in the SQLite files (database, log, shared memory), the
// spool folder or TMPDIR, read raw while the service is open and after it
// is closed. The clear mode is the one that matters: without sealing,
// only secure_delete and the log's checkpoint keep the bytes out.
func TestNoContentLeft(t *testing.T) {
	for _, sealed := range []bool{false, true} {
		for _, how := range []string{"consumed", "expired"} {
			name := map[bool]string{true: "sealed", false: "clear"}[sealed] + "/" + how
			t.Run(name, func(t *testing.T) { testNoContentLeft(t, sealed, how == "consumed") })
		}
	}
}

func testNoContentLeft(t *testing.T, sealed, consume bool) {
	tmp := filepath.Join(t.TempDir(), "tmp") // before Setenv: newEnv's folders stay out of it
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	var keys []jobs.Key
	if sealed {
		keys = []jobs.Key{testKey}
	}
	clk := newClock()
	e := newEnv(t, envOptions{keys: keys, provider: markedProvider(), now: clk.Now, lifetime: time.Hour})
	ctx := context.Background()
	e.topUp(t, "alice", 100)

	const n = 4
	var needles []needle
	u, err := e.svc.Begin(ctx, "alice", picfre.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		content := photo(t, 100+i)
		for k, w := range windows(t, content) {
			needles = append(needles, needle{fmt.Sprintf("window %d of file %d", k, i), w})
		}
		if _, err := u.Add(ctx, fmt.Sprintf("photo-%d.jpg", i), bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	// The search finds what is there: the spooled content, in clear
	// mode; sealed, not even that.
	spooled := e.spoolFiles(t)
	if objects := len(spooled) - len(withSuffix(spooled, ".attrs")); objects != n {
		t.Fatalf("spool holds %d objects, want %d: %v", objects, n, spooled)
	}
	for _, w := range needles {
		if foundIn(t, w.b, spooled...) == sealed {
			t.Fatalf("spooled content: %s found %v, want %v", w.what, !sealed, !sealed)
		}
	}
	j, err := u.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if j = wait(t, e.svc, "alice", j.ID); j.State != jobs.StateDone || j.Done != n {
		t.Fatalf("job %s %+v", j.State, j.Counts)
	}
	got := 0
	for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{Consume: consume}) {
		if err != nil || r.Err != nil || r.Title == "" || r.Description == "" || len(r.Keywords) < 12 {
			t.Fatalf("result %+v %v", r, err)
		}
		got++
		needles = append(needles, needle{"a title", []byte(r.Title)}, needle{"a description", []byte(r.Description)})
		for _, k := range r.Keywords {
			needles = append(needles, needle{"a keyword", []byte(k)})
		}
	}
	if got != n {
		t.Fatalf("%d results, want %d", got, n)
	}

	if !consume {
		// Still held: the lifetime has not passed.
		if rep, err := e.svc.Sweep(ctx); err != nil || rep.Results != 0 {
			t.Fatalf("early sweep %+v %v", rep, err)
		}
		if !sealed {
			// The search finds what is there: the held results, in clear.
			if !foundIn(t, needles[len(needles)-1].b, e.dbFiles()...) {
				t.Fatal("a held result's keyword is not found in the database files: the search is broken")
			}
		}
		clk.Advance(time.Hour + time.Second)
	}
	rep, err := e.svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !consume && rep.Results != n {
		t.Fatalf("sweep after the lifetime purged %d results, want %d", rep.Results, n)
	}
	for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{}) {
		if err != nil || !errors.Is(r.Err, jobs.ErrResultGone) {
			t.Fatalf("after %s: %+v %v", map[bool]string{true: "consume", false: "expiry"}[consume], r, err)
		}
	}
	if left := e.spoolFiles(t); len(left) != 0 {
		t.Fatalf("spool not empty: %v", left)
	}
	roots := append(e.dbFiles(), filepath.Join(e.dir, "spool"), tmp)
	assertNotFound(t, "while open", needles, roots...)

	if err := e.svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	if read := assertNotFound(t, "after close", needles, roots...); read == 0 {
		t.Fatal("no file was read")
	}
	// The search itself works: the database file holds the file names.
	raw, err := os.ReadFile(e.dbFiles()[0])
	if err != nil || !bytes.Contains(raw, []byte("photo-1.jpg")) {
		t.Fatalf("the database file does not hold the job's file names (%v)", err)
	}
}

// foundIn reports whether b is in the raw bytes of one of the files.
func foundIn(t testing.TB, b []byte, files ...string) bool {
	t.Helper()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, b) {
			return true
		}
	}
	return false
}

// TestBadUploads: each bad file of a job fails with its typed code and is
// not charged, while the good files of the same job are done. A PNG named
// .jpg is a PNG: the content decides, never the name.
func TestBadUploads(t *testing.T) {
	e := newEnv(t, envOptions{keys: []jobs.Key{testKey}})
	ctx := context.Background()
	e.topUp(t, "alice", 100)
	good := photo(t, 1)
	files := []struct {
		name    string
		content []byte
		code    errcode.Code // "" for done
	}{
		{"good-1.jpg", good, ""},
		{"empty.jpg", nil, errcode.InvalidMedia},
		{"truncated.jpg", photo(t, 2)[:300], errcode.InvalidMedia},
		{"disguised-png.jpg", pngImage(t, 40, 30, 3), ""},
		{"setup.exe.jpg", exeBytes(), errcode.UnsupportedMedia},
		{"archive.zip.jpg", zipBytes(), errcode.UnsupportedMedia},
		{"bomb.png", pixelBomb(t), errcode.TooLarge},
		{"good-2.jpg", photo(t, 4), ""},
	}
	u, err := e.svc.Begin(ctx, "alice", picfre.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := u.Add(ctx, f.name, bytes.NewReader(f.content)); err != nil {
			t.Fatalf("add %s: %v", f.name, err)
		}
	}
	j, err := u.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	j = wait(t, e.svc, "alice", j.ID)
	if j.State != jobs.StateDone || j.Done != 3 || j.Failed != 5 {
		t.Fatalf("job %s %+v", j.State, j.Counts)
	}
	var charged int64
	for i, f := range j.Files {
		want := files[i]
		switch {
		case f.Name != want.name:
			t.Errorf("file %d is %q, want %q", i, f.Name, want.name)
		case want.code == "" && (f.State != jobs.FileDone || f.Credits != 1):
			t.Errorf("%s: %s %s, %d credits; want done, 1 credit", f.Name, f.State, f.Code, f.Credits)
		case want.code != "" && (f.State != jobs.FileFailed || f.Code != want.code || f.Credits != 0):
			t.Errorf("%s: %s %s, %d credits; want failed %s, uncharged", f.Name, f.State, f.Code, f.Credits, want.code)
		}
		charged += f.Credits
	}
	if j.Files[3].Kind != "image" {
		t.Errorf("the disguised PNG's kind %q", j.Files[3].Kind)
	}
	b, err := e.ledger.Balance(ctx, "alice")
	if err != nil || b.Credits != 100-3 || b.Held != 0 || charged != 3 {
		t.Fatalf("balance %+v %v, charged %d; want 97, nothing held", b, err, charged)
	}
	for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{Consume: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.File == "disguised-png.jpg" && (r.Err != nil || r.Title == "") {
			t.Errorf("disguised PNG result %+v", r)
		}
	}
	if left := e.spoolFiles(t); len(left) != 0 {
		t.Fatalf("spool not empty: %v", left)
	}
}

// TestFatalProviderStops: a provider out of quota stops the job at once:
// no retry, the other files failed with the same code, nothing charged,
// nothing left in the spool.
func TestFatalProviderStops(t *testing.T) {
	p := fake.New(fake.Options{Respond: func(*provider.Request) fake.Step { return fake.Step{Fault: provider.QuotaExhausted} }})
	e := newEnv(t, envOptions{provider: p, workers: 1})
	ctx := context.Background()
	e.topUp(t, "alice", 100)
	j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 6))
	if err != nil {
		t.Fatal(err)
	}
	j = wait(t, e.svc, "alice", j.ID)
	if j.State != jobs.StateStopped || j.Code != errcode.QuotaExhausted || j.Failed != 6 {
		t.Fatalf("job %s %s %+v", j.State, j.Code, j.Counts)
	}
	for _, f := range j.Files {
		if f.State != jobs.FileFailed || f.Code != errcode.QuotaExhausted || f.Credits != 0 || f.Attempts > 1 {
			t.Errorf("file %+v", f)
		}
	}
	if calls := p.Calls(); calls != 1 {
		t.Errorf("the provider was asked %d times, want once (no retry, no other file)", calls)
	}
	b, err := e.ledger.Balance(ctx, "alice")
	if err != nil || b.Credits != 100 || b.Held != 0 {
		t.Fatalf("balance %+v %v: want 100, nothing held", b, err)
	}
	if left := e.spoolFiles(t); len(left) != 0 {
		t.Fatalf("spool not empty: %v", left)
	}
}

// TestCancelDeleteErase: cancelling mid-job charges only the files done,
// and empties the spool; Delete removes the job; an erasure through
// privacy.Subjects removes the account's jobs, which its export listed.
func TestCancelDeleteErase(t *testing.T) {
	p := fake.New(fake.Options{Latency: 200 * time.Millisecond})
	e := newEnv(t, envOptions{provider: p, workers: 1})
	ctx := context.Background()
	e.topUp(t, "alice", 100)
	j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 8))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a first file done", time.Minute, func() bool {
		j, err := e.svc.Job(ctx, "alice", j.ID)
		return err == nil && j.Done > 0
	})
	if _, err := e.svc.Cancel(ctx, "alice", j.ID); err != nil {
		t.Fatal(err)
	}
	j = wait(t, e.svc, "alice", j.ID)
	if j.State != jobs.StateCanceled || j.Canceled == 0 || j.Done == 0 || j.Done+j.Canceled != 8 {
		t.Fatalf("job %s %+v", j.State, j.Counts)
	}
	var charged int64
	for _, f := range j.Files {
		if f.State == jobs.FileCanceled && f.Credits != 0 {
			t.Errorf("canceled file charged: %+v", f)
		}
		charged += f.Credits
	}
	b, err := e.ledger.Balance(ctx, "alice")
	if err != nil || charged != int64(j.Done) || b.Credits != 100-charged || b.Held != 0 {
		t.Fatalf("balance %+v %v, charged %d for %d done", b, err, charged, j.Done)
	}
	if left := e.spoolFiles(t); len(left) != 0 {
		t.Fatalf("spool not empty after cancel: %v", left)
	}
	if err := e.svc.Delete(ctx, "alice", j.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Job(ctx, "alice", j.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}

	// Two more jobs: one done, one still queued behind a slow file.
	done, err := e.svc.Submit(ctx, "alice", picfre.Options{}, slices.Values([]picfre.Media{picfre.Bytes("later.jpg", photo(t, 50))}))
	if err != nil {
		t.Fatal(err)
	}
	wait(t, e.svc, "alice", done.ID)
	pending, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 5))
	if err != nil {
		t.Fatal(err)
	}
	subj := &privacy.Subjects{Contacts: contactstore.NewMemory(), Ledger: e.ledger, Jobs: e.svc}
	x, err := subj.Export(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Jobs) != 2 || x.Jobs[0].ID != pending.ID || x.Jobs[1].ID != done.ID ||
		len(x.Jobs[0].Files) != 5 || x.Jobs[1].Files[0].Name != "later.jpg" || x.Jobs[1].Files[0].Credits != 1 {
		t.Fatalf("export lists %+v", x.Jobs)
	}
	if x.Jobs[1].Files[0].ResultHeldUntil.IsZero() {
		t.Errorf("the done job's result is held, the export does not say so: %+v", x.Jobs[1].Files[0])
	}
	rep, err := subj.Erase(ctx, "alice")
	if err != nil || rep.Deleted[retention.KindJob] != 2 {
		t.Fatalf("erase %+v %v", rep, err)
	}
	if list, err := e.svc.Jobs(ctx, "alice"); err != nil || len(list) != 0 {
		t.Fatalf("jobs after erasure: %v %v", list, err)
	}
	if x, err := subj.Export(ctx, "alice"); err != nil || len(x.Jobs) != 0 {
		t.Fatalf("export after erasure: %+v %v", x, err)
	}
	waitFor(t, "the spool emptied", 30*time.Second, func() bool { return len(e.spoolFiles(t)) == 0 })
	b, err = e.ledger.Balance(ctx, "alice")
	if err != nil || b.Held != 0 {
		t.Fatalf("after erasure: %+v %v", b, err)
	}
}

// TestCommitNeedsCredits: a Commit the available credits cannot cover is
// refused and queues nothing; after a top-up the same upload commits.
func TestCommitNeedsCredits(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	e.topUp(t, "alice", 2)
	u, err := e.svc.Begin(ctx, "alice", picfre.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := u.Add(ctx, fmt.Sprintf("photo-%d.jpg", i), bytes.NewReader(photo(t, i))); err != nil {
			t.Fatal(err)
		}
	}
	_, err = u.Commit(ctx)
	if !errors.Is(err, metering.ErrInsufficientCredits) || errcode.Of(err) != errcode.InsufficientCredits {
		t.Fatalf("commit without credits: %v (code %s)", err, errcode.Of(err))
	}
	time.Sleep(200 * time.Millisecond) // ten poll intervals: a queued file would have been taken
	j, err := e.svc.Job(ctx, "alice", u.ID())
	if err != nil || j.State != jobs.StateUploading || j.Queued != 3 || e.fake.Calls() != 0 {
		t.Fatalf("after the refusal: %+v %v, %d provider calls", j, err, e.fake.Calls())
	}
	if _, err := e.ledger.TopUp(ctx, metering.TopUp{Account: "alice", Credits: 5, PaymentRef: "pay-2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	j = wait(t, e.svc, "alice", u.ID())
	b, err := e.ledger.Balance(ctx, "alice")
	if j.State != jobs.StateDone || j.Done != 3 || err != nil || b.Credits != 7-3 {
		t.Fatalf("after the top-up: %s %+v, balance %+v %v", j.State, j.Counts, b, err)
	}
}

// TestResultLifetime: once the lifetime has passed, Sweep deletes the
// results and Results reports ErrResultGone; the job's record stays.
func TestResultLifetime(t *testing.T) {
	clk := newClock()
	e := newEnv(t, envOptions{now: clk.Now, lifetime: 30 * time.Minute})
	ctx := context.Background()
	e.topUp(t, "alice", 10)
	j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	wait(t, e.svc, "alice", j.ID)
	clk.Advance(29 * time.Minute)
	if rep, err := e.svc.Sweep(ctx); err != nil || rep.Results != 0 {
		t.Fatalf("sweep within the lifetime: %+v %v", rep, err)
	}
	clk.Advance(2 * time.Minute)
	if rep, err := e.svc.Sweep(ctx); err != nil || rep.Results != 3 || rep.Jobs != 0 {
		t.Fatalf("sweep after the lifetime: %+v %v", rep, err)
	}
	n := 0
	for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{}) {
		if err != nil || !errors.Is(r.Err, jobs.ErrResultGone) || errcode.Of(r.Err) != errcode.NotFound {
			t.Fatalf("%+v %v", r, err)
		}
		n++
	}
	j, err = e.svc.Job(ctx, "alice", j.ID)
	if n != 3 || err != nil || j.Done != 3 {
		t.Fatalf("%d results; job %+v %v", n, j, err)
	}
	for _, f := range j.Files {
		if f.Held {
			t.Errorf("still held: %+v", f)
		}
	}
}

// TestSweeperPurgesJobRecords: retention.Sweeper, with the service in
// Also, deletes the job records once the usage period has passed.
func TestSweeperPurgesJobRecords(t *testing.T) {
	clk := newClock()
	e := newEnv(t, envOptions{now: clk.Now})
	ctx := context.Background()
	e.topUp(t, "alice", 10)
	j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	wait(t, e.svc, "alice", j.ID)
	clk.Advance(4 * 31 * 24 * time.Hour)
	sw := &retention.Sweeper{Ledger: e.ledger, Clock: clk.Now, Also: []retention.Purger{e.svc}}
	r, err := sw.Sweep(ctx, retention.SweepOptions{DryRun: true})
	if err != nil || r.AlsoPurged != 1 {
		t.Fatalf("dry run %+v %v", r, err)
	}
	if _, err := e.svc.Job(ctx, "alice", j.ID); err != nil {
		t.Fatalf("a dry run deleted the job: %v", err)
	}
	if r, err = sw.Sweep(ctx, retention.SweepOptions{}); err != nil || r.AlsoPurged != 1 || r.Purged != 2 {
		t.Fatalf("sweep %+v %v", r, err)
	}
	if _, err := e.svc.Job(ctx, "alice", j.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("job after the sweep: %v", err)
	}
}

// withSuffix returns the names in list that end with suffix.
func withSuffix(list []string, suffix string) []string {
	var out []string
	for _, s := range list {
		if strings.HasSuffix(s, suffix) {
			out = append(out, s)
		}
	}
	return out
}
