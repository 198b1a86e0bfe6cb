package privacy

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// Image formats reported in StripReport.Format.
const (
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
	FormatWebP = "webp"
)

// DefaultMaxBytes is the input limit StripReader applies when
// StripOptions.MaxBytes is zero.
const DefaultMaxBytes = 256 << 20

// StripOptions tunes Strip. The zero value is the recommended setting: keep
// the ICC profile and the orientation, drop everything else.
type StripOptions struct {
	// DropOrientation removes the orientation too. By default, when the
	// source says the image must be rotated or mirrored (EXIF Orientation
	// 2–8), the EXIF block is replaced by a minimal one holding only the
	// Orientation tag, so that the picture still displays upright.
	DropOrientation bool

	// DropICC removes the ICC colour profile. Keep it (the default) unless
	// the image is known to be sRGB: without it colours shift.
	DropICC bool

	// MaxBytes bounds the input StripReader reads; zero means
	// DefaultMaxBytes. Strip itself works on bytes already in memory and
	// ignores it.
	MaxBytes int64
}

// StripReport says what Strip did.
type StripReport struct {
	Format string // FormatJPEG, FormatPNG or FormatWebP

	// Removed names each removed block in file order, e.g. "APP1 Exif",
	// "APP13 Photoshop", "COM", "tEXt", "eXIf", "XMP ", "trailing data".
	Removed []string

	// KeptOrientation is the EXIF orientation (2–8) kept in a minimal EXIF
	// block, or 0 when none was kept.
	KeptOrientation int

	BytesBefore, BytesAfter int
}

// Strip removes embedded metadata from a JPEG, PNG or WebP image without
// re-encoding it. The format is sniffed from the content; anything else
// gives ErrUnsupportedFormat.
//
// What is kept: everything needed to render the image exactly as before —
// the compressed image data byte for byte, the JFIF and Adobe segments, the
// ICC profile (unless opt.DropICC) and the orientation (unless
// opt.DropOrientation; see StripOptions). What is dropped: EXIF (with its
// GPS data, serial numbers, maker notes and thumbnails), XMP, IPTC and
// Photoshop blocks, comments, text chunks, time stamps, MPF and FlashPix
// blocks, JFIF thumbnails, unknown ancillary blocks and data after the end
// of the image.
//
// The result is never larger than the input, and decodes to exactly the
// same pixels. Strip does not modify data. It is safe for concurrent use.
// A damaged image gives an error matching ErrMalformed (a *FormatError).
func Strip(data []byte, opt StripOptions) ([]byte, StripReport, error) {
	var (
		out []byte
		rep StripReport
		err error
	)
	switch sniff(data) {
	case FormatJPEG:
		out, rep, err = stripJPEG(data, opt)
	case FormatPNG:
		out, rep, err = stripPNG(data, opt)
	case FormatWebP:
		out, rep, err = stripWebP(data, opt)
	default:
		return nil, StripReport{}, ErrUnsupportedFormat
	}
	if err != nil {
		return nil, StripReport{}, err
	}
	rep.BytesBefore, rep.BytesAfter = len(data), len(out)
	if len(out) > len(data) {
		// Every writer only drops or shrinks blocks; this cannot happen.
		return nil, StripReport{}, fmt.Errorf("privacy: internal error: stripped %s grew", rep.Format)
	}
	return out, rep, nil
}

// StripReader reads an image from r (at most opt.MaxBytes bytes), strips
// it as Strip does and writes the result to w. Nothing is written when an
// error occurs before the output is complete. The context is checked before
// and after reading and before writing.
func StripReader(ctx context.Context, r io.Reader, w io.Writer, opt StripOptions) (StripReport, error) {
	if err := ctx.Err(); err != nil {
		return StripReport{}, err
	}
	limit := opt.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(ctxReader{ctx, r}, limit+1))
	if err != nil {
		return StripReport{}, fmt.Errorf("privacy: reading image: %w", err)
	}
	if n > limit {
		return StripReport{}, ErrTooLarge
	}
	out, rep, err := Strip(buf.Bytes(), opt)
	if err != nil {
		return StripReport{}, err
	}
	if err := ctx.Err(); err != nil {
		return StripReport{}, err
	}
	if _, err := w.Write(out); err != nil {
		return StripReport{}, fmt.Errorf("privacy: writing image: %w", err)
	}
	return rep, nil
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
func sniff(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xD8:
		return FormatJPEG
	case len(b) >= 8 && string(b[:8]) == pngSignature:
		return FormatPNG
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return FormatWebP
	}
	return ""
}
