package strip

import "encoding/binary"

// exifHeader prefixes the TIFF structure in a JPEG APP1 segment.
const exifHeader = "Exif\x00\x00"

const tagOrientation = 0x0112

// exifOrientation returns the Orientation tag (1–8) of IFD0 of a TIFF
// structure, optionally prefixed by "Exif\0\0", or 0 when there is none or
// the structure is damaged. It reads only within b.
func exifOrientation(b []byte) int {
	if len(b) >= len(exifHeader) && string(b[:len(exifHeader)]) == exifHeader {
		b = b[len(exifHeader):]
	}
	if len(b) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(b[2:]) != 42 {
		return 0
	}
	off := uint64(bo.Uint32(b[4:]))
	if off < 8 || off+2 > uint64(len(b)) {
		return 0
	}
	n := uint64(bo.Uint16(b[off:]))
	entries := off + 2
	for i := uint64(0); i < n; i++ {
		e := entries + 12*i
		if e+12 > uint64(len(b)) {
			return 0
		}
		if bo.Uint16(b[e:]) != tagOrientation {
			continue
		}
		// SHORT (3), count 1: the value sits in the first two bytes of
		// the value field.
		if bo.Uint16(b[e+2:]) != 3 || bo.Uint32(b[e+4:]) != 1 {
			return 0
		}
		v := int(bo.Uint16(b[e+8:]))
		if v < 1 || v > 8 {
			return 0
		}
		return v
	}
	return 0
}

// minimalTIFFLen is the size of the structure minimalTIFF writes.
const minimalTIFFLen = 8 + 2 + 12 + 4

// minimalTIFF returns a big-endian TIFF structure whose only IFD holds one
// entry, Orientation = v. It carries nothing else: no byte of the source
// EXIF is copied.
func minimalTIFF(v int) []byte {
	b := make([]byte, 0, minimalTIFFLen)
	b = append(b, 'M', 'M', 0, 42, 0, 0, 0, 8) // header, IFD0 at offset 8
	b = append(b, 0, 1)                        // one entry
	b = binary.BigEndian.AppendUint16(b, tagOrientation)
	b = append(b, 0, 3, 0, 0, 0, 1) // SHORT, count 1
	b = binary.BigEndian.AppendUint16(b, uint16(v))
	b = append(b, 0, 0)       // value padding
	b = append(b, 0, 0, 0, 0) // no next IFD
	return b
}

// keptOrientation decides whether to keep the orientation of an EXIF block
// of size blockLen (whole block as it sits in the file) whose payload is
// exif, when the replacement needs newLen bytes. It returns the orientation
// to keep or 0.
func keptOrientation(opt Options, exif []byte, blockLen, newLen int) int {
	if opt.DropOrientation || newLen > blockLen {
		return 0
	}
	if v := exifOrientation(exif); v > 1 {
		return v
	}
	return 0
}
