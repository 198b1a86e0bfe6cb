package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/store"
)

// photo is testenv.Photo: a small JPEG of its own for every i.
func photo(t testing.TB, i int) []byte { return testenv.Photo(t, i) }

func photos(t testing.TB, n int) iter.Seq[picfre.Media] {
	return func(yield func(picfre.Media) bool) {
		for i := range n {
			if !yield(picfre.Bytes(fmt.Sprintf("photo-%03d.jpg", i), photo(t, i))) {
				return
			}
		}
	}
}

// env is one service over SQLite with a ledger in the same file, a
// file:// spool and the fake provider.
type env struct {
	dir    string
	dsn    string
	spool  *blob.Bucket
	db     *store.DB
	ledger *metering.Ledger
	fake   *fake.Provider
	svc    *jobs.Service

	provider provider.Provider
	o        envOptions
}

type envOptions struct {
	workers  int
	keys     []jobs.Key
	now      func() time.Time
	provider provider.Provider
	lifetime time.Duration
	// dsn, when set, is the database of the ledger and the queue (a
	// PostgreSQL schema of testenv.Postgres); an SQLite file otherwise.
	dsn string
	// spool, when set, is the spool bucket (an S3 one of s3test); a
	// file:// folder otherwise.
	spool *blob.Bucket
}

var testKey = jobs.Key{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{dir: t.TempDir()}
	e.dsn = "sqlite:" + filepath.Join(e.dir, "picfre.db")
	if o.dsn != "" {
		e.dsn = o.dsn
	}
	var err error
	e.db, err = store.Open(ctx, e.dsn, store.Options{Ledger: metering.Options{Clock: o.now}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.db.Close() })
	e.ledger = e.db.Ledger()
	if e.spool = o.spool; e.spool == nil {
		e.spool, err = blob.OpenBucket(ctx, "file://"+filepath.ToSlash(filepath.Join(e.dir, "spool"))+"?create_dir=true")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.spool.Close() })
	}
	p := o.provider
	if p == nil {
		e.fake = fake.New(fake.Options{})
		p = e.fake
	}
	e.provider, e.o = p, o
	e.svc = e.reopen(t, o.keys, o.workers)
	return e
}

// reopen opens a service over the env's database and spool, as another
// instance (or the same one after a restart) would.
func (e *env) reopen(t testing.TB, keys []jobs.Key, workers int) *jobs.Service {
	t.Helper()
	pricing := metering.Pricing{Rates: []metering.Rate{{Base: 1}}}
	pl := picfre.New(e.provider, picfre.Config{Meter: e.ledger, Pricer: pricing, Now: e.o.now})
	svc, err := jobs.Open(context.Background(), e.dsn, jobs.Config{
		Tagger: pl, Spool: e.spool, Keys: keys, Ledger: e.ledger, Pricer: pricing,
		Workers: workers, PollInterval: 20 * time.Millisecond, Now: e.o.now, ResultLifetime: e.o.lifetime,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	return svc
}

// findInTree returns the first file under dir whose bytes contain needle,
// "" when none does.
func findInTree(t testing.TB, dir string, needle []byte) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, needle) {
			found = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func (e *env) topUp(t testing.TB, account string, credits int64) {
	t.Helper()
	if _, err := e.ledger.TopUp(context.Background(), metering.TopUp{Account: account, Credits: credits, PaymentRef: "pay-" + account}); err != nil {
		t.Fatal(err)
	}
}

// wait follows the job until it is final and returns it.
func wait(t testing.TB, svc *jobs.Service, account, id string) *jobs.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var last jobs.Event
	for ev, err := range svc.Watch(ctx, account, id) {
		if err != nil {
			t.Fatalf("watch: %v (last event %+v)", err, last)
		}
		last = ev
	}
	if !last.Final {
		t.Fatalf("watch ended without a final event: %+v", last)
	}
	j, err := svc.Job(ctx, account, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
