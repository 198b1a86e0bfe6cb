package stock

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// JPEG markers used here.
const (
	markerSOI   = 0xD8
	markerEOI   = 0xD9
	markerSOS   = 0xDA
	markerAPP0  = 0xE0
	markerAPP1  = 0xE1
	markerAPP13 = 0xED
)

// maxSegmentPayload is the most a JPEG marker segment can carry: the
// 16-bit length counts itself.
const maxSegmentPayload = 0xFFFF - 2

var (
	xmpHeader       = []byte("http://ns.adobe.com/xap/1.0/\x00")
	exifHeader      = []byte("Exif\x00")
	photoshopHeader = []byte("Photoshop 3.0\x00")
)

// segment is one marker segment before the scan data. start..end covers
// the whole segment in the source, marker bytes included.
type segment struct {
	marker     byte
	start, end int
	payload    []byte
}

// parseJPEG splits src into the marker segments before the first SOS and
// the offset of that SOS. Everything from the SOS on is the image data,
// which callers copy untouched.
func parseJPEG(src []byte) ([]segment, int, error) {
	if len(src) < 4 || src[0] != 0xFF || src[1] != markerSOI {
		return nil, 0, formatErr(ErrInvalidJPEG, 0, "no SOI marker")
	}
	var segs []segment
	i := 2
	for {
		start := i
		if i >= len(src) {
			return nil, 0, formatErr(ErrInvalidJPEG, i, "no image data (SOS) before end of file")
		}
		if src[i] != 0xFF {
			return nil, 0, formatErr(ErrInvalidJPEG, i, "expected a marker")
		}
		for i < len(src) && src[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(src) {
			return nil, 0, formatErr(ErrInvalidJPEG, i, "truncated marker")
		}
		m := src[i]
		i++
		switch {
		case m == markerSOS:
			return segs, start, nil
		case m == markerEOI:
			return nil, 0, formatErr(ErrInvalidJPEG, start, "EOI before image data")
		case m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7) || m == markerSOI:
			return nil, 0, formatErr(ErrInvalidJPEG, start, "unexpected standalone marker")
		}
		if i+2 > len(src) {
			return nil, 0, formatErr(ErrInvalidJPEG, i, "truncated segment length")
		}
		n := int(binary.BigEndian.Uint16(src[i:]))
		if n < 2 || i+n > len(src) {
			return nil, 0, formatErr(ErrInvalidJPEG, i, "segment length out of range")
		}
		segs = append(segs, segment{marker: m, start: start, end: i + n, payload: src[i+2 : i+n]})
		i += n
	}
}

func (s segment) isXMP() bool {
	return s.marker == markerAPP1 && bytes.HasPrefix(s.payload, xmpHeader)
}

func (s segment) isExif() bool {
	return s.marker == markerAPP1 && bytes.HasPrefix(s.payload, exifHeader)
}

func (s segment) isPhotoshop() bool {
	return s.marker == markerAPP13 && bytes.HasPrefix(s.payload, photoshopHeader)
}

func appendSegment(dst []byte, marker byte, parts ...[]byte) ([]byte, error) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > maxSegmentPayload {
		return nil, ErrTooLarge
	}
	dst = append(dst, 0xFF, marker, byte((n+2)>>8), byte(n+2))
	for _, p := range parts {
		dst = append(dst, p...)
	}
	return dst, nil
}

// JPEGOptions adjusts WriteJPEG. The zero value writes XMP and IPTC.
type JPEGOptions struct {
	// Language, when set (BCP 47, e.g. "de"), adds a language-tagged
	// alternative beside x-default to dc:title and dc:description.
	Language string
	// SkipIPTC writes XMP only and leaves any IPTC block as it is.
	SkipIPTC bool
}

// WriteJPEG returns a copy of the JPEG src with m written into it: an XMP
// packet (dc:title, dc:description, dc:subject, photoshop:Headline) and
// its IPTC IIM mirror (ObjectName, Headline, Caption-Abstract, Keywords,
// CodedCharacterSet UTF-8), each replacing its previous value.
//
// Empty fields of m are not written and the file's existing value, if
// any, is kept. Everything else is kept: EXIF (copyright, artist, ...),
// ICC profiles, other XMP properties (dc:rights, dc:creator, xmpRights,
// photoshop fields, ...), other IPTC datasets (By-line, CopyrightNotice,
// ...) and other Photoshop resources. The bytes from the first SOS marker
// to the end of the file are copied unchanged, so the image data is
// byte-identical, with one exception: an AFCP trailer after the image
// (which holds offsets from the start of the file) has its offsets moved
// by the bytes the new metadata added or removed, so that it stays
// valid.
//
// Limits: the XMP packet must fit one APP1 segment (about 64 KB; extended
// XMP segments are kept but not rewritten); properties outside
// rdf:Description elements in the old packet are not kept; IPTC values
// are cut to their IIM byte limits on UTF-8 boundaries (ObjectName 64,
// Headline 256, Caption 2,000, each keyword 64); text in an old IPTC block
// without a UTF-8 declaration is read as Latin-1 and rewritten as UTF-8.
//
// Bad input gives an error wrapping ErrInvalidJPEG, ErrInvalidXMP or
// ErrInvalidIPTC; oversized metadata gives ErrTooLarge. Safe for
// concurrent use.
func WriteJPEG(src []byte, m Metadata, opt JPEGOptions) ([]byte, error) {
	segs, sos, err := parseJPEG(src)
	if err != nil {
		return nil, err
	}
	var oldXMP []byte
	var oldPS [][]byte
	insert := 0 // index in segs before which the new segments go
	for i, s := range segs {
		if s.isXMP() && oldXMP == nil {
			oldXMP = s.payload[len(xmpHeader):]
		}
		if s.isPhotoshop() {
			oldPS = append(oldPS, s.payload[len(photoshopHeader):])
		}
		if insert == i && (s.marker == markerAPP0 || s.isExif()) {
			insert = i + 1
		}
	}
	packet, err := mergeXMP(oldXMP, m, opt.Language)
	if err != nil {
		return nil, err
	}
	var ps []byte
	if !opt.SkipIPTC {
		ps, err = buildPhotoshop(bytes.Join(oldPS, nil), m)
		if err != nil {
			return nil, err
		}
	}

	out := make([]byte, 0, len(src)+len(packet)+len(ps)+64)
	out = append(out, 0xFF, markerSOI)
	emit := func() error {
		var err error
		if out, err = appendSegment(out, markerAPP1, xmpHeader, packet); err != nil {
			return formatSizeErr("XMP packet", len(packet))
		}
		if ps != nil {
			if out, err = appendSegment(out, markerAPP13, photoshopHeader, ps); err != nil {
				return formatSizeErr("IPTC block", len(ps))
			}
		}
		return nil
	}
	for i, s := range segs {
		if i == insert {
			if err := emit(); err != nil {
				return nil, err
			}
		}
		if s.isXMP() || (s.isPhotoshop() && !opt.SkipIPTC) {
			continue
		}
		out = append(out, src[s.start:s.end]...)
	}
	if insert == len(segs) {
		if err := emit(); err != nil {
			return nil, err
		}
	}
	osos := len(out)
	out = append(out, src[sos:]...)
	shiftAFCP(out, src, sos, osos)
	return out, nil
}

func formatSizeErr(what string, n int) error {
	return fmt.Errorf("%w: %s of %d bytes does not fit a JPEG segment", ErrTooLarge, what, n)
}

// ReadJPEG returns the title, description and keywords embedded in a
// JPEG: from XMP when present, else from IPTC. Categories are not read.
// Bad input gives an error wrapping ErrInvalidJPEG, ErrInvalidXMP or
// ErrInvalidIPTC. Safe for concurrent use.
func ReadJPEG(src []byte) (Metadata, error) {
	segs, _, err := parseJPEG(src)
	if err != nil {
		return Metadata{}, err
	}
	var m Metadata
	var ps [][]byte
	for _, s := range segs {
		if s.isXMP() && m.Title == "" && m.Description == "" && m.Keywords == nil {
			if m, err = ReadXMP(s.payload[len(xmpHeader):]); err != nil {
				return Metadata{}, err
			}
		}
		if s.isPhotoshop() {
			ps = append(ps, s.payload[len(photoshopHeader):])
		}
	}
	if len(ps) > 0 && (m.Title == "" || m.Description == "" || m.Keywords == nil) {
		im, err := readIPTCFromPhotoshop(bytes.Join(ps, nil))
		if err != nil {
			return Metadata{}, err
		}
		if m.Title == "" {
			m.Title = im.Title
		}
		if m.Description == "" {
			m.Description = im.Description
		}
		if m.Keywords == nil {
			m.Keywords = im.Keywords
		}
	}
	return m, nil
}
