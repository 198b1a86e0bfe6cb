package pseudonym

import "github.com/picfre/picfre/errcode"

// Sentinel errors, all with code InvalidArgument. None of them, nor the
// errors wrapping them, holds a key.
var (
	// ErrUnknownKey means a pseudonym names a key id the Keyring does not
	// hold (it was retired, or the pseudonym is foreign or corrupt).
	ErrUnknownKey = errcode.New(errcode.InvalidArgument, "pseudonym: unknown key id")

	// ErrInvalidKey means a key or key id is unusable (too short, empty,
	// or the id contains ':' or a space).
	ErrInvalidKey = errcode.New(errcode.InvalidArgument, "pseudonym: invalid key")

	// ErrBadPseudonym means a string is not of the form "keyid:hex", or
	// (from Refresh) is not the pseudonym of the value given.
	ErrBadPseudonym = errcode.New(errcode.InvalidArgument, "pseudonym: malformed pseudonym")
)
