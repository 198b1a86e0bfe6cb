//go:build !unix || aix || solaris

package scratch

import (
	"os"
	"path/filepath"
	"testing"
)

// Without flock(2) no one can tell a crashed owner's folder from a running
// one's, so CleanStale removes nothing.
func TestCleanStaleRemovesNothingWithoutFlock(t *testing.T) {
	parent := t.TempDir()
	abandoned := filepath.Join(parent, name("ABANDONED"))
	if err := os.Mkdir(abandoned, 0o700); err != nil {
		t.Fatal(err)
	}
	if n, err := New(parent).CleanStale(t.Context(), 0); n != 0 || err != nil {
		t.Fatalf("CleanStale = %d, %v; want 0, nil", n, err)
	}
	if _, err := os.Stat(abandoned); err != nil {
		t.Fatalf("folder removed: %v", err)
	}
}
