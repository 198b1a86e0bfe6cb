//go:build unix && !aix && !solaris

package scratch

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// canLock reports whether this platform has flock(2). Where it has not,
// CleanStale removes nothing.
const canLock = true

// sysFlock is flock(2).
func sysFlock(fd, how int) error { return syscall.Flock(fd, how) }

// dirLock is an open folder holding an exclusive flock(2) lock. The lock
// belongs to the open file description, so it conflicts with every other
// open of the folder, in this process or any other on the host, whatever
// its PID namespace; the kernel releases it when the descriptor is closed,
// which happens however the process ends.
type dirLock struct {
	fd   int
	path string // where the folder was when it was locked
}

// lockDir opens the folder at path without following a symbolic link,
// takes an exclusive lock on it (waiting for it only when wait is set),
// and checks that path still names the folder it locked. It returns
// errBusy when someone else holds the lock and wait is false, errGone when path no longer names that folder (removed
// or replaced meanwhile, or not a folder at all), an error wrapping
// ErrNoLocking when the file system refuses the lock, and the open's error
// otherwise.
//
// The check after locking closes the race with whoever held the lock
// before: an owner's cleanup and a cleaner both remove the folder before
// they release the lock, so whoever gets the lock next finds the path
// gone rather than a folder that was already someone's.
func (r *Root) lockDir(path string, wait bool) (*dirLock, error) {
	var fd int
	for {
		var err error
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
		if err == nil {
			break
		}
		if err == syscall.EINTR {
			continue
		}
		// The errors for a symbolic link under O_NOFOLLOW vary between
		// systems (ELOOP, EMLINK, EFTYPE); ask what is there instead.
		if fi, lerr := os.Lstat(path); lerr != nil || !fi.IsDir() {
			return nil, errGone
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	l := &dirLock{fd: fd, path: path}
	how := syscall.LOCK_EX | syscall.LOCK_NB
	if wait {
		how = syscall.LOCK_EX
	}
	if err := l.lock(r.flock, how); err != nil {
		l.unlock()
		return nil, err
	}
	if !l.names(path) {
		l.unlock()
		return nil, errGone
	}
	return l, nil
}

// lock calls flock with how (LOCK_EX, with or without LOCK_NB).
func (l *dirLock) lock(flock func(fd, how int) error, how int) error {
	for {
		err := flock(l.fd, how)
		switch {
		case err == nil:
			return nil
		case err == syscall.EINTR:
			continue
		case err == syscall.EWOULDBLOCK || err == syscall.EAGAIN:
			return errBusy
		default:
			return fmt.Errorf("%w: %w", ErrNoLocking, err)
		}
	}
}

// names reports whether path names the open folder (same device and
// inode, without following a symbolic link).
func (l *dirLock) names(path string) bool {
	var open, named syscall.Stat_t
	if err := syscall.Fstat(l.fd, &open); err != nil {
		return false
	}
	if err := syscall.Lstat(path, &named); err != nil {
		return false
	}
	return open.Dev == named.Dev && open.Ino == named.Ino
}

// chmod sets the folder's permission bits.
func (l *dirLock) chmod(mode fs.FileMode) error {
	if err := syscall.Fchmod(l.fd, uint32(mode.Perm())); err != nil {
		return &fs.PathError{Op: "chmod", Path: l.path, Err: err}
	}
	return nil
}

// modTime returns the folder's modification time, read where it was
// locked (only a cleaner asks, and it does not move the folder).
func (l *dirLock) modTime() (time.Time, error) {
	fi, err := os.Lstat(l.path)
	if err != nil {
		return time.Time{}, err
	}
	if !l.names(l.path) {
		return time.Time{}, errGone
	}
	return fi.ModTime(), nil
}

// unlock closes the folder, which releases the lock. Close is not retried
// on EINTR: the descriptor is gone either way on Linux, and a retry could
// close one that another goroutine has just opened.
func (l *dirLock) unlock() { _ = syscall.Close(l.fd) }
