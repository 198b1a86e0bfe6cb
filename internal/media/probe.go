package media

import (
	"bytes"
	"encoding/binary"
	"errors"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Default limits, used for each zero field of Limits.
const (
	DefaultMaxBytes  int64 = 100 << 20   // 100 MiB
	DefaultMaxPixels int64 = 100_000_000 // 100 megapixels
	DefaultMaxSide         = 30_000      // pixels per side
)

// Limits bound what Probe, Decode and Prepare accept. They are checked
// against the file's headers before any pixel data is decoded, so a small
// file that claims a huge canvas is refused without allocating it. A zero
// field means its default (DefaultMaxBytes, DefaultMaxPixels,
// DefaultMaxSide); a negative field is treated as zero.
type Limits struct {
	MaxBytes  int64 // largest accepted file, in bytes
	MaxPixels int64 // largest accepted width × height
	MaxSide   int   // largest accepted width or height
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultMaxSide
	}
	return l
}

// Info describes an image as its headers declare it.
type Info struct {
	Format Format
	// Width and Height are the pixel dimensions as stored in the file,
	// before EXIF orientation is applied; see DisplaySize.
	Width, Height int
	// Orientation is the EXIF orientation tag, 1..8; 1 (upright) when the
	// file has none or an invalid one.
	Orientation int
	// DecodeBytes is the memory decoding the file takes at most, from
	// its headers: the decoded image at the decoder's precision (a
	// 16-bit PNG 8 bytes a pixel, a JPEG one byte a sample padded to
	// whole MCUs), and for a progressive JPEG its coefficient buffers
	// (256 bytes per 8×8 block of every component). MemoryBudget holds
	// it while the file is decoded.
	DecodeBytes int64

	frame jpegFrame // JPEG: the frame header, for the cost of a reduced decode
}

// DisplaySize returns the dimensions after the EXIF orientation is applied:
// Width and Height swapped for orientations 5 to 8.
func (i Info) DisplaySize() (w, h int) {
	if i.Orientation >= 5 && i.Orientation <= 8 {
		return i.Height, i.Width
	}
	return i.Width, i.Height
}

// Probe identifies data's format and reads its pixel dimensions and EXIF
// orientation from the headers alone, without decoding pixel data, and
// enforces lim. It returns an *Error of KindTooLarge when the byte size or
// the dimensions exceed lim, KindInvalid for empty, corrupt or truncated
// headers, and KindUnsupported for unknown types or unsupported variants.
//
// Probe allocates nothing in proportion to the declared dimensions and is
// safe for concurrent use.
func Probe(data []byte, lim Limits) (Info, error) {
	lim = lim.withDefaults()
	if len(data) == 0 {
		return Info{}, errorf(KindInvalid, "", "empty file")
	}
	if int64(len(data)) > lim.MaxBytes {
		return Info{}, errorf(KindTooLarge, "", "file is %d bytes, limit is %d", len(data), lim.MaxBytes)
	}
	f, err := Sniff(data[:min(len(data), SniffLen)])
	if err != nil {
		return Info{}, err
	}
	var h header
	switch f {
	case FormatJPEG:
		h, err = probeJPEG(data)
	case FormatPNG:
		h, err = probePNG(data)
	case FormatGIF:
		h, err = probeGIF(data)
	case FormatWebP:
		h, err = probeWebP(data)
	case FormatBMP:
		h, err = probeBMP(data)
	case FormatTIFF:
		h, err = probeTIFF(data)
	}
	if err != nil {
		var me *Error
		if errors.As(err, &me) && me.Format == "" {
			me.Format = f
		}
		return Info{}, err
	}
	if err := checkDims(f, h.w, h.h, lim); err != nil {
		return Info{}, err
	}
	// Inner frames (WebP) may declare their own size; guard them too.
	for _, d := range h.extra {
		if err := checkDims(f, d[0], d[1], lim); err != nil {
			return Info{}, err
		}
	}
	o := h.orientation
	if o < 1 || o > 8 {
		o = 1
	}
	return Info{Format: f, Width: int(h.w), Height: int(h.h), Orientation: o, DecodeBytes: decodeCost(f, h), frame: h.jpeg}, nil
}

func checkDims(f Format, w, h uint64, lim Limits) error {
	if w == 0 || h == 0 {
		return errorf(KindInvalid, f, "zero image dimension (%d×%d)", w, h)
	}
	if w > uint64(lim.MaxSide) || h > uint64(lim.MaxSide) {
		return errorf(KindTooLarge, f, "image is %d×%d pixels, limit is %d per side", w, h, lim.MaxSide)
	}
	// Both sides fit in an int here, so the product cannot overflow uint64.
	if w*h > uint64(lim.MaxPixels) {
		return errorf(KindTooLarge, f, "image is %d×%d = %d pixels, limit is %d", w, h, w*h, lim.MaxPixels)
	}
	return nil
}

// header is what a format prober found.
type header struct {
	w, h        uint64
	orientation int
	extra       [][2]uint64 // further dimensions that must also fit the limits

	jpeg             jpegFrame // JPEG: the frame header
	pngBytesPerPixel int64     // PNG: of the image the decoder makes
	pngInterlaced    bool
}

// jpegFrame is what a JPEG's frame header says about decoding it.
type jpegFrame struct {
	progressive bool
	nComp       int
	comps       [4]struct{ h, v int64 } // sampling factors
}

// parseFrame reads the components of a SOFn segment; m is the marker.
// Unusable values are left for the decoder to refuse; the cost then
// falls back to three full-size planes.
func parseFrame(m byte, seg []byte) jpegFrame {
	f := jpegFrame{progressive: m == 0xC2}
	n := int(seg[5])
	if n != 1 && n != 3 && n != 4 || len(seg) < 6+3*n {
		return jpegFrame{progressive: f.progressive, nComp: 3,
			comps: [4]struct{ h, v int64 }{{1, 1}, {1, 1}, {1, 1}}}
	}
	f.nComp = n
	for i := range n {
		hv := seg[6+3*i+1]
		h, v := int64(hv>>4), int64(hv&0x0F)
		if n == 1 || h < 1 || h > 4 || v < 1 || v > 4 {
			h, v = 1, 1 // image/jpeg ignores a grayscale image's factors
		}
		f.comps[i].h, f.comps[i].v = h, v
	}
	return f
}

// pngBytesPerPixel is the bytes per pixel of the image image/png decodes
// for a color type and bit depth.
func pngBytesPerPixel(colorType, depth byte) int64 {
	switch colorType {
	case 0: // gray: Gray or Gray16
		if depth == 16 {
			return 2
		}
		return 1
	case 3: // paletted
		return 1
	case 2, 4, 6: // RGB, gray+alpha, RGBA: RGBA / NRGBA, or their 64-bit forms
		if depth == 16 {
			return 8
		}
		return 4
	}
	return 8
}

func truncated(f Format, what string) *Error {
	return errorf(KindInvalid, f, "truncated or corrupt %s", what)
}

// probeJPEG walks the marker segments up to the first SOFn, reading EXIF
// orientation from an APP1 "Exif" segment on the way.
func probeJPEG(d []byte) (header, error) {
	var h header
	pos := 2
	for {
		// Find the next marker: 0xFF, then any number of 0xFF fill bytes.
		// Stray bytes between segments are skipped, as libjpeg does.
		for pos < len(d) && d[pos] != 0xFF {
			pos++
		}
		for pos < len(d) && d[pos] == 0xFF {
			pos++
		}
		if pos >= len(d) {
			return h, truncated(FormatJPEG, "JPEG: no frame header")
		}
		m := d[pos]
		pos++
		switch {
		case m == 0x00, m == 0x01, m >= 0xD0 && m <= 0xD8:
			continue // stuffed byte, TEM, RSTn, SOI: no length field
		case m == 0xD9:
			return h, truncated(FormatJPEG, "JPEG: end of image before frame header")
		case m == 0xDA:
			return h, truncated(FormatJPEG, "JPEG: scan before frame header")
		}
		if pos+2 > len(d) {
			return h, truncated(FormatJPEG, "JPEG segment")
		}
		n := int(binary.BigEndian.Uint16(d[pos:]))
		if n < 2 || pos+n > len(d) {
			return h, truncated(FormatJPEG, "JPEG segment")
		}
		seg := d[pos+2 : pos+n]
		pos += n
		switch {
		case m == 0xE1 && h.orientation == 0 && bytes.HasPrefix(seg, exifHeader):
			h.orientation = exifOrientation(seg[len(exifHeader):])
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			if len(seg) < 6 {
				return h, truncated(FormatJPEG, "JPEG frame header")
			}
			h.h = uint64(binary.BigEndian.Uint16(seg[1:]))
			h.w = uint64(binary.BigEndian.Uint16(seg[3:]))
			h.jpeg = parseFrame(m, seg)
			if m > 0xC2 {
				return h, errorf(KindUnsupported, FormatJPEG, "lossless, hierarchical or arithmetic-coded JPEG (SOF%d) is not supported", m-0xC0)
			}
			if h.h == 0 {
				return h, errorf(KindUnsupported, FormatJPEG, "JPEG with height defined by a DNL marker is not supported")
			}
			// Each scan makes the decoder walk every block of the image, so
			// a small file with thousands of scans is a CPU bomb. Only the
			// scans before the first EOI count: the decoder stops there,
			// and what follows (the MP4 of a phone's motion photo) is not
			// part of the image.
			if n := jpegScans(d[pos:]); n > maxJPEGScans {
				return h, errorf(KindInvalid, FormatJPEG, "JPEG has %d scans, more than the %d any real encoder writes", n, maxJPEGScans)
			}
			return h, nil
		}
	}
}

var exifHeader = []byte("Exif\x00\x00")

// jpegScans counts the SOS markers in d, the bytes after the frame header,
// up to the first EOI (or the end of d), the way the decoder walks them:
// marker segments are skipped by their length, so their payload (an EXIF
// thumbnail has its own EOI) is never taken for markers, and entropy-coded
// data, which escapes 0xFF as FF 00, ends at the first other marker
// except RSTn. It stops past maxJPEGScans, which is all the caller needs.
func jpegScans(d []byte) int {
	n, pos := 0, 0
	for pos < len(d) && n <= maxJPEGScans {
		// Find the next marker; 0xFF fill bytes may precede it.
		for pos < len(d) && d[pos] != 0xFF {
			pos++
		}
		for pos < len(d) && d[pos] == 0xFF {
			pos++
		}
		if pos >= len(d) {
			break
		}
		m := d[pos]
		pos++
		switch {
		case m == 0x00, m >= 0xD0 && m <= 0xD7, m == 0x01, m == 0xD8:
			continue // stuffed byte or RSTn inside scan data; TEM, SOI
		case m == 0xD9:
			return n // EOI: the image ends here
		}
		if pos+2 > len(d) {
			break
		}
		l := int(binary.BigEndian.Uint16(d[pos:]))
		if l < 2 {
			break // corrupt; the decoder reports it
		}
		pos += l
		if m == 0xDA {
			n++ // the entropy-coded data follows; the search above skips it
		}
	}
	return n
}

// maxJPEGScans bounds the scans of a JPEG. Progressive encoders write
// about 10 (mozjpeg's most thorough settings stay well under 100).
const maxJPEGScans = 256

// probePNG reads IHDR and looks for an eXIf chunk before the first IDAT.
func probePNG(d []byte) (header, error) {
	var h header
	if len(d) < 33 {
		return h, truncated(FormatPNG, "PNG header")
	}
	if binary.BigEndian.Uint32(d[8:]) != 13 || string(d[12:16]) != "IHDR" {
		return h, truncated(FormatPNG, "PNG header (IHDR missing)")
	}
	h.w = uint64(binary.BigEndian.Uint32(d[16:]))
	h.h = uint64(binary.BigEndian.Uint32(d[20:]))
	if h.w > 1<<31-1 || h.h > 1<<31-1 {
		return h, errorf(KindInvalid, FormatPNG, "PNG dimensions out of range")
	}
	h.pngBytesPerPixel = pngBytesPerPixel(d[25], d[24])
	h.pngInterlaced = d[28] == 1
	// Walk the chunks; each step moves forward by at least 12 bytes.
	pos := uint64(33)
	for pos+8 <= uint64(len(d)) {
		n := uint64(binary.BigEndian.Uint32(d[pos:]))
		typ := string(d[pos+4 : pos+8])
		if typ == "IDAT" || typ == "IEND" {
			break
		}
		end := pos + 8 + n
		if end > uint64(len(d)) {
			break // the decoder reports the truncation
		}
		if typ == "eXIf" && h.orientation == 0 {
			h.orientation = exifOrientation(bytes.TrimPrefix(d[pos+8:end], exifHeader))
		}
		pos = end + 4 // skip CRC
	}
	return h, nil
}

// probeGIF reads the logical screen size. The decoder refuses frames
// larger than the logical screen, and only the first frame is decoded, so
// this bounds the allocation.
func probeGIF(d []byte) (header, error) {
	if len(d) < 13 {
		return header{}, truncated(FormatGIF, "GIF header")
	}
	return header{
		w: uint64(binary.LittleEndian.Uint16(d[6:])),
		h: uint64(binary.LittleEndian.Uint16(d[8:])),
	}, nil
}

// probeWebP walks the RIFF chunks: the canvas size comes from the first
// VP8, VP8L or VP8X chunk; every image chunk's own size is checked too, and
// an EXIF chunk gives the orientation.
func probeWebP(d []byte) (header, error) {
	var h header
	riffLen := uint64(binary.LittleEndian.Uint32(d[4:])) + 8
	end := min(uint64(len(d)), riffLen)
	pos := uint64(12)
	first := true
	for pos+8 <= end {
		typ := string(d[pos : pos+4])
		n := uint64(binary.LittleEndian.Uint32(d[pos+4:]))
		body := pos + 8
		if body+n > end {
			if first {
				return h, truncated(FormatWebP, "WebP chunk")
			}
			break
		}
		p := d[body : body+n]
		var fw, fh uint64
		switch typ {
		case "VP8 ":
			if len(p) < 10 || p[3] != 0x9D || p[4] != 0x01 || p[5] != 0x2A {
				return h, truncated(FormatWebP, "WebP VP8 header")
			}
			fw = uint64(binary.LittleEndian.Uint16(p[6:]) & 0x3FFF)
			fh = uint64(binary.LittleEndian.Uint16(p[8:]) & 0x3FFF)
		case "VP8L":
			if len(p) < 5 || p[0] != 0x2F {
				return h, truncated(FormatWebP, "WebP VP8L header")
			}
			bits := binary.LittleEndian.Uint32(p[1:])
			fw = uint64(bits&0x3FFF) + 1
			fh = uint64(bits>>14&0x3FFF) + 1
		case "VP8X":
			if !first || len(p) < 10 {
				return h, truncated(FormatWebP, "WebP VP8X header")
			}
			if p[0]&0x02 != 0 {
				return h, errorf(KindUnsupported, FormatWebP, "animated WebP is not supported")
			}
			h.w = uint64(p[4]) | uint64(p[5])<<8 | uint64(p[6])<<16 + 1
			h.h = uint64(p[7]) | uint64(p[8])<<8 | uint64(p[9])<<16 + 1
		case "EXIF":
			if h.orientation == 0 {
				h.orientation = exifOrientation(bytes.TrimPrefix(p, exifHeader))
			}
		case "ANIM", "ANMF":
			return h, errorf(KindUnsupported, FormatWebP, "animated WebP is not supported")
		default:
			if first {
				return h, errorf(KindInvalid, FormatWebP, "WebP without an image chunk first")
			}
		}
		if fw != 0 || fh != 0 || typ == "VP8 " || typ == "VP8L" {
			if first {
				h.w, h.h = fw, fh
			} else {
				h.extra = append(h.extra, [2]uint64{fw, fh})
			}
		}
		first = false
		pos = body + n + n&1 // chunks are padded to an even length
	}
	if first {
		return h, truncated(FormatWebP, "WebP header")
	}
	return h, nil
}

// probeBMP reads the DIB header, then asks the x/image decoder whether it
// supports the variant; its DecodeConfig reads the fixed-size header only.
func probeBMP(d []byte) (header, error) {
	var h header
	if len(d) < 26 {
		return h, truncated(FormatBMP, "BMP header")
	}
	if binary.LittleEndian.Uint32(d[14:]) == 12 {
		h.w = uint64(binary.LittleEndian.Uint16(d[18:]))
		h.h = uint64(binary.LittleEndian.Uint16(d[20:]))
	} else {
		w := int32(binary.LittleEndian.Uint32(d[18:]))
		ht := int64(int32(binary.LittleEndian.Uint32(d[22:])))
		if w < 0 {
			return h, errorf(KindInvalid, FormatBMP, "negative BMP width")
		}
		if ht < 0 {
			ht = -ht // top-down bitmap
		}
		h.w, h.h = uint64(w), uint64(ht)
	}
	if _, err := bmp.DecodeConfig(bytes.NewReader(d)); err != nil {
		return h, classify(FormatBMP, err)
	}
	return h, nil
}

// probeTIFF reads ImageWidth, ImageLength and Orientation from IFD0, then
// lets x/image/tiff's DecodeConfig (which reads tag data only, with bounded
// counts) reject unsupported variants.
func probeTIFF(d []byte) (header, error) {
	var h header
	t, ok := newTIFF(d)
	if !ok {
		return h, truncated(FormatTIFF, "TIFF header")
	}
	n := 0
	t.eachIFD0(func(tag, typ uint16, count uint32, val []byte) bool {
		v, ok := t.scalar(typ, count, val)
		if !ok {
			return true
		}
		switch tag {
		case 256:
			h.w, n = uint64(v), n+1
		case 257:
			h.h, n = uint64(v), n+1
		case 274:
			h.orientation = int(v)
		}
		return true
	})
	if n < 2 {
		return h, truncated(FormatTIFF, "TIFF header (no image size)")
	}
	if _, err := tiff.DecodeConfig(bytes.NewReader(d)); err != nil {
		return h, classify(FormatTIFF, err)
	}
	return h, nil
}
