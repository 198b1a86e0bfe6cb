//go:build unix

package sqlitedb

import (
	"os"
	"syscall"
)

// shmInUse reports whether a process holds a POSIX lock on the -shm file
// at path, as every SQLite connection using it does; true when that
// cannot be told.
func shmInUse(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return true
	}
	return lk.Type != syscall.F_UNLCK
}
