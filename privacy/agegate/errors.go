package agegate

import "github.com/picfre/picfre/errcode"

// Sentinel errors, both with code InvalidArgument: ask the person for a
// valid date of birth. The errors never hold the date.
var (
	// ErrBirthDateUnknown means the birth date is the zero time.
	ErrBirthDateUnknown = errcode.New(errcode.InvalidArgument, "agegate: birth date unknown")

	// ErrBirthDateInFuture means the birth date lies after "now".
	ErrBirthDateInFuture = errcode.New(errcode.InvalidArgument, "agegate: birth date in the future")
)
