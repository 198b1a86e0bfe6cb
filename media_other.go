//go:build !unix

package picfre

// openNonblock is 0 where the system has no O_NONBLOCK: openRegular's
// checks before and after the open still refuse anything but a regular
// file.
const openNonblock = 0
