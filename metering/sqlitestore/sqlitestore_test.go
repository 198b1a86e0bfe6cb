package sqlitestore_test

import (
	"os"
	"path/filepath"
	"testing"

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
