package jpegdec

import (
	"image"
)

// Options tunes Decode. The zero value decodes at full size.
type Options struct {
	// Scale is the divisor of the output size: 1, 2, 4 or 8 (0 means 1).
	// The output is ceil(w/Scale) × ceil(h/Scale) (libjpeg's rule).
	Scale int
}

// ErrorKind classifies a decoding failure.
type ErrorKind int

const (
	// KindInvalid means the data is corrupt or truncated.
	KindInvalid ErrorKind = iota + 1
	// KindUnsupported means a valid JPEG uses a feature this package does
	// not implement (12-bit samples, arithmetic coding, lossless,
	// hierarchical, DNL, or a component layout it does not handle). The
	// caller should fall back to image/jpeg.
	KindUnsupported
)

// String names the kind.
func (k ErrorKind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindUnsupported:
		return "unsupported"
	}
	return "unknown"
}

// Error is the type of every error Decode returns.
type Error struct {
	Kind ErrorKind
	// Msg describes the failure; it never contains input bytes.
	Msg string
}

func (e *Error) Error() string {
	return "jpegdec: " + e.Kind.String() + ": " + e.Msg
}

func invalid(msg string) *Error     { return &Error{Kind: KindInvalid, Msg: msg} }
func unsupported(msg string) *Error { return &Error{Kind: KindUnsupported, Msg: msg} }

// Decode decodes a JPEG held in memory. See the package documentation for
// the image types it returns and what it supports.
func Decode(data []byte, opt Options) (image.Image, error) {
	scale := opt.Scale
	switch scale {
	case 0:
		scale = 1
	case 1, 2, 4, 8:
	default:
		return nil, unsupported("scale must be 1, 2, 4 or 8")
	}
	d := decoder{data: data, scale: scale, bs: 8 / scale}
	img, err := d.decode()
	if err != nil {
		return nil, err
	}
	return img, nil
}

// ScaleFor returns the largest Scale in {8,4,2,1} whose output long edge
// ceil(max(w,h)/Scale) is still >= longEdge (1 when longEdge <= 0 or the
// image is already no larger than longEdge).
func ScaleFor(w, h, longEdge int) int {
	long := max(w, h)
	if longEdge <= 0 || long <= longEdge {
		return 1
	}
	for _, s := range [...]int{8, 4, 2} {
		if (long+s-1)/s >= longEdge {
			return s
		}
	}
	return 1
}
