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
	case bytes.HasPrefix(b, []byte("\x00\x00\x01\x00")):
		return "ICO"
	case bytes.HasPrefix(b, []byte("\x00\x00\x00\x0CjP  \x0D\x0A\x87\x0A")):
		return "JPEG 2000"
	}
	return ""
}
