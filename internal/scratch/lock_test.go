//go:build unix && !aix && !solaris

package scratch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
)

// child is a helper process (see runChild) and its pipes.
type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	once  sync.Once
}

// startChild starts this test binary in role over parent, with attr (nil
// for none). It returns Start's error; the process is killed and reaped
// when the test ends.
func startChild(t *testing.T, role, parent string, attr *syscall.SysProcAttr) (*child, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role, parentEnv+"="+parent)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = attr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{t: t, cmd: cmd, stdin: stdin, out: bufio.NewReader(out)}
	t.Cleanup(c.kill)
	return c, nil
}

// line reads the child's next line of output.
func (c *child) line() string {
	c.t.Helper()
	s, err := c.out.ReadString('\n')
	if err != nil {
		c.t.Fatalf("helper process %s said nothing more: %v", c.cmd.Env[len(c.cmd.Env)-2], err)
	}
	return strings.TrimSuffix(s, "\n")
}

// owned reads an owner's "<pid> <folder>".
func (c *child) owned() (pid int, dir string) {
	c.t.Helper()
	p, dir, ok := strings.Cut(c.line(), " ")
	pid, err := strconv.Atoi(p)
	if !ok || err != nil {
		c.t.Fatalf("owner printed %q", p+" "+dir)
	}
	return pid, dir
}

// clean asks a cleaner for one CleanStale and returns its answer.
func (c *child) clean() string {
	c.t.Helper()
	if _, err := io.WriteString(c.stdin, "clean\n"); err != nil {
		c.t.Fatal(err)
	}
	return c.line()
}

// kill SIGKILLs the child and reaps it: when it returns, the process and
// every descriptor it held are gone.
func (c *child) kill() {
	c.once.Do(func() {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		_ = c.cmd.Wait()
	})
}

// exists reports whether path exists, without following a symbolic link.
func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Lstat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// age sets path's modification time to age before now.
func age(t *testing.T, path string, now time.Time, age time.Duration) {
	t.Helper()
	if err := os.Chtimes(path, now.Add(-age), now.Add(-age)); err != nil {
		t.Fatal(err)
	}
}

func TestDirHoldsItsLockUntilCleanup(t *testing.T) {
	r := New(t.TempDir())
	dir, cleanup, err := r.Dir(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.lockDir(dir, false); !errors.Is(err, errBusy) {
		t.Fatalf("lockDir on a live folder = %v, want it busy", err)
	}
	cleanup()
	if _, err := r.lockDir(dir, false); !errors.Is(err, errGone) {
		t.Fatalf("lockDir after cleanup = %v, want it gone", err)
	}
}

func TestLockDir(t *testing.T) {
	parent := t.TempDir()
	r := New(parent)
	free := filepath.Join(parent, "free")
	held := filepath.Join(parent, "held")
	file := filepath.Join(parent, "file")
	link := filepath.Join(parent, "link")
	for _, d := range []string{free, held} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(free, link); err != nil {
		t.Fatal(err)
	}
	holder, err := r.lockDir(held, false)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.unlock()

	tests := []struct {
		path string
		want error
	}{
		{free, nil},
		{held, errBusy},
		{file, errGone},
		{link, errGone}, // never followed, though it points at a free folder
		{filepath.Join(parent, "missing"), errGone},
	}
	for _, tt := range tests {
		l, err := r.lockDir(tt.path, false)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("lockDir(%s) = %v, want %v", filepath.Base(tt.path), err, tt.want)
		}
		if l != nil {
			l.unlock()
		}
	}
}

// A cleaner that opens a folder, then gets its lock only after the holder
// removed it and someone made a new folder under the same name, must not
// take the new folder for the one it locked.
func TestLockNoticesAReplacedFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), name("X"))
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	l := &dirLock{fd: fd, path: path}
	defer l.unlock()
	if !l.names(path) {
		t.Fatal("an open folder does not match its own path")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := l.lock(sysFlock, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err) // the removed folder's lock is free
	}
	if l.names(path) {
		t.Fatal("the locked, removed folder was taken for its successor")
	}
}

// A cleaner may lock a half-made folder between Dir's Mkdir and its lock.
// Dir waits for the cleaner and then keeps the folder if the cleaner spared
// it (an age bound) or starts over if the cleaner removed it; either way
// it leaves nothing behind. The fake flock plays the cleaner on Dir's
// first lock.
func TestDirWaitsForACleanerOnAHalfMadeFolder(t *testing.T) {
	tests := []struct {
		name    string
		removes bool // the cleaner removes the folder, or spares it
	}{
		{"cleaner spares it", false},
		{"cleaner removes it", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			r := New(parent)
			calls := 0
			r.flock = func(fd, how int) error {
				calls++
				if calls == 1 {
					if how&syscall.LOCK_NB != 0 {
						return syscall.EWOULDBLOCK // still held
					}
					if tt.removes {
						entries, _ := os.ReadDir(parent)
						for _, e := range entries {
							_ = os.Remove(filepath.Join(parent, e.Name()))
						}
					}
				}
				return syscall.Flock(fd, how) // released by now
			}
			dir, cleanup, err := r.Dir(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer cleanup()
			entries, _ := os.ReadDir(parent)
			if len(entries) != 1 || entries[0].Name() != filepath.Base(dir) {
				t.Fatalf("parent holds %v, want only %s", entries, filepath.Base(dir))
			}
			if want := 1 + btoi(tt.removes); calls != want {
				t.Errorf("%d locks taken, want %d", calls, want)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestDirFailsWhereTheFileSystemCannotLock(t *testing.T) {
	parent := t.TempDir()
	r := New(parent)
	r.flock = func(int, int) error { return syscall.ENOLCK }
	_, _, err := r.Dir(t.Context())
	if !errors.Is(err, ErrNoLocking) || !errors.Is(err, syscall.ENOLCK) {
		t.Fatalf("Dir = %v, want ErrNoLocking with its cause", err)
	}
	if got := errcode.Of(err); got != errcode.InvalidArgument {
		t.Errorf("code %s, want %s", got, errcode.InvalidArgument)
	}
	const want = "scratch: locking a folder: file system cannot lock folders (use a local file system): no locks available"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("Dir left %d entries", len(entries))
	}
}

func TestCleanStaleRemovesNothingWhereTheFileSystemCannotLock(t *testing.T) {
	parent := t.TempDir()
	abandoned := filepath.Join(parent, name("ABANDONED"))
	if err := os.Mkdir(abandoned, 0o700); err != nil {
		t.Fatal(err)
	}
	r := New(parent)
	r.flock = func(int, int) error { return syscall.EOPNOTSUPP }
	n, err := r.CleanStale(t.Context(), 0)
	if n != 0 || !errors.Is(err, ErrNoLocking) || errcode.Of(err) != errcode.InvalidArgument {
		t.Fatalf("CleanStale = %d, %v; want 0 and ErrNoLocking", n, err)
	}
	if !exists(t, abandoned) {
		t.Fatal("a folder was removed although its lock could not be asked")
	}
}

func TestFileSystemErrorsKeepPathsOut(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "secret-name")
	_, _, err := New(parent).Dir(t.Context())
	const want = "scratch: creating a folder: no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("Dir = %v, want %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) || errcode.Of(err) != errcode.Unavailable {
		t.Errorf("Dir's error: not ErrNotExist or code %s", errcode.Of(err))
	}
}

func TestCleanStaleByAge(t *testing.T) {
	parent := t.TempDir()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := NewWithClock(parent, func() time.Time { return now })

	// Abandoned folders: nothing holds their lock.
	old := filepath.Join(parent, name("OLD"))
	young := filepath.Join(parent, name("YOUNG"))
	halfMade := filepath.Join(parent, name("HALF")+privateSuffix) // maker died before the rename
	for _, d := range []string{old, young, halfMade} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// Live folders, however old: one of this process, one being made
	// (locked under its private name, as Dir holds it before the rename).
	live, cleanup, err := r.Dir(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	making := filepath.Join(parent, name("MAKING")+privateSuffix)
	if err := os.Mkdir(making, 0o700); err != nil {
		t.Fatal(err)
	}
	maker, err := r.lockDir(making, false)
	if err != nil {
		t.Fatal(err)
	}
	defer maker.unlock()
	// Entries that are not ours.
	unrelated := filepath.Join(parent, "not-ours")
	legacy := filepath.Join(parent, Prefix+"4242-123456")
	file := filepath.Join(parent, name("FILE"))
	link := filepath.Join(parent, name("LINK"))
	for _, d := range []string{unrelated, legacy} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(unrelated, link); err != nil {
		t.Fatal(err)
	}
	for d, a := range map[string]time.Duration{
		old: 25 * time.Hour, halfMade: 25 * time.Hour, young: time.Hour,
		live: 100 * time.Hour, making: 100 * time.Hour,
		unrelated: 100 * time.Hour, legacy: 100 * time.Hour, file: 100 * time.Hour,
	} {
		age(t, d, now, a)
	}

	steps := []struct {
		olderThan time.Duration
		removed   int
		gone      []string
	}{
		{24 * time.Hour, 2, []string{old, halfMade}},
		{0, 1, []string{young}},
		{0, 0, nil},
	}
	var gone []string
	for _, s := range steps {
		n, err := r.CleanStale(t.Context(), s.olderThan)
		if err != nil || n != s.removed {
			t.Fatalf("CleanStale(%v) = %d, %v; want %d", s.olderThan, n, err, s.removed)
		}
		gone = append(gone, s.gone...)
		for _, d := range []string{old, young, halfMade, live, making, unrelated, legacy, file, link} {
			if want := !contains(gone, d); exists(t, d) != want {
				t.Errorf("after CleanStale(%v): %s exists = %v, want %v", s.olderThan, filepath.Base(d), !want, want)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// An owner in another process, SIGKILLed: its folder stays until the next
// CleanStale and no longer. While it runs, no age bound removes it.
func TestCleanStaleRemovesFolderOfKilledProcess(t *testing.T) {
	parent := t.TempDir()
	owner, err := startChild(t, "owner", parent, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, dir := owner.owned()
	now := time.Now()
	age(t, dir, now, 48*time.Hour)

	r := NewWithClock(parent, func() time.Time { return now })
	for _, olderThan := range []time.Duration{0, time.Hour} {
		if n, err := r.CleanStale(t.Context(), olderThan); err != nil || n != 0 {
			t.Fatalf("CleanStale(%v) with the owner alive = %d, %v", olderThan, n, err)
		}
	}
	if !exists(t, filepath.Join(dir, "frame-001.jpg")) {
		t.Fatal("live owner's file gone")
	}

	owner.kill()
	if !exists(t, dir) {
		t.Fatal("a killed process's folder should survive it until cleaned")
	}
	n, err := r.CleanStale(t.Context(), 0)
	if err != nil || n != 1 {
		t.Fatalf("CleanStale = %d, %v; want 1 removed", n, err)
	}
	if exists(t, dir) {
		t.Fatal("stale folder still there")
	}
}

// This process owns a folder; a cleaner in another process, and this
// process's own CleanStale (another open of the folder), leave it alone,
// however old it is.
func TestCleanStaleKeepsALiveOwnersFolder(t *testing.T) {
	parent := t.TempDir()
	now := time.Now()
	r := NewWithClock(parent, func() time.Time { return now })
	dir, cleanup, err := r.Dir(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	file := filepath.Join(dir, "frame-001.jpg")
	if err := os.WriteFile(file, []byte("jpeg"), 0o600); err != nil {
		t.Fatal(err)
	}
	age(t, dir, now, 100*time.Hour)

	cleaner, err := startChild(t, "cleaner", parent, nil)
	if err != nil {
		t.Fatal(err)
	}
	cleaner.line() // its PID
	if got := cleaner.clean(); got != "0 <nil>" {
		t.Fatalf("another process's CleanStale = %q, want \"0 <nil>\"", got)
	}
	for _, olderThan := range []time.Duration{0, time.Hour} {
		if n, err := r.CleanStale(t.Context(), olderThan); err != nil || n != 0 {
			t.Fatalf("own CleanStale(%v) = %d, %v", olderThan, n, err)
		}
	}
	if !exists(t, file) {
		t.Fatal("a live owner's file was removed")
	}
	cleanup()
	if exists(t, dir) {
		t.Fatal("cleanup left the folder")
	}
	if got := cleaner.clean(); got != "0 <nil>" {
		t.Fatalf("CleanStale after cleanup = %q", got)
	}
}

// Folders being made, used and removed while cleaners run in parallel: no
// live folder may lose its contents, no cleaner may fail, and nothing may
// be left behind, not even a half-made folder that a cleaner with an age
// bound locked and spared while its maker waited.
func TestCleanStaleRacesWithDir(t *testing.T) {
	r := New(t.TempDir())
	const owners, cleaners, rounds = 8, 4, 40
	var wg sync.WaitGroup
	errs := make(chan error, owners*rounds+cleaners)
	done := make(chan struct{})
	for c := range cleaners {
		olderThan := time.Duration(c%2) * time.Hour // 0 or an hour
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := r.CleanStale(t.Context(), olderThan); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var owned sync.WaitGroup
	for i := range owners {
		owned.Go(func() {
			for j := range rounds {
				dir, cleanup, err := r.Dir(t.Context())
				if err != nil {
					errs <- err
					return
				}
				file := filepath.Join(dir, "f")
				want := fmt.Sprint(i, j)
				err = os.WriteFile(file, []byte(want), 0o600)
				if err == nil {
					// Give the cleaners a pass at the live folder.
					_, err = r.CleanStale(t.Context(), 0)
				}
				if err == nil {
					var got []byte
					got, err = os.ReadFile(file)
					if err == nil && string(got) != want {
						err = fmt.Errorf("file holds %q, want %q", got, want)
					}
				}
				cleanup()
				if err != nil {
					errs <- fmt.Errorf("owner %d, round %d: %w", i, j, err)
					return
				}
			}
		})
	}
	owned.Wait()
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if entries, _ := os.ReadDir(r.Parent()); len(entries) != 0 {
		t.Fatalf("%d entries left", len(entries))
	}
}
