package media

import (
	"bytes"
	"encoding/binary"
)

// Format names a media format detected from content.
type Format string

// The image formats this package decodes.
const (
	FormatJPEG Format = "jpeg"
	FormatPNG  Format = "png"
	FormatGIF  Format = "gif"
	FormatWebP Format = "webp"
	FormatBMP  Format = "bmp"
	FormatTIFF Format = "tiff"
)

// MIMEType returns the IANA media type of f, or "application/octet-stream"
// for a format this package does not know.
func (f Format) MIMEType() string {
	switch f {
	case FormatJPEG:
		return "image/jpeg"
	case FormatPNG:
		return "image/png"
	case FormatGIF:
		return "image/gif"
	case FormatWebP:
		return "image/webp"
	case FormatBMP:
		return "image/bmp"
	case FormatTIFF:
		return "image/tiff"
	}
	return otherMIME(f)
}

// SniffLen is the number of leading bytes Sniff looks at. Passing fewer is
// fine when the whole file is shorter.
const SniffLen = 512

// Sniff identifies the format of media from its first bytes (pass at least
// SniffLen bytes when the file has them). The file name and any declared
// content type are deliberately not consulted: only content counts.
//
// Empty input gives an *Error of KindInvalid. Input of an unknown type, or
// of a recognised but unsupported one (HEIC, AVIF, JPEG XL, PDF, SVG, ...),
// gives an *Error of KindUnsupported. Sniff is safe for concurrent use.
func Sniff(head []byte) (Format, error) {
	if len(head) == 0 {
		return "", errorf(KindInvalid, "", "empty file")
	}
	switch {
	case len(head) >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		return FormatJPEG, nil
	case bytes.HasPrefix(head, pngSignature):
		return FormatPNG, nil
	case bytes.HasPrefix(head, []byte("GIF87a")) || bytes.HasPrefix(head, []byte("GIF89a")):
		return FormatGIF, nil
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return FormatWebP, nil
	case isBMP(head):
		return FormatBMP, nil
	case bytes.HasPrefix(head, []byte("II*\x00")) || bytes.HasPrefix(head, []byte("MM\x00*")):
		return FormatTIFF, nil
	}
	if name := unsupportedName(head); name != "" {
		return "", errorf(KindUnsupported, "", "%s is not a supported format", name)
	}
	return "", errorf(KindUnsupported, "", "unknown or unsupported file type")
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// isBMP checks "BM" plus a DIB header size that a real BMP would have, so
// that a text file starting with "BM" is not taken for a bitmap.
func isBMP(b []byte) bool {
	if len(b) < 18 || b[0] != 'B' || b[1] != 'M' {
		return false
	}
	switch binary.LittleEndian.Uint32(b[14:18]) {
	case 12, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// unsupportedName recognises common types that are refused, only so that
// the error can name them.
func unsupportedName(b []byte) string {
	if len(b) >= 12 && string(b[4:8]) == "ftyp" {
		switch string(b[8:12]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
			return "HEIF/HEIC"
		case "avif", "avis":
			return "AVIF"
		case "crx ":
			return "Canon CR3 raw"
		default:
			return "ISO media (MP4/MOV)"
		}
	}
	switch {
	case bytes.HasPrefix(b, []byte("\xFF\x0A")) || bytes.HasPrefix(b, []byte("\x00\x00\x00\x0CJXL \x0D\x0A\x87\x0A")):
		return "JPEG XL"
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "PDF"
	case bytes.HasPrefix(b, []byte("8BPS")):
		return "Photoshop PSD"
	case isICO(b):
		return "ICO"
	case bytes.HasPrefix(b, []byte("\x00\x00\x00\x0CjP  \x0D\x0A\x87\x0A")):
		return "JPEG 2000"
	}
	return ""
}

// isICO checks a Windows icon or cursor directory strictly: reserved 0,
// type 1 (icon) or 2 (cursor), at least one image, and entries that a real
// file would have (colour planes 0 or 1 for icons, a usual bit depth, a
// non-empty image placed after the directory). A Mac resource-fork font,
// whose header also starts 00 00 01 00, fails these.
func isICO(b []byte) bool {
	if len(b) < 6+16 || binary.LittleEndian.Uint16(b[0:2]) != 0 {
		return false
	}
	typ := binary.LittleEndian.Uint16(b[2:4])
	count := int(binary.LittleEndian.Uint16(b[4:6]))
	if (typ != 1 && typ != 2) || count == 0 {
		return false
	}
	dirEnd := uint32(6 + 16*count)
	for i := 0; i < count && 6+16*(i+1) <= len(b); i++ {
		e := b[6+16*i : 6+16*(i+1)]
		planes := binary.LittleEndian.Uint16(e[4:6])
		bpp := binary.LittleEndian.Uint16(e[6:8])
		size := binary.LittleEndian.Uint32(e[8:12])
		offset := binary.LittleEndian.Uint32(e[12:16])
		if e[3] != 0 && e[3] != 0xFF {
			return false
		}
		if typ == 1 {
			if planes > 1 {
				return false
			}
			switch bpp {
			case 0, 1, 2, 4, 8, 16, 24, 32:
			default:
				return false
			}
		}
		if size == 0 || offset < dirEnd {
			return false
		}
	}
	return true
}
