package custmatch

import (
	"errors"
	"testing"

	"github.com/picfre/picfre/errcode"
)

// TestErrorCodes: every sentinel answers errcode.Of with its code and is
// distinct for errors.Is; a wrapped error names the package once.
func TestErrorCodes(t *testing.T) {
	sentinels := []error{ErrInvalidEmail, ErrInvalidPhone, ErrUnknownEmailRules, ErrUnknownConsentState}
	for i, err := range sentinels {
		if got := errcode.Of(err); got != errcode.InvalidArgument {
			t.Errorf("errcode.Of(%v) = %s, want invalid_argument", err, got)
		}
		for j, other := range sentinels {
			if i != j && errors.Is(err, other) {
				t.Errorf("%v matches %v", err, other)
			}
		}
	}
	_, err := EmailRules("yahoo-1").Hash("a@b")
	if !errors.Is(err, ErrUnknownEmailRules) || err.Error() != `custmatch: unknown e-mail normalization rules: "yahoo-1"` {
		t.Errorf("unknown rules: %v", err)
	}
	err = WriteCSV(failingWriter{}, []Row{{Email: "x"}})
	if errcode.Of(err) != errcode.Unavailable || err.Error() != "custmatch: write CSV: disk full" {
		t.Errorf("failing writer: %v (code %s)", err, errcode.Of(err))
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
