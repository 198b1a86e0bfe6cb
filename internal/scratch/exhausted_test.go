package scratch

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/picfre/picfre/errcode"
)

// TestFileErrorClassifiesExhaustion (issue 11): a full scratch disk, a
// quota or the open-file limit is internal (the file is not at fault),
// other failures unavailable; no message holds the path, and the cause
// is still found by errors.Is.
func TestFileErrorClassifiesExhaustion(t *testing.T) {
	const secret = "/var/secret-scratch/picfre-123/input"
	for _, tt := range []struct {
		errno syscall.Errno
		code  errcode.Code
	}{
		{syscall.ENOSPC, errcode.Internal},
		{syscall.EDQUOT, errcode.Internal},
		{syscall.EFBIG, errcode.Internal},
		{syscall.EMFILE, errcode.Internal},
		{syscall.ENFILE, errcode.Internal},
		{syscall.EACCES, errcode.Unavailable},
		{syscall.EIO, errcode.Unavailable},
	} {
		err := FileError("writing a scratch file", &fs.PathError{Op: "write", Path: secret, Err: tt.errno})
		if errcode.Of(err) != tt.code || !errors.Is(err, tt.errno) {
			t.Errorf("%v: %v (code %s), want %s", tt.errno, err, errcode.Of(err), tt.code)
		}
		if strings.Contains(err.Error(), "secret-scratch") {
			t.Errorf("message has the path: %v", err)
		}
	}
	if FileError("x", nil) != nil {
		t.Error("FileError(nil) is not nil")
	}
}

// TestFileErrorOnAFullDevice writes to /dev/full, which fails every write
// with ENOSPC as a full disk does.
func TestFileErrorOnAFullDevice(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full on this system: %v", err)
	}
	defer f.Close()
	_, werr := f.Write([]byte("frame"))
	if werr == nil {
		t.Fatal("writing /dev/full succeeded")
	}
	err = FileError("writing a scratch file", werr)
	if errcode.Of(err) != errcode.Internal || !Exhausted(err) || strings.Contains(err.Error(), "/dev/full") {
		t.Fatalf("%v (code %s)", err, errcode.Of(err))
	}
}
