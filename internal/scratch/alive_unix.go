//go:build unix

package scratch

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this PID exists. Signal 0
// checks existence and permission without delivering anything; EPERM
// means the process exists but belongs to someone else.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
