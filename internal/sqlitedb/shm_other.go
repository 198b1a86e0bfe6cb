//go:build !unix

package sqlitedb

// shmInUse cannot tell on this platform, so a -shm is never taken for
// stale.
func shmInUse(string) bool { return true }
