//go:build unix

package picfre

import "syscall"

// openNonblock makes opening a FIFO return at once (see openRegular).
const openNonblock = syscall.O_NONBLOCK
