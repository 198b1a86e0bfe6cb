package privacy

import (
	"fmt"

	"github.com/picfre/picfre/errcode"
)

// ErrInvalidAccount means the account identifier is empty, too long or
// not UTF-8. Code InvalidArgument.
var ErrInvalidAccount = errcode.New(errcode.InvalidArgument, "privacy: invalid account")

// errNoContacts: a Subjects without a contact store.
var errNoContacts = errcode.New(errcode.InvalidArgument, "privacy: Subjects.Contacts is nil")

// wrap gives an error from a store or the ledger, for the operation op,
// the package's prefix once and the code Unavailable unless it carries a
// code of its own (context errors become Canceled).
func wrap(op string, err error) error {
	return errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("privacy: %s: %w", op, err))
}
