package stock

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// xmpToUTF8 returns an XMP packet or sidecar as UTF-8, detecting its
// encoding the way the XMP specification (part 3, 1.1.3 and the
// packet wrapper's byte-order mark) says a reader must: from a
// byte-order mark, or else from the pattern of zero bytes around the
// packet's first character, "<" (U+003C):
//
//	EF BB BF      UTF-8 with BOM   3C            UTF-8
//	FE FF         UTF-16BE         00 3C         UTF-16BE
//	FF FE         UTF-16LE         3C 00 (xx)    UTF-16LE
//	00 00 FE FF   UTF-32BE         00 00 00 3C   UTF-32BE
//	FF FE 00 00   UTF-32LE         3C 00 00 00   UTF-32LE
//
// The byte-order mark is dropped. Unpaired surrogates and code points
// that are not Unicode become U+FFFD; a trailing partial code unit fails
// with ErrInvalidXMP. Anything else is returned as it is (UTF-8, or
// bytes the XML parser then refuses).
func xmpToUTF8(b []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0xFE, 0xFF}):
		return utf32ToUTF8(b[4:], binary.BigEndian)
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0x00, 0x00}):
		return utf32ToUTF8(b[4:], binary.LittleEndian)
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0x00, 0x3C}):
		return utf32ToUTF8(b, binary.BigEndian)
	case bytes.HasPrefix(b, []byte{0x3C, 0x00, 0x00, 0x00}):
		return utf32ToUTF8(b, binary.LittleEndian)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return utf16ToUTF8(b[2:], binary.BigEndian)
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return utf16ToUTF8(b[2:], binary.LittleEndian)
	case bytes.HasPrefix(b, []byte{0x00, 0x3C}):
		return utf16ToUTF8(b, binary.BigEndian)
	case bytes.HasPrefix(b, []byte{0x3C, 0x00}):
		return utf16ToUTF8(b, binary.LittleEndian)
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:], nil
	}
	return b, nil
}

func utf16ToUTF8(b []byte, order binary.ByteOrder) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, formatErr(ErrInvalidXMP, len(b), "truncated UTF-16")
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = order.Uint16(b[2*i:])
	}
	out := make([]byte, 0, len(b))
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return dropBOM(out), nil
}

func utf32ToUTF8(b []byte, order binary.ByteOrder) ([]byte, error) {
	if len(b)%4 != 0 {
		return nil, formatErr(ErrInvalidXMP, len(b), "truncated UTF-32")
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i += 4 {
		r := rune(order.Uint32(b[i:]))
		if !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		out = utf8.AppendRune(out, r)
	}
	return dropBOM(out), nil
}

// dropBOM removes a byte-order mark left at the start after decoding
// a packet whose encoding was detected without one.
func dropBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\uFEFF")) }

// xmlCharsetReader lets the XML decoder accept a declaration naming the
// Unicode encoding xmpToUTF8 has already decoded the packet from
// (<?xml version="1.0" encoding="UTF-16"?>): the bytes it reads are
// UTF-8 by then. Any other encoding stays unsupported.
func xmlCharsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.ReplaceAll(label, "_", "-")) {
	case "utf-16", "utf-16be", "utf-16le", "utf-32", "utf-32be", "utf-32le", "ucs-2", "ucs-4", "unicode":
		return r, nil
	}
	return nil, formatErr(ErrInvalidXMP, -1, "unsupported XML encoding")
}
