package media

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
)

// Audio, video and vector formats recognised by Detect. Sniff, Probe,
// Decode and Prepare still refuse them: they handle images only. Other
// packages (internal/video, internal/audio, internal/vector) process them.
const (
	FormatWAV  Format = "wav"
	FormatMP3  Format = "mp3"
	FormatFLAC Format = "flac"
	FormatOGG  Format = "ogg"
	FormatM4A  Format = "m4a"
	FormatMP4  Format = "mp4"
	FormatMOV  Format = "mov"
	FormatWebM Format = "webm"
	FormatMKV  Format = "mkv"
	FormatAVI  Format = "avi"
	FormatSVG  Format = "svg"
	FormatEPS  Format = "eps"
)

// MediaKind is the broad class of a Format: what part of picfre handles it.
type MediaKind string

// The media kinds.
const (
	KindImage  MediaKind = "image"
	KindVideo  MediaKind = "video"
	KindAudio  MediaKind = "audio"
	KindVector MediaKind = "vector"
)

// Kind returns the broad class of f, or "" for a format this package does
// not know.
func (f Format) Kind() MediaKind {
	switch f {
	case FormatJPEG, FormatPNG, FormatGIF, FormatWebP, FormatBMP, FormatTIFF:
		return KindImage
	case FormatMP4, FormatMOV, FormatWebM, FormatMKV, FormatAVI:
		return KindVideo
	case FormatWAV, FormatMP3, FormatFLAC, FormatOGG, FormatM4A:
		return KindAudio
	case FormatSVG, FormatEPS:
		return KindVector
	}
	return ""
}

// otherMIME returns the IANA media type of the non-image formats; the
// image formats are in MIMEType itself.
func otherMIME(f Format) string {
	switch f {
	case FormatWAV:
		return "audio/wav"
	case FormatMP3:
		return "audio/mpeg"
	case FormatFLAC:
		return "audio/flac"
	case FormatOGG:
		return "audio/ogg"
	case FormatM4A:
		return "audio/mp4"
	case FormatMP4:
		return "video/mp4"
	case FormatMOV:
		return "video/quicktime"
	case FormatWebM:
		return "video/webm"
	case FormatMKV:
		return "video/x-matroska"
	case FormatAVI:
		return "video/x-msvideo"
	case FormatSVG:
		return "image/svg+xml"
	case FormatEPS:
		return "application/postscript"
	}
	return "application/octet-stream"
}

// Detect identifies any media picfre handles from its first bytes (pass at
// least SniffLen bytes when the file has them): the image formats of Sniff
// plus video (MP4, MOV, WebM, Matroska, AVI), audio (WAV, MP3, FLAC, Ogg,
// M4A) and vector (SVG, EPS) formats. Use [Format.Kind] to route the
// result. Like Sniff it looks at content only, never at a name.
//
// Empty input gives an *Error of KindInvalid; anything else it cannot
// place gives an *Error of KindUnsupported. Detect is safe for concurrent
// use.
func Detect(head []byte) (Format, error) {
	f, err := Sniff(head)
	if err == nil || len(head) == 0 {
		return f, err
	}
	if f := detectOther(head); f != "" {
		return f, nil
	}
	return "", err
}

func detectOther(b []byte) Format {
	switch {
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return FormatWAV
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "AVI ":
		return FormatAVI
	case bytes.HasPrefix(b, []byte("fLaC")):
		return FormatFLAC
	case bytes.HasPrefix(b, []byte("OggS\x00")):
		return FormatOGG
	case bytes.HasPrefix(b, []byte("ID3")) && len(b) >= 10 && b[3] >= 2 && b[3] <= 4:
		return FormatMP3
	case isMP3Frame(b):
		return FormatMP3
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return isoBrand(string(b[8:12]))
	case quickTime(b) != "":
		return quickTime(b)
	case bytes.HasPrefix(b, []byte("\x1A\x45\xDF\xA3")):
		if bytes.Contains(b[:min(len(b), 64)], []byte("webm")) {
			return FormatWebM
		}
		return FormatMKV
	case isEPS(b):
		return FormatEPS
	case isSVG(b):
		return FormatSVG
	}
	return ""
}

// isMP3Frame checks an MPEG-1/2/2.5 Layer III frame header: 11 sync bits,
// a valid version, layer III, and bitrate and sample-rate indexes that are
// not reserved.
func isMP3Frame(b []byte) bool {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return false
	}
	version := (b[1] >> 3) & 3
	layer := (b[1] >> 1) & 3
	bitrate := b[2] >> 4
	rate := (b[2] >> 2) & 3
	return version != 1 && layer == 1 && bitrate != 0 && bitrate != 15 && rate != 3
}

// isoBrand maps an ISO base media major brand to a format. HEIF and AVIF
// brands are images picfre does not take.
func isoBrand(brand string) Format {
	switch brand {
	case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis":
		return ""
	case "crx ":
		// Canon CR3 raw: a still image in an ISO container, not a video.
		return ""
	case "M4A ", "M4B ", "M4P ", "F4A ", "F4B ":
		return FormatM4A
	case "qt  ":
		return FormatMOV
	}
	return FormatMP4
}

// quickTime recognises a QuickTime file without a leading ftyp atom, as
// older cameras and editors write them: a run of top-level atoms, each
// with a plausible size, where padding atoms (free, skip, wide, pnot,
// junk) may come before a moov (whose first child must be a movie atom)
// or an mdat. An ftyp after the padding is routed by its brand. It returns
// "" for anything else.
func quickTime(b []byte) Format {
	for off := 0; off+8 <= len(b); {
		size := uint64(binary.BigEndian.Uint32(b[off:]))
		typ := string(b[off+4 : off+8])
		hdr := uint64(8)
		switch size {
		case 0: // to the end of the file
			size = math.MaxUint64
		case 1: // a 64-bit size follows
			if off+16 > len(b) {
				return ""
			}
			size, hdr = binary.BigEndian.Uint64(b[off+8:]), 16
		}
		if size < hdr {
			return ""
		}
		switch typ {
		case "mdat":
			return FormatMOV
		case "moov":
			child := uint64(off) + hdr
			if size < hdr+8 || child+8 > uint64(len(b)) {
				return ""
			}
			switch string(b[child+4 : child+8]) {
			case "mvhd", "cmov", "prfl", "trak", "udta", "iods", "meta", "clip", "ctab", "rmra":
				return FormatMOV
			}
			return ""
		case "ftyp":
			if off == 0 || off+12 > len(b) {
				return ""
			}
			return isoBrand(string(b[off+8 : off+12]))
		case "free", "skip", "wide", "pnot", "junk":
			if size > uint64(len(b)-off) {
				return "" // what follows is past what was read
			}
			off += int(size)
		default:
			return ""
		}
	}
	return ""
}

// isEPS recognises Encapsulated PostScript, plain or with the binary DOS
// header that carries a TIFF or WMF preview.
func isEPS(b []byte) bool {
	if len(b) >= 4 && binary.LittleEndian.Uint32(b) == 0xC6D3D0C5 {
		return true
	}
	if !bytes.HasPrefix(b, []byte("%!PS-Adobe-")) {
		return false
	}
	line := b
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		line = b[:i]
	}
	return bytes.Contains(line, []byte("EPSF"))
}

// isSVG accepts a document whose first element is <svg>, after an optional
// byte order mark, XML declaration, comments, processing instructions and
// a DOCTYPE. It does not parse the document; the vector package does that
// with its own limits.
func isSVG(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			i := bytes.Index(b, []byte("?>"))
			if i < 0 {
				return false
			}
			b = b[i+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			i := bytes.Index(b[4:], []byte("-->"))
			if i < 0 {
				return false
			}
			b = b[4+i+3:]
		case bytes.HasPrefix(b, []byte("<!DOCTYPE")) || bytes.HasPrefix(b, []byte("<!doctype")):
			// A DOCTYPE may hold an internal subset in brackets.
			depth := 0
			end := -1
			for i, c := range b {
				if c == '[' {
					depth++
				} else if c == ']' && depth > 0 {
					depth--
				} else if c == '>' && depth == 0 {
					end = i
					break
				}
			}
			if end < 0 {
				return false
			}
			b = b[end+1:]
		default:
			rest, ok := bytes.CutPrefix(b, []byte("<svg"))
			if !ok {
				rest, ok = bytes.CutPrefix(b, []byte("<svg:svg"))
			}
			return ok && len(rest) > 0 && strings.IndexByte(" \t\r\n>/", rest[0]) >= 0
		}
	}
}
