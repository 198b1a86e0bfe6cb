package custmatch

import "github.com/picfre/picfre/errcode"

// Sentinel errors, all with code InvalidArgument. None of them, nor the
// errors wrapping them, holds an e-mail address or phone number.
var (
	// ErrInvalidEmail means an e-mail address cannot be normalized: it is
	// empty, has no single '@', or has an empty local part or domain.
	ErrInvalidEmail = errcode.New(errcode.InvalidArgument, "custmatch: invalid e-mail address")

	// ErrInvalidPhone means a phone number cannot be parsed into a valid
	// E.164 number for the given default region.
	ErrInvalidPhone = errcode.New(errcode.InvalidArgument, "custmatch: invalid phone number")

	// ErrUnknownEmailRules means an EmailRules value names no rule set this
	// package knows.
	ErrUnknownEmailRules = errcode.New(errcode.InvalidArgument, "custmatch: unknown e-mail normalization rules")

	// ErrUnknownConsentState means a consent state is not "granted",
	// "denied", "unspecified" or "".
	ErrUnknownConsentState = errcode.New(errcode.InvalidArgument, "custmatch: unknown consent state")
)
