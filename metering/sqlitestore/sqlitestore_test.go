package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering/driver"
	"github.com/picfre/picfre/metering/meteringtest"
	"github.com/picfre/picfre/metering/sqlitestore"
)

func open(t testing.TB, file string) driver.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), file, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	meteringtest.RunConformanceTests(t, func(t *testing.T) driver.Store {
		return open(t, filepath.Join(t.TempDir(), "ledger.db"))
	})
}

func TestProcesses(t *testing.T) {
	meteringtest.RunProcessTests(t, meteringtest.ProcessHarness{
		Getenv:    os.Getenv,
		NewTarget: func(t *testing.T) string { return filepath.Join(t.TempDir(), "ledger.db") },
		Open:      func(t testing.TB, target string) driver.Store { return open(t, target) },
	})
}

func BenchmarkAuthorizeCapture(b *testing.B) {
	for _, c := range []struct {
		name string
		sync string
		same bool
	}{
		{"Workers8/OneAccount/SyncFull", "FULL", true},
		{"Workers8/OneAccount/SyncNormal", "NORMAL", true},
		{"Workers8/OwnAccounts/SyncFull", "FULL", false},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlitestore.Options{Synchronous: c.sync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			meteringtest.BenchAuthorizeCapture(b, s, 8, c.same)
		})
	}
}

// TestSweepLockLease checks the lock across two handles on one file, and
// that a lock whose lease ran out (its holder crashed) is taken over: a
// driver-level check, since the Ledger cannot stop a purge in the middle
// of its lease.
func TestSweepLockLease(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ledger.db")
	a, b := open(t, file).(driver.SweepLocker), open(t, file).(driver.SweepLocker)
	now := meteringtest.Epoch
	ctx := t.Context()
	locked, err := a.WithSweepLock(ctx, now, time.Minute, func(ctx context.Context) error {
		other, err := b.WithSweepLock(ctx, now.Add(59*time.Second), time.Minute, func(context.Context) error {
			t.Error("the second handle swept while the first held the lock")
			return nil
		})
		if err != nil || other {
			t.Errorf("second handle, lease running: %v, %v; want false, nil", other, err)
		}
		// A holder that outlives its lease (as a crashed one would) is
		// taken over.
		took, err := b.WithSweepLock(ctx, now.Add(time.Minute), time.Minute, func(context.Context) error { return nil })
		if err != nil || !took {
			t.Errorf("second handle, lease over: %v, %v; want true, nil", took, err)
		}
		return nil
	})
	if err != nil || !locked {
		t.Fatalf("first handle: %v, %v", locked, err)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, c := range []struct {
		path string
		opts sqlitestore.Options
		code errcode.Code
	}{
		{"", sqlitestore.Options{}, errcode.InvalidArgument},
		{"ledger.db?mode=ro", sqlitestore.Options{}, errcode.InvalidArgument},
		{filepath.Join(t.TempDir(), "x.db"), sqlitestore.Options{Synchronous: "OFF"}, errcode.InvalidArgument},
		{filepath.Join(t.TempDir(), "missing", "dir", "x.db"), sqlitestore.Options{}, errcode.Unavailable},
	} {
		_, err := sqlitestore.Open(t.Context(), c.path, c.opts)
		if errcode.Of(err) != c.code || !strings.HasPrefix(fmt.Sprint(err), "sqlitestore: ") {
			t.Errorf("Open(%q, %+v) = %v (%s), want %s", c.path, c.opts, err, errcode.Of(err), c.code)
		}
	}
}
