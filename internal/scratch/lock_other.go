//go:build !unix || aix || solaris

package scratch

import (
	"io/fs"
	"os"
	"time"
)

// canLock reports whether this platform has flock(2). It has not (Windows,
// AIX, Solaris and illumos, Plan 9, wasm): Dir makes folders without a lock
// and CleanStale removes nothing, since it cannot tell a crashed owner's
// folder from a running one's.
const canLock = false

// sysFlock stands in for flock(2), which this platform lacks.
func sysFlock(fd, how int) error { return nil }

// dirLock only remembers where the folder is; nothing is locked.
type dirLock struct{ path string }

// lockDir checks that path names a folder (not a symbolic link).
func (r *Root) lockDir(path string, wait bool) (*dirLock, error) {
	fi, err := os.Lstat(path)
	if err != nil || !fi.IsDir() {
		return nil, errGone
	}
	return &dirLock{path: path}, nil
}

// chmod sets the folder's permission bits, as far as the platform has
// them.
func (l *dirLock) chmod(mode fs.FileMode) error { return os.Chmod(l.path, mode) }

// modTime returns the folder's modification time.
func (l *dirLock) modTime() (time.Time, error) {
	fi, err := os.Lstat(l.path)
	if err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}

// unlock does nothing: nothing was locked.
func (l *dirLock) unlock() {}
