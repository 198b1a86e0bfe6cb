package sqlitestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/meteringtest"
	"github.com/picfre/picfre/metering/sqlitestore"
)

func open(t testing.TB, file string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), file, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	meteringtest.RunConformanceTests(t, func(t *testing.T) metering.Store {
		return open(t, filepath.Join(t.TempDir(), "ledger.db"))
	})
}

func TestProcesses(t *testing.T) {
	meteringtest.RunProcessTests(t, meteringtest.ProcessHarness{
		Getenv:    os.Getenv,
		NewTarget: func(t *testing.T) string { return filepath.Join(t.TempDir(), "ledger.db") },
		Open:      func(t testing.TB, target string) metering.Store { return open(t, target) },
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
// that a lock whose lease ran out (its holder crashed) is taken over.
func TestSweepLockLease(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ledger.db")
	a, b := open(t, file), open(t, file)
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
	if _, err := a.WithSweepLock(ctx, now, 0, func(context.Context) error { return nil }); !errors.Is(err, metering.ErrInvalid) {
		t.Fatalf("zero lease: %v, want ErrInvalid", err)
	}
}
