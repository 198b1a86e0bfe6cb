package media

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// tiffData is a minimal, bounds-checked view of a TIFF structure, as found
// in TIFF files and in EXIF payloads. Only IFD0 is ever read, so there is
// no offset chain to follow and nothing to loop on.
type tiffData struct {
	b     []byte
	order binary.ByteOrder
	ifd0  uint32
}

func newTIFF(b []byte) (tiffData, bool) {
	if len(b) < 8 {
		return tiffData{}, false
	}
	var t tiffData
	switch string(b[:4]) {
	case "II*\x00":
		t.order = binary.LittleEndian
	case "MM\x00*":
		t.order = binary.BigEndian
	default:
		return tiffData{}, false
	}
	t.b = b
	t.ifd0 = t.order.Uint32(b[4:])
	return t, true
}

// eachIFD0 calls fn for each entry of IFD0 that lies fully inside the data,
// with the 4-byte value/offset field; it stops when fn returns false. The
// number of entries visited is bounded by the data length, whatever the
// declared count.
func (t tiffData) eachIFD0(fn func(tag, typ uint16, count uint32, val []byte) bool) {
	off := uint64(t.ifd0)
	if off+2 > uint64(len(t.b)) {
		return
	}
	n := uint64(t.order.Uint16(t.b[off:]))
	room := (uint64(len(t.b)) - off - 2) / 12
	n = min(n, room)
	for i := uint64(0); i < n; i++ {
		e := t.b[off+2+12*i : off+2+12*i+12]
		if !fn(t.order.Uint16(e), t.order.Uint16(e[2:]), t.order.Uint32(e[4:]), e[8:12]) {
			return
		}
	}
}

// scalar decodes a single SHORT or LONG value stored inline.
func (t tiffData) scalar(typ uint16, count uint32, val []byte) (uint32, bool) {
	if count != 1 {
		return 0, false
	}
	switch typ {
	case 3: // SHORT
		return uint32(t.order.Uint16(val)), true
	case 4: // LONG
		return t.order.Uint32(val), true
	}
	return 0, false
}

// exifOrientation returns the Orientation tag (0x0112) of IFD0 of a TIFF
// structure (an EXIF payload after "Exif\0\0"), or 1 when it is missing,
// malformed or out of the range 1..8.
func exifOrientation(b []byte) int {
	t, ok := newTIFF(b)
	if !ok {
		return 1
	}
	o := 1
	t.eachIFD0(func(tag, typ uint16, count uint32, val []byte) bool {
		if tag != 0x0112 {
			return true
		}
		if v, ok := t.scalar(typ, count, val); ok && v >= 1 && v <= 8 {
			o = int(v)
		}
		return false
	})
	return o
}

// classify wraps a decoder error in an *Error with a Kind: unsupported
// variants become KindUnsupported, everything else (corrupt data, early
// EOF) KindInvalid.
func classify(f Format, err error) error {
	var me *Error
	if errors.As(err, &me) {
		return err
	}
	kind := KindInvalid
	var tu tiff.UnsupportedError
	switch {
	case errors.Is(err, bmp.ErrUnsupported), errors.As(err, &tu):
		kind = KindUnsupported
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &Error{Kind: KindInvalid, Format: f, Msg: "truncated file", Err: err}
	default:
		// The standard decoders report unsupported features with an
		// UnsupportedError type per package; match on its text so each
		// package's type need not be listed.
		if strings.Contains(err.Error(), "unsupported") {
			kind = KindUnsupported
		}
	}
	msg := "cannot decode image"
	if kind == KindUnsupported {
		msg = "unsupported image variant"
	}
	return &Error{Kind: kind, Format: f, Msg: msg, Err: err}
}
