package strip

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

const pngSignature = "\x89PNG\r\n\x1a\n"

// pngKeep reports whether an ancillary chunk is needed to render a PNG
// (or an APNG) as its author intended. Critical chunks (upper-case first
// letter) are always kept; every other ancillary chunk is dropped.
func pngKeep(name string, opt Options) bool {
	switch name {
	case "tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD", "pHYs",
		"cICP", "mDCV", "cLLI", "mDCv", "cLLi", // colour and HDR signalling
		"acTL", "fcTL", "fdAT": // animation (APNG)
		return true
	case "iCCP":
		return !opt.DropICC
	}
	return false
}

// stripPNG copies a PNG chunk by chunk, leaving out metadata chunks.
// The CRC of every chunk kept is checked. Data after IEND is dropped.
// An eXIf chunk whose Orientation is 2–8 is replaced by a minimal eXIf
// with only that tag unless opt.DropOrientation.
func stripPNG(data []byte, opt Options) ([]byte, Report, error) {
	rep := Report{Format: PNG}
	out := make([]byte, 0, len(data))
	out = append(out, pngSignature...)
	pos := len(pngSignature)
	seenExif := false
	for {
		if pos+8 > len(data) {
			return nil, rep, malformed(PNG, pos, "missing IEND chunk")
		}
		n := binary.BigEndian.Uint32(data[pos:])
		if n > 1<<31-1 || uint64(pos)+12+uint64(n) > uint64(len(data)) {
			return nil, rep, malformed(PNG, pos, "chunk beyond end of data")
		}
		typ := data[pos+4 : pos+8]
		end := pos + 12 + int(n)
		body := data[pos+8 : end-4]
		name := string(typ)
		critical := typ[0]&0x20 == 0
		switch {
		case critical || pngKeep(name, opt):
			want := binary.BigEndian.Uint32(data[end-4:])
			if crc32.ChecksumIEEE(data[pos+4:end-4]) != want {
				return nil, rep, malformed(PNG, pos, "CRC mismatch in "+name+" chunk")
			}
			out = append(out, data[pos:end]...)
		case name == "eXIf" && !seenExif:
			seenExif = true
			v := keptOrientation(opt, body, end-pos, 12+minimalTIFFLen)
			if v != 0 {
				rep.KeptOrientation = v
				out = appendPNGChunk(out, "eXIf", minimalTIFF(v))
			}
			if v == 0 || !bytes.Equal(body, minimalTIFF(v)) {
				rep.Removed = append(rep.Removed, name)
			}
		default:
			rep.Removed = append(rep.Removed, name)
		}
		pos = end
		if name == "IEND" {
			if pos < len(data) {
				rep.Removed = append(rep.Removed, "trailing data")
			}
			return out, rep, nil
		}
	}
}

func appendPNGChunk(out []byte, typ string, body []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, body...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}
