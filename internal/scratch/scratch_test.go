package scratch

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The environment of a helper process started by the tests: its role and
// the parent folder it works in.
const (
	childEnv  = "PICFRE_SCRATCH_CHILD"
	parentEnv = "PICFRE_SCRATCH_PARENT"
)

// TestMain runs the helper processes the tests start from this binary.
func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role, os.Getenv(parentEnv)))
	}
	os.Exit(m.Run())
}

// runChild plays one role, talking to the test over stdin and stdout:
//
//   - "owner" makes a scratch folder with a file in it, prints
//     "<pid> <folder>" and waits until stdin closes (then cleans up) or it
//     is killed (then the folder stays behind).
//   - "init" runs an owner as its child and waits for it; started in a new
//     PID namespace it is that namespace's PID 1, and the owner is not.
//   - "cleaner" prints its PID, then answers every line it reads with
//     "<removed> <error>" from one CleanStale(ctx, 0) on the parent.
func runChild(role, parent string) int {
	switch role {
	case "owner":
		dir, cleanup, err := New(parent).Dir(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "owner:", err)
			return 3
		}
		defer cleanup()
		if err := os.WriteFile(filepath.Join(dir, "frame-001.jpg"), []byte("jpeg"), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "owner:", err)
			return 3
		}
		fmt.Printf("%d %s\n", os.Getpid(), dir)
		_, _ = io.Copy(io.Discard, os.Stdin)
		return 0
	case "init":
		// Move the namespace's next PID far from the few a Go process's
		// threads take, so the owner's PID is not one of a cleaner's
		// thread IDs in its namespace (kill(2) accepts those too). This
		// only matters to the PID checks this package no longer makes.
		_ = os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte("1000"), 0)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=owner")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "init:", err)
			return 3
		}
		return 0
	case "cleaner":
		r := New(parent)
		fmt.Printf("%d\n", os.Getpid())
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			n, err := r.CleanStale(context.Background(), 0)
			fmt.Printf("%d %v\n", n, err)
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown role", role)
	return 2
}

// name returns a scratch name whose random part starts with s.
func name(s string) string {
	return Prefix + s + strings.Repeat("A", nameLen-len(s))
}

func TestDirCreatesPrivateFolderAndCleanupRemovesIt(t *testing.T) {
	r := New(t.TempDir())
	dir, cleanup, err := r.Dir(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, want a 0700 folder", fi.Mode())
	}
	base := filepath.Base(dir)
	if !isScratchName(base) || strings.HasSuffix(base, privateSuffix) || filepath.Dir(dir) != r.Parent() {
		t.Fatalf("folder %s not a public scratch folder of %s", dir, r.Parent())
	}
	if entries, _ := os.ReadDir(r.Parent()); len(entries) != 1 {
		t.Fatalf("parent holds %d entries, want the folder alone", len(entries))
	}
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "b", "frame.jpg"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cleanup()
	cleanup() // second call is a no-op
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("folder still there after cleanup: %v", err)
	}
}

func TestDirsAreDistinct(t *testing.T) {
	r := New(t.TempDir())
	a, ca, err := r.Dir(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer ca()
	b, cb, err := r.Dir(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer cb()
	if a == b {
		t.Fatalf("two calls gave the same folder %s", a)
	}
}

func TestDirHonoursCancelledContext(t *testing.T) {
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := New(parent).Dir(ctx); err == nil {
		t.Fatal("Dir succeeded with a cancelled context")
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("Dir left %d entries", len(entries))
	}
}

func TestIsScratchName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{Prefix + "ABCDEFGHIJKLMNOPQRSTUVWXYZ", true},
		{Prefix + "234567ABCDEFGHIJKLMNOPQRST", true},
		{Prefix + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + privateSuffix, true},
		{Prefix + "ABCDEFGHIJKLMNOPQRSTUVWXY", false},   // too short
		{Prefix + "ABCDEFGHIJKLMNOPQRSTUVWXYZA", false}, // too long
		{Prefix + "abcdefghijklmnopqrstuvwxyz", false},  // not rand.Text's alphabet
		{Prefix + "ABCDEFGHIJKLMNOPQRSTUVWXY1", false},
		{Prefix + "ABCDEFGHIJKLMNOPQRSTUVWXYZ.old", false},
		{Prefix + "4242-123456", false}, // the PID-named folders of before
		{"other-ABCDEFGHIJKLMNOPQRSTUVWXYZ", false},
		{Prefix, false},
	}
	for _, tt := range tests {
		if got := isScratchName(tt.name); got != tt.want {
			t.Errorf("isScratchName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCleanStaleMissingParent(t *testing.T) {
	r := New(filepath.Join(t.TempDir(), "nope"))
	if n, err := r.CleanStale(t.Context(), 0); err != nil || n != 0 {
		t.Fatalf("CleanStale = %d, %v", n, err)
	}
}

func TestCleanupAfterCancellation(t *testing.T) {
	r := New(t.TempDir())
	ctx, cancel := context.WithCancel(t.Context())
	work := func() error {
		dir, cleanup, err := r.Dir(ctx)
		if err != nil {
			return err
		}
		defer cleanup()
		if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o600); err != nil {
			return err
		}
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	if err := work(); err == nil {
		t.Fatal("want the cancellation error")
	}
	if entries, _ := os.ReadDir(r.Parent()); len(entries) != 0 {
		t.Fatalf("%d entries left after a cancelled job", len(entries))
	}
}
