package scratch

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/picfre/picfre/errcode"
)

// Prefix starts the name of every scratch folder. CleanStale considers only
// entries whose name is Prefix followed by the 26 characters of a random
// name (and, for a folder still being made, privateSuffix); anything else
// in the parent is left alone.
const Prefix = "picfre-scratch-"

// privateSuffix marks a folder that Dir has made but not yet locked and
// renamed to its public name. It is visible to CleanStale, which removes it
// like any other unlocked folder when its maker died before the rename.
const privateSuffix = ".new"

// nameLen is the length of the random part of a name: that of
// crypto/rand.Text, 128 bits in base32.
const nameLen = 26

// maxAttempts bounds how often Dir starts over when a name is taken or a
// cleaner removed its half-made folder; either takes astronomically bad
// luck or a parent someone else keeps tampering with.
const maxAttempts = 10

// ErrNoLocking reports that the file system of the parent folder refused
// the lock that marks a folder as in use (flock(2)), as some network and
// FUSE file systems do. Dir fails with it rather than hand out a folder no
// one could tell was in use, and CleanStale stops with it rather than
// delete folders whose owners it cannot ask. Its code is
// errcode.InvalidArgument: the scratch parent has to move to a local file
// system.
var ErrNoLocking = errcode.New(errcode.InvalidArgument, "file system cannot lock folders (use a local file system)")

// errBusy and errGone are lockDir's answers that are not failures:
// another open file holds the lock, or the path no longer names the
// folder that was opened (removed, replaced, never a folder).
var (
	errBusy = errors.New("folder locked")
	errGone = errors.New("folder gone")
)

// Root makes scratch folders inside one parent folder. Create it with New.
// It is safe for concurrent use.
type Root struct {
	parent string
	now    func() time.Time
	// flock is flock(2); tests replace it to play a file system without
	// locks. Unused where the platform has no flock.
	flock func(fd, how int) error
}

// New returns a Root that makes its folders in parent, or in os.TempDir()
// when parent is "". The parent is not created or checked until Dir or
// CleanStale is called.
func New(parent string) *Root {
	return NewWithClock(parent, time.Now)
}

// NewWithClock is New with an injected clock, used by CleanStale to judge
// the age of folders. now must be safe for concurrent use.
func NewWithClock(parent string, now func() time.Time) *Root {
	if parent == "" {
		parent = os.TempDir()
	}
	if now == nil {
		now = time.Now
	}
	return &Root{parent: parent, now: now, flock: sysFlock}
}

// Parent returns the folder the scratch folders are made in.
func (r *Root) Parent() string { return r.parent }

// Dir creates a new, empty scratch folder with mode 0700, locked for as
// long as it exists, and returns its path and a function that removes it
// and everything in it and then releases the lock. The cleanup function is
// safe to call more than once and from several goroutines; only the first
// call does the work. A caller that never calls it keeps the folder, and
// its lock, until the process ends. Dir fails without creating anything
// when ctx is already done, and with ErrNoLocking when the parent's file
// system cannot lock.
//
// The folder is made under a private name, locked, and only then renamed
// to its public name, so no folder under a public name is ever unlocked
// while its owner runs.
func (r *Root) Dir(ctx context.Context) (dir string, cleanup func(), err error) {
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	for range maxAttempts {
		name := Prefix + rand.Text()
		private := filepath.Join(r.parent, name+privateSuffix)
		if err := os.Mkdir(private, 0o700); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return "", nil, fsError("creating a folder", err)
		}
		// Only a cleaner can hold the lock of a half-made folder, and only
		// for as long as it takes to remove the empty folder or to find
		// it too young: wait for it, then see whether the folder is still
		// there.
		l, err := r.lockDir(private, true)
		switch {
		case errors.Is(err, errGone):
			// A cleaner took the half-made folder between Mkdir and the
			// lock and removed it. Start over under a new name.
			continue
		case err != nil:
			_ = os.Remove(private)
			return "", nil, lockError(err)
		}
		dir = filepath.Join(r.parent, name)
		// Mkdir applied the umask, which can only narrow 0700; make sure
		// an inherited ACL or an unusual platform has not widened it.
		if err := l.chmod(0o700); err != nil {
			_ = os.RemoveAll(private)
			l.unlock()
			return "", nil, fsError("securing a folder", err)
		}
		if err := os.Rename(private, dir); err != nil {
			_ = os.RemoveAll(private)
			l.unlock()
			return "", nil, fsError("naming a folder", err)
		}
		var once sync.Once
		cleanup = func() {
			once.Do(func() {
				// Remove first, unlock last: a cleaner that gets the lock
				// finds the path gone (or, if this process died halfway,
				// finishes the removal).
				_ = os.RemoveAll(dir)
				l.unlock()
			})
		}
		return dir, cleanup, nil
	}
	return "", nil, errcode.Errorf(errcode.Unavailable, "scratch: creating a folder: gave up after %d attempts", maxAttempts)
}

// CleanStale removes scratch folders left behind by processes that died
// without cleaning up: every folder in the parent with a scratch name
// whose lock it can take at once, which means that no process anywhere
// on the host, in any PID namespace, holds it. A folder whose owner runs
// is never removed, whatever its age. When olderThan is positive, only
// abandoned folders last modified more than olderThan ago are removed (a
// grace period, for instance to inspect a crash's leftovers); zero
// removes every abandoned folder. It returns how many folders it removed.
//
// Entries that are not folders (including symbolic links, which are never
// followed), names that are not scratch names, and folders it may not open
// (another user's) are left alone. A parent that does not exist yet is not
// an error. On a file system that cannot lock, CleanStale removes nothing
// and returns ErrNoLocking; on a platform without flock(2) it removes
// nothing and returns 0, nil.
func (r *Root) CleanStale(ctx context.Context, olderThan time.Duration) (removed int, err error) {
	if !canLock {
		return 0, nil
	}
	entries, err := os.ReadDir(r.parent)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fsError("listing the parent folder", err)
	}
	now := r.now()
	var errs []error
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		// The type comes from lstat: a symbolic link is not a folder.
		if e.Type() != fs.ModeDir || !isScratchName(e.Name()) {
			continue
		}
		path := filepath.Join(r.parent, e.Name())
		l, err := r.lockDir(path, false)
		switch {
		case errors.Is(err, errBusy), errors.Is(err, errGone), errors.Is(err, fs.ErrPermission):
			continue // in use, vanished meanwhile, or not ours to open
		case errors.Is(err, ErrNoLocking):
			return removed, lockError(err)
		case err != nil:
			errs = append(errs, pathless(err))
			continue
		}
		if olderThan > 0 {
			mod, err := l.modTime()
			if err != nil || now.Sub(mod) <= olderThan {
				l.unlock()
				continue
			}
		}
		// The lock is held and path still names the locked folder, so
		// its owner is gone and no other cleaner is at it; no one can
		// take the lock before it is released below.
		err = os.RemoveAll(path)
		l.unlock()
		if err != nil {
			errs = append(errs, pathless(err))
			continue
		}
		removed++
	}
	if len(errs) > 0 {
		return removed, errcode.Errorf(errcode.Unavailable, "scratch: removing stale folders: %w", errors.Join(errs...))
	}
	return removed, nil
}

// isScratchName reports whether name is one Dir gives, public or private.
func isScratchName(name string) bool {
	rest, ok := strings.CutPrefix(name, Prefix)
	if !ok {
		return false
	}
	rest = strings.TrimSuffix(rest, privateSuffix)
	if len(rest) != nameLen {
		return false
	}
	for _, c := range []byte(rest) {
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// lockError wraps an error of lockDir: ErrNoLocking with its cause, or a
// file-system failure.
func lockError(err error) error {
	if errors.Is(err, ErrNoLocking) {
		return fmt.Errorf("scratch: locking a folder: %w", err)
	}
	return fsError("locking a folder", err)
}

// fsError wraps a file-system failure as Unavailable, or as Internal
// when local resources ran out (see Exhausted), without the path:
// scratch paths are not shown in messages.
func fsError(op string, err error) error {
	code := errcode.Unavailable
	if Exhausted(err) {
		code = errcode.Internal
	}
	return errcode.Errorf(code, "scratch: %s: %w", op, pathless(err))
}

// FileError classifies a failure to write, read or stat a file in a
// scratch folder (op says which, "writing a scratch file"): local resource
// exhaustion (a full disk, a quota, too many open files; see Exhausted)
// is errcode.Internal, anything else errcode.Unavailable, never
// invalid_media, since the file being processed is not at fault. The
// message holds op and the system's reason, never the path. errors.Is
// still finds the cause (syscall.ENOSPC, fs.ErrNotExist ...).
func FileError(op string, err error) error {
	if err == nil {
		return nil
	}
	return fsError(op, err)
}

// Exhausted reports whether err is the exhaustion of a local resource
// rather than a fault of the data: no space left on the device, a disk
// quota exceeded, a file too large for the file system, or too many open
// files in the process or the system.
func Exhausted(err error) bool {
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EMFILE, syscall.ENFILE} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// pathless drops the path from a file-system error and keeps its cause,
// so that errors.Is(err, fs.ErrNotExist) and the like still hold.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
