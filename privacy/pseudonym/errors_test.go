package pseudonym

import (
	"errors"
	"testing"

	"github.com/picfre/picfre/errcode"
)

// TestErrorCodes: every sentinel answers errcode.Of with its code and is
// distinct for errors.Is; a wrapped error names the package once.
func TestErrorCodes(t *testing.T) {
	sentinels := []error{ErrUnknownKey, ErrInvalidKey, ErrBadPseudonym}
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
	k, _ := NewKeyring("k1", map[string][]byte{"k1": key1})
	_, err := k.Match("v", "k9:"+k.Pseudonym("v")[3:])
	if errcode.Of(err) != errcode.InvalidArgument || err.Error() != `pseudonym: unknown key id: "k9"` {
		t.Errorf("Match under an unknown key: %v (code %s)", err, errcode.Of(err))
	}
}
