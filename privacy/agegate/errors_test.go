package agegate

import (
	"errors"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
)

// TestErrorCodes: every sentinel answers errcode.Of with its code and is
// distinct for errors.Is; the error text names the package once.
func TestErrorCodes(t *testing.T) {
	for _, err := range []error{ErrBirthDateUnknown, ErrBirthDateInFuture} {
		if got := errcode.Of(err); got != errcode.InvalidArgument {
			t.Errorf("errcode.Of(%v) = %s, want invalid_argument", err, got)
		}
	}
	if errors.Is(ErrBirthDateUnknown, ErrBirthDateInFuture) {
		t.Error("sentinels are not distinct")
	}
	_, err := Age(date(2030, 1, 1), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err == nil || err.Error() != "agegate: birth date in the future" {
		t.Errorf("Age in the future: %v", err)
	}
}
