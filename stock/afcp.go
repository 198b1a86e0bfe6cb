package stock

import (
	"bytes"
	"encoding/binary"
	"math"
)

// AFCP (the AXS File Concatenation Protocol) is a trailer appended after a
// JPEG's image data: a header ("AXS!" for big-endian or "AXS*" for
// little-endian numbers, a 2-byte version, a 2-byte entry count, a 4-byte
// checksum), a directory of 12-byte entries (a 4-byte tag, a 4-byte size,
// a 4-byte offset of the entry's data from the start of the file), the
// data, and a 12-byte end record at the very end of the file (the
// signature, the header's offset from the start of the file, a
// checksum). Its offsets are absolute, so inserting bytes before it (a
// bigger XMP packet) breaks them unless they move by the same amount;
// ExifTool then warns "Adjusted AFCP offsets" and guesses them by
// scanning.

// afcpTrailer is the position of a well-formed AFCP trailer at the end of
// src, at or after from: the header's offset, the byte order and the
// entry count. ok is false when there is none, or when its offsets do not
// agree with the file (the trailer was already broken by another tool:
// it is left as it is).
func afcpTrailer(src []byte, from int) (start int, order binary.ByteOrder, entries int, ok bool) {
	n := len(src)
	if n-from < 24 {
		return 0, nil, 0, false
	}
	end := src[n-12:]
	switch {
	case bytes.HasPrefix(end, []byte("AXS!")):
		order = binary.BigEndian
	case bytes.HasPrefix(end, []byte("AXS*")):
		order = binary.LittleEndian
	default:
		return 0, nil, 0, false
	}
	start64 := int64(order.Uint32(end[4:]))
	if start64 < int64(from) || start64+12 > int64(n-12) {
		return 0, nil, 0, false
	}
	start = int(start64)
	if !bytes.Equal(src[start:start+4], end[:4]) {
		return 0, nil, 0, false
	}
	entries = int(order.Uint16(src[start+6:]))
	dirEnd := start + 12 + 12*entries
	if dirEnd > n-12 {
		return 0, nil, 0, false
	}
	for i := range entries {
		e := src[start+12+12*i:]
		size, off := int64(order.Uint32(e[4:])), int64(order.Uint32(e[8:]))
		if off < int64(from) || off+size > int64(n-12) {
			return 0, nil, 0, false
		}
	}
	return start, order, entries, true
}

// shiftAFCP moves the offsets of the AFCP trailer at the end of out by
// shift bytes, when src (which out copies from its image data on, the
// image data having moved from srcSOS to outSOS) has a well-formed one.
// Everything else is left as it is.
func shiftAFCP(out, src []byte, srcSOS, outSOS int) {
	shift := int64(outSOS - srcSOS)
	if shift == 0 {
		return
	}
	start, order, entries, ok := afcpTrailer(src, srcSOS)
	if !ok {
		return
	}
	fits := func(v int64) bool { return v >= 0 && v <= math.MaxUint32 }
	if !fits(int64(len(out))) {
		return // 32-bit offsets cannot reach past 4 GiB
	}
	at := start + int(shift) // the header's position in out
	put := func(p []byte) {
		v := int64(order.Uint32(p)) + shift
		if fits(v) {
			order.PutUint32(p, uint32(v))
		}
	}
	for i := range entries {
		put(out[at+12+12*i+8:])
	}
	put(out[len(out)-8:])
}
