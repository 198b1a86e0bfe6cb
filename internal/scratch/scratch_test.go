package scratch

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDirCreatesPrivateFolderAndCleanupRemovesIt(t *testing.T) {
	r := New(t.TempDir())
	dir, cleanup, err := r.Dir(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, want a 0700 folder", fi.Mode())
	}
	if !strings.HasPrefix(filepath.Base(dir), Prefix) || filepath.Dir(dir) != r.Parent() {
		t.Fatalf("folder %s not a scratch folder of %s", dir, r.Parent())
	}
	if pid, ok := ownerPID(filepath.Base(dir)); !ok || pid != os.Getpid() {
		t.Fatalf("owner of %s = %d, %v", dir, pid, ok)
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

func TestOwnerPID(t *testing.T) {
	tests := []struct {
		name string
		pid  int
		ok   bool
	}{
		{"picfre-scratch-123-abc", 123, true},
		{"picfre-scratch-1-", 1, true},
		{"picfre-scratch--abc", 0, false},
		{"picfre-scratch-0-abc", 0, false},
		{"picfre-scratch-x1-abc", 0, false},
		{"picfre-scratch-123", 0, false},
		{"picfre-scratch-99999999999-a", 0, false},
		{"other-123-abc", 0, false},
	}
	for _, tt := range tests {
		pid, ok := ownerPID(tt.name)
		if pid != tt.pid || ok != tt.ok {
			t.Errorf("ownerPID(%q) = %d, %v; want %d, %v", tt.name, pid, ok, tt.pid, tt.ok)
		}
	}
}

// The helper process: when run with PICFRE_SCRATCH_CHILD set to a parent
// folder, it makes a scratch folder there, writes a file into it, prints
// the folder's path and waits to be killed.
func TestMain(m *testing.M) {
	if parent := os.Getenv("PICFRE_SCRATCH_CHILD"); parent != "" {
		dir, cleanup, err := New(parent).Dir(context.Background())
		if err != nil {
			os.Exit(3)
		}
		defer cleanup() // never runs: the process is killed
		_ = os.WriteFile(filepath.Join(dir, "frame-001.jpg"), []byte("jpeg"), 0o600)
		os.Stdout.WriteString(dir + "\n")
		time.Sleep(time.Minute)
		os.Exit(4)
	}
	os.Exit(m.Run())
}

func TestCleanStaleRemovesFolderOfKilledProcess(t *testing.T) {
	parent := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PICFRE_SCRATCH_CHILD="+parent)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child gave no folder: %v", err)
	}
	dir := strings.TrimSpace(line)

	r := New(parent)
	// While the child runs, its folder is not stale.
	if n, err := r.CleanStale(t.Context(), 0); err != nil || n != 0 {
		t.Fatalf("CleanStale with the owner alive = %d, %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "frame-001.jpg")); err != nil {
		t.Fatalf("live child's file gone: %v", err)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // reap, so the PID no longer exists
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("a killed process's folder should survive it until cleaned: %v", err)
	}
	n, err := r.CleanStale(t.Context(), 0)
	if err != nil || n != 1 {
		t.Fatalf("CleanStale = %d, %v; want 1 removed", n, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("stale folder still there: %v", err)
	}
}

func TestCleanStaleByAge(t *testing.T) {
	parent := t.TempDir()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := NewWithClock(parent, func() time.Time { return now })
	r.alive = func(int) bool { return true } // every owner "runs" (a recycled PID)

	old := filepath.Join(parent, Prefix+"4242-old")
	young := filepath.Join(parent, Prefix+"4243-young")
	mine, cleanup, err := r.Dir(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	for _, d := range []string{old, young} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ages := map[string]time.Duration{old: 25 * time.Hour, young: time.Hour, mine: 100 * time.Hour}
	for d, age := range ages {
		if err := os.Chtimes(d, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	unrelated := filepath.Join(parent, "not-ours-1-x")
	if err := os.Mkdir(unrelated, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(unrelated, filepath.Join(parent, Prefix+"1-link")); err != nil {
		t.Fatal(err)
	}

	n, err := r.CleanStale(t.Context(), 24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("CleanStale = %d, %v; want 1", n, err)
	}
	for d, want := range map[string]bool{old: false, young: true, mine: true, unrelated: true} {
		_, err := os.Stat(d)
		if exists := err == nil; exists != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(d), exists, want)
		}
	}
	// Without an age bound nothing of a live owner goes.
	if n, err := r.CleanStale(t.Context(), 0); err != nil || n != 0 {
		t.Fatalf("CleanStale(0) = %d, %v", n, err)
	}
}

func TestCleanStaleMissingParent(t *testing.T) {
	r := New(filepath.Join(t.TempDir(), "nope"))
	if n, err := r.CleanStale(t.Context(), time.Hour); err != nil || n != 0 {
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
