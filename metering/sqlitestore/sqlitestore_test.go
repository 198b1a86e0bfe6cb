package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/meteringtest"
	"github.com/picfre/picfre/metering/sqlitestore"
)

func open(t *testing.T, file string) *sqlitestore.Store {
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
