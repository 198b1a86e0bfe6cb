package strip

import (
	"fmt"

	"github.com/picfre/picfre/errcode"
)

// Sentinel errors. Callers branch on them with [errors.Is] (or on their
// code with [errcode.Of]); the wrapped errors carry details such as the
// image format and the byte offset, never image bytes.
var (
	// ErrUnsupportedFormat means the content is not a JPEG, PNG or WebP
	// image (the format is sniffed from the bytes, never from a file
	// name). Code UnsupportedMedia. Do not retry; pass the file on
	// unchanged only if it is known to carry no metadata, otherwise
	// reject it.
	ErrUnsupportedFormat = errcode.New(errcode.UnsupportedMedia, "strip: unsupported image format")

	// ErrMalformed means the image is damaged in a way that makes it
	// impossible to remove the metadata safely. Code InvalidMedia.
	// Nothing is written.
	ErrMalformed = errcode.New(errcode.InvalidMedia, "strip: malformed image")

	// ErrTooLarge means the input is larger than Options.MaxBytes. Code
	// TooLarge.
	ErrTooLarge = errcode.New(errcode.TooLarge, "strip: image too large")
)

// FormatError describes why an image could not be stripped. It matches
// [ErrMalformed] with [errors.Is] and answers [errcode.Of] with
// InvalidMedia. It never contains image bytes.
type FormatError struct {
	Format Format // JPEG, PNG or WebP
	Offset int    // byte offset in the input where the problem was found
	Reason string // short description, e.g. "segment length beyond end of data"
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("strip: malformed %s at offset %d: %s", e.Format, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *FormatError) Unwrap() error { return ErrMalformed }

func malformed(format Format, off int, reason string) error {
	return &FormatError{Format: format, Offset: off, Reason: reason}
}
