package strip

import (
	"errors"
	"testing"

	"github.com/picfre/picfre/errcode"
)

// TestErrorCodes: every sentinel answers errcode.Of with its code and is
// distinct for errors.Is; a typical error names the package once.
func TestErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code errcode.Code
	}{
		{ErrUnsupportedFormat, errcode.UnsupportedMedia},
		{ErrMalformed, errcode.InvalidMedia},
		{ErrTooLarge, errcode.TooLarge},
		{&FormatError{Format: PNG, Offset: 8, Reason: "chunk beyond end of data"}, errcode.InvalidMedia},
	} {
		if got := errcode.Of(tc.err); got != tc.code {
			t.Errorf("errcode.Of(%v) = %s, want %s", tc.err, got, tc.code)
		}
		if !errors.Is(tc.err, tc.code) {
			t.Errorf("errors.Is(%v, %s) is false", tc.err, tc.code)
		}
	}
	if errors.Is(ErrMalformed, ErrUnsupportedFormat) || errors.Is(ErrTooLarge, ErrMalformed) {
		t.Error("sentinels are not distinct")
	}
	_, _, err := Bytes([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), Options{})
	if want := "strip: malformed png at offset 8: chunk beyond end of data"; err == nil || err.Error() != want {
		t.Errorf("truncated PNG: %v, want %q", err, want)
	}
}
