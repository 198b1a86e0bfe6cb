package stock

import (
	"fmt"

	"github.com/picfre/picfre/errcode"
)

// Sentinel errors. Test with errors.Is; each says what a caller should do.
var (
	// ErrUnknownAgency: Lookup found no profile for the name. Show the
	// caller the names Profiles returns.
	ErrUnknownAgency = errcode.New(errcode.InvalidArgument, "stock: unknown agency")
	// ErrNoCSV: the agency takes no CSV upload (Getty, Envato, ...).
	// Write the metadata into the files or into sidecars instead.
	ErrNoCSV = errcode.New(errcode.InvalidArgument, "stock: agency has no CSV upload format")
	// ErrInvalidJPEG: the bytes are not a JPEG this package can rewrite
	// (no SOI, truncated segment, no image data). The file is left alone.
	ErrInvalidJPEG = errcode.New(errcode.InvalidMedia, "stock: invalid JPEG")
	// ErrInvalidXMP: the file's existing XMP packet is not well-formed
	// RDF/XML, so it cannot be merged without losing data.
	ErrInvalidXMP = errcode.New(errcode.InvalidMedia, "stock: invalid XMP")
	// ErrInvalidIPTC: the file's Photoshop APP13 block is malformed, so
	// its other resources cannot be kept.
	ErrInvalidIPTC = errcode.New(errcode.InvalidMedia, "stock: invalid IPTC/Photoshop block")
	// ErrTooLarge: the metadata does not fit the container (a JPEG segment
	// holds at most 65,533 bytes; a CSV row is larger than an agency's
	// file limit). Shorten the metadata.
	ErrTooLarge = errcode.New(errcode.TooLarge, "stock: metadata too large")
)

// FormatError describes malformed input bytes. Kind is one of
// ErrInvalidJPEG, ErrInvalidXMP or ErrInvalidIPTC, so errors.Is works.
// The message carries an offset and a reason, never the bytes themselves.
type FormatError struct {
	Kind   error
	Offset int64 // byte offset in the input where the problem was found, -1 if unknown
	Reason string
}

// Error returns the kind, the reason and the offset.
func (e *FormatError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("%v: %s at offset %d", e.Kind, e.Reason, e.Offset)
	}
	return fmt.Sprintf("%v: %s", e.Kind, e.Reason)
}

// Unwrap returns Kind.
func (e *FormatError) Unwrap() error { return e.Kind }

func formatErr(kind error, off int, reason string) error {
	return &FormatError{Kind: kind, Offset: int64(off), Reason: reason}
}
