package strip

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/picfre/picfre/errcode"
)

// Format is an image format Bytes can strip, as reported in Report.Format.
type Format string

// The formats Bytes supports. The format is sniffed from the content,
// never taken from a file name.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	WebP Format = "webp"
)

// DefaultMaxBytes is the input limit Read applies when Options.MaxBytes
// is zero.
const DefaultMaxBytes = 256 << 20

// Options tunes Bytes and Read. The zero value is the recommended
// setting: keep the ICC profile and the orientation, drop everything
// else.
type Options struct {
	// DropOrientation removes the orientation too. By default, when the
	// source says the image must be rotated or mirrored (EXIF Orientation
	// 2–8), the EXIF block is replaced by a minimal one holding only the
	// Orientation tag, so that the picture still displays upright.
	DropOrientation bool

	// DropICC removes the ICC colour profile. Keep it (the default) unless
	// the image is known to be sRGB: without it colours shift.
	DropICC bool

	// MaxBytes bounds the input Read reads; zero means DefaultMaxBytes.
	// Bytes works on data already in memory and ignores it.
	MaxBytes int64
}

// Report says what Bytes or Read did.
type Report struct {
	Format Format

	// Removed names each removed block in file order, e.g. "APP1 Exif",
	// "APP13 Photoshop", "COM", "tEXt", "eXIf", "XMP ", "trailing data".
	Removed []string

	// KeptOrientation is the EXIF orientation (2–8) kept in a minimal EXIF
	// block, or 0 when none was kept.
	KeptOrientation int

	BytesBefore, BytesAfter int
}

// Bytes removes embedded metadata from a JPEG, PNG or WebP image without
// re-encoding it. The format is sniffed from the content; anything else
// gives ErrUnsupportedFormat.
//
// What is kept: everything needed to render the image exactly as before —
// the compressed image data byte for byte, the JFIF and Adobe segments, the
// ICC profile (unless opt.DropICC) and the orientation (unless
// opt.DropOrientation; see Options). What is dropped: EXIF (with its
// GPS data, serial numbers, maker notes and thumbnails), XMP, IPTC and
// Photoshop blocks, comments, text chunks, time stamps, MPF and FlashPix
// blocks, JFIF thumbnails, unknown ancillary blocks and data after the end
// of the image.
//
// The result is never larger than the input, and decodes to exactly the
// same pixels. Bytes does not modify data. It is safe for concurrent use.
// A damaged image gives an error matching ErrMalformed (a *FormatError).
func Bytes(data []byte, opt Options) ([]byte, Report, error) {
	var (
		out []byte
		rep Report
		err error
	)
	switch sniff(data) {
	case JPEG:
		out, rep, err = stripJPEG(data, opt)
	case PNG:
		out, rep, err = stripPNG(data, opt)
	case WebP:
		out, rep, err = stripWebP(data, opt)
	default:
		return nil, Report{}, ErrUnsupportedFormat
	}
	if err != nil {
		return nil, Report{}, err
	}
	rep.BytesBefore, rep.BytesAfter = len(data), len(out)
	if len(out) > len(data) {
		// Every writer only drops or shrinks blocks; this cannot happen.
		return nil, Report{}, errcode.Errorf(errcode.Internal, "strip: stripped %s grew", rep.Format)
	}
	return out, rep, nil
}

// Read reads an image from r, at most opt.MaxBytes bytes, and strips it
// as Bytes does. The context is checked before, during and after reading.
// A read failure is an error with code Unavailable unless it carries a
// code of its own; a cancelled context gives the context's error.
func Read(ctx context.Context, r io.Reader, opt Options) ([]byte, Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, Report{}, err
	}
	limit := opt.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(ctxReader{ctx, r}, limit+1))
	if err != nil {
		return nil, Report{}, errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("strip: read image: %w", err))
	}
	if n > limit {
		return nil, Report{}, ErrTooLarge
	}
	out, rep, err := Bytes(buf.Bytes(), opt)
	if err != nil {
		return nil, Report{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Report{}, err
	}
	return out, rep, nil
}

// ctxReader stops a long read when the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// sniff names the image format from its first bytes, or returns "".
func sniff(b []byte) Format {
	switch {
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xD8:
		return JPEG
	case len(b) >= 8 && string(b[:8]) == pngSignature:
		return PNG
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP
	}
	return ""
}
