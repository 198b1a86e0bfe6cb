package scratch

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// startInNewPIDNamespace starts a helper in a PID namespace of its own,
// where it cannot see this process's PIDs nor any other helper's. Creating
// one needs root or CAP_SYS_ADMIN: without, the test is skipped, or fails
// when CI=true.
func startInNewPIDNamespace(t *testing.T, role, parent string) *child {
	t.Helper()
	c, err := startChild(t, role, parent, &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID})
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) {
		msg := "cannot create a PID namespace (needs root or CAP_SYS_ADMIN): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true requires this test to run")
		}
		t.Skip("skipping: " + msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Two processes sharing one scratch parent, each in its own PID namespace
// (as in two containers sharing a volume): B's CleanStale must not remove
// A's folder while A runs, whatever A's PID means in B's namespace, and
// must remove it once A is killed.
func TestCleanStaleAcrossPIDNamespaces(t *testing.T) {
	tests := []struct {
		name     string
		role     string
		ownerPID int // A's PID in its namespace; 0 for any but 1
	}{
		// In B's namespace PID 1 is B itself: a PID check mistakes A's
		// folder for B's own and never removes it, even after A died.
		{"owner is its namespace's PID 1", "owner", 1},
		// In B's namespace A's PID (above 1000) does not exist: a PID
		// check removes A's folder while A is still using it.
		{"owner is not its namespace's PID 1", "init", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			a := startInNewPIDNamespace(t, tt.role, parent)
			pid, dir := a.owned()
			if pid == 1 && tt.ownerPID == 0 || tt.ownerPID != 0 && pid != tt.ownerPID {
				t.Fatalf("owner runs as PID %d in its namespace, want %d (0: any but 1)", pid, tt.ownerPID)
			}
			t.Logf("owner is PID %d of its namespace", pid)
			b := startInNewPIDNamespace(t, "cleaner", parent)
			if got := b.line(); got != "1" {
				t.Fatalf("cleaner runs as PID %s, want 1 in a new namespace", got)
			}

			if got := b.clean(); got != "0 <nil>" {
				t.Errorf("B's CleanStale with A alive = %q, want \"0 <nil>\"", got)
			}
			if !exists(t, filepath.Join(dir, "frame-001.jpg")) {
				t.Fatal("B removed the folder A is using")
			}

			a.kill() // with an "init", the namespace goes and the owner with it
			if got := b.clean(); got != "1 <nil>" {
				t.Errorf("B's CleanStale after A was killed = %q, want \"1 <nil>\"", got)
			}
			if exists(t, dir) {
				t.Fatal("A's folder survived A")
			}
		})
	}
}
