package strip

import (
	"bytes"
	"encoding/binary"
)

// VP8X flag bits (WebP container specification).
const (
	vp8xICC  = 0x20
	vp8xEXIF = 0x08
	vp8xXMP  = 0x04
)

// stripWebP copies a WebP (RIFF) file chunk by chunk, leaving out EXIF,
// XMP and unknown chunks, clearing the matching VP8X flags and fixing the
// RIFF size. Data after the RIFF chunk is dropped.
//
// Decoders stop reading at the first image chunk, so a damaged chunk after
// it is cut off (with everything after it) rather than rejected; a damaged
// chunk before it is an error. An image chunk cut short by the end of the
// file is kept as it is, with the RIFF size it declares.
func stripWebP(data []byte, opt Options) ([]byte, Report, error) {
	rep := Report{Format: WebP}
	riffEnd := uint64(8) + uint64(binary.LittleEndian.Uint32(data[4:]))
	limit := len(data)
	if riffEnd < uint64(limit) {
		limit = int(riffEnd)
		rep.Removed = append(rep.Removed, "trailing data")
	}
	out := make([]byte, 0, len(data))
	out = append(out, data[:12]...) // RIFF, size (fixed below), WEBP
	declared := 4                   // RIFF size of what is written: "WEBP" + chunks
	pos := 12
	vp8xAt := -1 // offset in out of the VP8X flags byte
	seenImage, seenExif, keptExif := false, false, false
	for pos < limit {
		if pos+8 > limit {
			if !seenImage {
				return nil, rep, malformed(WebP, pos, "chunk header beyond end of data")
			}
			rep.Removed = append(rep.Removed, "truncated chunk")
			break
		}
		fourCC := string(data[pos : pos+4])
		n := uint64(binary.LittleEndian.Uint32(data[pos+4:]))
		padded := n + n&1
		end := uint64(pos) + 8 + padded
		image := fourCC == "VP8 " || fourCC == "VP8L"
		keep := false
		switch fourCC {
		case "VP8X", "VP8 ", "VP8L", "ALPH", "ANIM", "ANMF":
			keep = true
		case "ICCP":
			keep = !opt.DropICC
		}
		if end > uint64(limit) {
			if keep && image && end <= riffEnd {
				// An image chunk cut short by the end of the file (not
				// by the RIFF size): keep it as it is.
				out = append(out, data[pos:limit]...)
				declared += int(8 + padded)
				seenImage = true
				break
			}
			if !seenImage {
				return nil, rep, malformed(WebP, pos, "chunk beyond end of data")
			}
			rep.Removed = append(rep.Removed, "truncated chunk")
			break
		}
		if fourCC == "VP8X" && vp8xAt < 0 && n >= 1 {
			vp8xAt = len(out) + 8
		}
		if keep {
			out = append(out, data[pos:end]...)
			declared += int(end) - pos
		} else if fourCC == "EXIF" && !seenExif {
			seenExif = true
			body := data[pos+8 : uint64(pos)+8+n]
			v := keptOrientation(opt, body, int(end)-pos, 8+minimalTIFFLen)
			if v != 0 {
				rep.KeptOrientation = v
				out = append(out, "EXIF"...)
				out = binary.LittleEndian.AppendUint32(out, minimalTIFFLen)
				out = append(out, minimalTIFF(v)...) // even length: no padding
				declared += 8 + minimalTIFFLen
				keptExif = true
			}
			if v == 0 || !bytes.Equal(body, minimalTIFF(v)) {
				rep.Removed = append(rep.Removed, "EXIF")
			}
		} else {
			rep.Removed = append(rep.Removed, printableFourCC(fourCC))
		}
		if image {
			seenImage = true
		}
		pos = int(end)
	}
	if vp8xAt >= 0 {
		flags := out[vp8xAt] &^ vp8xXMP
		if !keptExif {
			flags &^= vp8xEXIF
		}
		if opt.DropICC {
			flags &^= vp8xICC
		}
		out[vp8xAt] = flags
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(declared))
	return out, rep, nil
}

// printableFourCC returns a chunk id safe to show in a report.
func printableFourCC(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c >= 0x7F {
			b[i] = '?'
		}
	}
	return string(b)
}
