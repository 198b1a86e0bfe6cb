package strip

import (
	"bytes"
	"encoding/binary"
)

// JPEG markers used below (ITU T.81 table B.1).
const (
	jpegSOI   = 0xD8
	jpegEOI   = 0xD9
	jpegSOS   = 0xDA
	jpegRST0  = 0xD0
	jpegRST7  = 0xD7
	jpegAPP0  = 0xE0
	jpegAPP1  = 0xE1
	jpegAPP2  = 0xE2
	jpegAPP13 = 0xED
	jpegAPP14 = 0xEE
	jpegAPP15 = 0xEF
	jpegCOM   = 0xFE
)

// stripJPEG copies a JPEG, leaving out metadata segments.
//
// The walk follows the same rules as the decoders (Go's image/jpeg and
// libjpeg): bytes between segments that are not a marker are skipped over
// (and kept), fill bytes 0xFF may precede a marker, RST markers carry no
// length, and entropy-coded data after SOS runs until the first 0xFF that
// is followed by neither 0x00 nor an RST marker. Only whole APPn and COM
// segments (with their fill bytes) and data after EOI are removed, so a
// decoder sees exactly the same stream minus segments it ignores.
func stripJPEG(data []byte, opt Options) ([]byte, Report, error) {
	rep := Report{Format: JPEG}
	out := make([]byte, 0, len(data))
	out = append(out, data[:2]...) // SOI; sniff checked it
	pos := 2
	seenExif := false
	for {
		// Copy anything that is not a marker (decoders skip it too).
		start := pos
		for pos < len(data) && data[pos] != 0xFF {
			pos++
		}
		if pos+1 >= len(data) {
			// End of data without EOI: keep what there is. Decoders
			// that accept truncated files still find the same bytes.
			out = append(out, data[start:]...)
			return out, rep, nil
		}
		out = append(out, data[start:pos]...)
		markerAt := pos // first 0xFF, fill bytes included
		m := data[pos+1]
		if m == 0x00 {
			// "\xff\x00" between segments is extraneous data.
			out = append(out, data[pos:pos+2]...)
			pos += 2
			continue
		}
		pos++
		for m == 0xFF {
			pos++
			if pos >= len(data) {
				out = append(out, data[markerAt:]...)
				return out, rep, nil
			}
			m = data[pos]
		}
		pos++ // past the marker byte
		switch {
		case m == jpegEOI:
			out = append(out, data[markerAt:pos]...)
			if pos < len(data) {
				rep.Removed = append(rep.Removed, "trailing data")
			}
			return out, rep, nil
		case m >= jpegRST0 && m <= jpegRST7, m == 0x01 /* TEM */, m == jpegSOI:
			// No length field. A stray SOI is left for the decoder to judge.
			out = append(out, data[markerAt:pos]...)
			continue
		}
		if pos+2 > len(data) {
			return nil, rep, malformed(JPEG, markerAt, "segment length beyond end of data")
		}
		segLen := int(binary.BigEndian.Uint16(data[pos:]))
		if segLen < 2 {
			return nil, rep, malformed(JPEG, markerAt, "short segment length")
		}
		end := pos + segLen
		if end > len(data) {
			return nil, rep, malformed(JPEG, markerAt, "segment beyond end of data")
		}
		payload := data[pos+2 : end]
		keep, name := jpegKeep(m, payload, opt)
		switch {
		case keep:
			out = append(out, data[markerAt:end]...)
		case m == jpegAPP1 && !seenExif && hasPrefix(payload, exifHeader):
			// Viewers read the orientation from the first EXIF block.
			seenExif = true
			seg := jpegOrientationSegment(opt, payload, end-markerAt)
			if seg != nil {
				rep.KeptOrientation = exifOrientation(payload)
				out = append(out, seg...)
			}
			if !bytes.Equal(seg, data[markerAt:end]) {
				rep.Removed = append(rep.Removed, name)
			}
		default:
			rep.Removed = append(rep.Removed, name)
		}
		pos = end
		if m == jpegSOS {
			pos = jpegScanEnd(data, pos)
			out = append(out, data[end:pos]...)
		}
	}
}

// jpegScanEnd returns the offset of the 0xFF that starts the first marker
// after entropy-coded data beginning at pos (fill bytes belong to the
// marker), or len(data).
func jpegScanEnd(data []byte, pos int) int {
	for {
		i := bytes.IndexByte(data[pos:], 0xFF)
		if i < 0 {
			return len(data)
		}
		pos += i
		if pos+1 >= len(data) {
			return len(data)
		}
		next := data[pos+1]
		switch {
		case next == 0x00, next >= jpegRST0 && next <= jpegRST7:
			pos += 2
		case next == 0xFF:
			// A run of fill bytes: the marker starts at the first of them
			// when a real marker follows.
			j := pos + 1
			for j < len(data) && data[j] == 0xFF {
				j++
			}
			if j >= len(data) {
				return len(data)
			}
			if data[j] == 0x00 || (data[j] >= jpegRST0 && data[j] <= jpegRST7) {
				pos = j + 1
				continue
			}
			return pos
		default:
			return pos
		}
	}
}

// jpegKeep says whether to keep a segment with marker m, and names it for
// the report when it is dropped.
func jpegKeep(m byte, payload []byte, opt Options) (bool, string) {
	switch {
	case m == jpegCOM:
		return false, "COM"
	case m == jpegAPP0:
		if hasPrefix(payload, "JFIF\x00") {
			return true, ""
		}
		return false, "APP0 " + appName(payload)
	case m == jpegAPP2:
		if hasPrefix(payload, "ICC_PROFILE\x00") && !opt.DropICC {
			return true, ""
		}
		return false, "APP2 " + appName(payload)
	case m == jpegAPP14:
		if hasPrefix(payload, "Adobe") {
			return true, ""
		}
		return false, "APP14 " + appName(payload)
	case m >= jpegAPP0 && m <= jpegAPP15:
		return false, "APP" + itoa(int(m-jpegAPP0)) + " " + appName(payload)
	}
	return true, ""
}

// jpegOrientationSegment returns an APP1 segment holding only the
// orientation of the EXIF payload, or nil when none is to be kept.
func jpegOrientationSegment(opt Options, payload []byte, blockLen int) []byte {
	const segLen = 2 + 2 + len(exifHeader) + minimalTIFFLen
	v := keptOrientation(opt, payload, blockLen, segLen)
	if v == 0 {
		return nil
	}
	seg := make([]byte, 0, segLen)
	seg = append(seg, 0xFF, jpegAPP1)
	seg = binary.BigEndian.AppendUint16(seg, uint16(segLen-2))
	seg = append(seg, exifHeader...)
	seg = append(seg, minimalTIFF(v)...)
	return seg
}

// appName is the identifier at the start of an APPn payload ("Exif",
// "http://ns.adobe.com/xap/1.0/" is shortened to "XMP"), for reports only.
// It contains printable ASCII only, at most 16 bytes.
func appName(p []byte) string {
	switch {
	case hasPrefix(p, "Exif\x00"):
		return "Exif"
	case hasPrefix(p, "http://ns.adobe.com/xap/1.0/\x00"):
		return "XMP"
	case hasPrefix(p, "http://ns.adobe.com/xmp/extension/\x00"):
		return "ExtendedXMP"
	case hasPrefix(p, "Photoshop 3.0\x00"):
		return "Photoshop"
	}
	n := 0
	for n < len(p) && n < 16 && p[n] >= 0x20 && p[n] < 0x7F {
		n++
	}
	if n == 0 {
		return "?"
	}
	return string(p[:n])
}

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}
