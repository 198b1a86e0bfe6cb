package picfre

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/picfre/picfre/errcode"
)

// TestScratchFullIsNotTheFilesFault (issue 11): copying an upload into a
// scratch file on a full disk (/dev/full fails every write with ENOSPC)
// is internal, not invalid_media, and the message names no path; a
// failure to read the upload itself stays invalid_media.
func TestScratchFullIsNotTheFilesFault(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full on this system: %v", err)
	}
	defer full.Close()
	_, _, err = fillScratch(full, strings.NewReader(strings.Repeat("x", 64<<10)), 1<<20)
	if errcode.Of(err) != errcode.Internal || strings.Contains(err.Error(), "/dev") || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("full disk: %v (code %s), want internal without the path", err, errcode.Of(err))
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	_, _, err = fillScratch(devNull, iotest.ErrReader(errors.New("connection reset")), 1<<20)
	if errcode.Of(err) != errcode.InvalidMedia {
		t.Fatalf("read failure: %v (code %s), want invalid_media", err, errcode.Of(err))
	}
	n, _, err := fillScratch(devNull, strings.NewReader("abc"), 1<<20)
	if err != nil || n != 3 {
		t.Fatalf("fillScratch = %d, %v", n, err)
	}
}
