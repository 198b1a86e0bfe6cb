package privacy

import (
	"fmt"

	"github.com/picfre/picfre/errcode"
)

// Sentinel errors. Callers branch on them with [errors.Is]; the wrapped
// errors carry details such as the image format and the byte offset.
var (
	// ErrUnsupportedFormat means the content is not a JPEG, PNG or WebP
	// image (the format is sniffed from the bytes, never from a file name).
	// Do not retry; pass the file on unchanged only if it is known to carry
	// no metadata, otherwise reject it.
	ErrUnsupportedFormat = errcode.New(errcode.UnsupportedMedia, "privacy: unsupported image format")

	// ErrMalformed means the image is damaged in a way that makes it
	// impossible to remove the metadata safely. Nothing is written.
	ErrMalformed = errcode.New(errcode.InvalidMedia, "privacy: malformed image")

	// ErrTooLarge means the input is larger than StripOptions.MaxBytes.
	ErrTooLarge = errcode.New(errcode.TooLarge, "privacy: image too large")

	// ErrInvalidEmail means an e-mail address cannot be normalized: it is
	// empty, has no single '@', or has an empty local part or domain.
	ErrInvalidEmail = errcode.New(errcode.InvalidArgument, "privacy: invalid e-mail address")

	// ErrInvalidPhone means a phone number cannot be parsed into a valid
	// E.164 number for the given default region.
	ErrInvalidPhone = errcode.New(errcode.InvalidArgument, "privacy: invalid phone number")

	// ErrUnknownEmailRules means an EmailRules value names no rule set this
	// package knows.
	ErrUnknownEmailRules = errcode.New(errcode.InvalidArgument, "privacy: unknown e-mail normalization rules")

	// ErrUnknownKey means a pseudonym names a key id the Pseudonymizer does
	// not hold (it was retired, or the pseudonym is foreign or corrupt).
	ErrUnknownKey = errcode.New(errcode.InvalidArgument, "privacy: unknown pseudonym key id")

	// ErrInvalidKey means a pseudonym key or key id is unusable (too short,
	// empty, or the id contains ':').
	ErrInvalidKey = errcode.New(errcode.InvalidArgument, "privacy: invalid pseudonym key")

	// ErrBadPseudonym means a string is not of the form "keyid:hex".
	ErrBadPseudonym = errcode.New(errcode.InvalidArgument, "privacy: malformed pseudonym")

	// ErrBirthDateUnknown means the birth date is the zero time.
	ErrBirthDateUnknown = errcode.New(errcode.InvalidArgument, "privacy: birth date unknown")

	// ErrBirthDateInFuture means the birth date lies after "now".
	ErrBirthDateInFuture = errcode.New(errcode.InvalidArgument, "privacy: birth date in the future")
)

// FormatError describes why an image could not be stripped. It matches
// [ErrMalformed] with [errors.Is]. It never contains image bytes.
type FormatError struct {
	Format string // "jpeg", "png" or "webp"
	Offset int    // byte offset in the input where the problem was found
	Reason string // short description, e.g. "segment length beyond end of data"
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("privacy: malformed %s at offset %d: %s", e.Format, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *FormatError) Unwrap() error { return ErrMalformed }

func malformed(format string, off int, reason string) error {
	return &FormatError{Format: format, Offset: off, Reason: reason}
}
