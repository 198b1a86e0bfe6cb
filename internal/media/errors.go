package media

import (
	"fmt"

	"github.com/picfre/picfre/errcode"
)

// Kind classifies why media was refused. The pipeline maps each Kind to its
// own public error code, so a caller can tell a broken upload from an
// unsupported one and from one that is merely too big.
type Kind int

const (
	// KindInvalid means the data is empty, corrupt or truncated: the format
	// was recognised (or nothing was there at all) but the bytes do not form
	// a valid file. Retrying the same bytes will not help.
	KindInvalid Kind = iota + 1
	// KindUnsupported means the data is of a type picfre does not handle:
	// an unknown type, or a recognised one (HEIC, AVIF, PDF, ...) that is
	// not supported, or a supported format using a feature the decoder
	// lacks (for example an animated WebP).
	KindUnsupported
	// KindTooLarge means the byte size or the pixel dimensions exceed the
	// Limits in force. The check happens before any pixel is decoded.
	KindTooLarge
)

// String returns a short lower-case name of the kind.
func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindUnsupported:
		return "unsupported"
	case KindTooLarge:
		return "too large"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Error is the error type returned by every function of this package for
// bad input. Msg is a human-readable reason; it never contains bytes of the
// media itself, so an Error is safe to log and to show to the uploader.
// Err, when set, is the underlying decoder error.
type Error struct {
	Kind   Kind
	Format Format // the detected format, or "" if none was recognised
	Msg    string
	Err    error
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := "media: "
	if e.Format != "" {
		s += string(e.Format) + ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying decoder error, if any.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode maps the kind to picfre's code.
// Is makes errors.Is(err, code) hold for the error's code.
func (e *Error) Is(target error) bool { return e.ErrorCode().Is(target) }

func (e *Error) ErrorCode() errcode.Code {
	switch e.Kind {
	case KindTooLarge:
		return errcode.TooLarge
	case KindUnsupported:
		return errcode.UnsupportedMedia
	}
	return errcode.InvalidMedia
}

func errorf(k Kind, f Format, format string, args ...any) *Error {
	return &Error{Kind: k, Format: f, Msg: fmt.Sprintf(format, args...)}
}
