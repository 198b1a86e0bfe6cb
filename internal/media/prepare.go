package media

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// DefaultQuality is the JPEG quality Prepare uses when none is given.
const DefaultQuality = 85

// PrepareOptions tunes Prepare. The zero value keeps the size and encodes
// at DefaultQuality.
type PrepareOptions struct {
	// LongEdge is the largest allowed width or height of the output, in
	// pixels; 0 keeps the original size. Images are never upscaled.
	LongEdge int
	// Quality is the JPEG quality, 1..100; 0 means DefaultQuality.
	Quality int
	// KeepImage sets Prepared.Image, the scaled image before encoding,
	// for callers that analyse it further (perceptual hashes).
	KeepImage bool
}

// Prepared is an image ready to send to a provider.
type Prepared struct {
	// Data is a baseline JPEG with no metadata segments at all: no EXIF,
	// XMP, IPTC, ICC profile or comment survives from the input.
	Data []byte
	// MIMEType is always "image/jpeg".
	MIMEType string
	// Width and Height are the output size, after orientation and resize.
	Width, Height int
	// Source describes the input as Probe saw it.
	Source Info
	// Image is the scaled, oriented image that Data encodes, when
	// PrepareOptions.KeepImage was set.
	Image image.Image
}

// Decode checks data against lim exactly as Probe does (before decoding
// anything), then decodes it and applies its EXIF orientation. When the
// orientation is 1 the decoder's own image is returned; otherwise a new
// upright image: *image.Gray for grayscale sources, else *image.RGBA with
// alpha preserved. Only the first frame of an animated GIF is decoded.
//
// Decode is safe for concurrent use.
func Decode(data []byte, lim Limits) (image.Image, Info, error) {
	info, err := Probe(data, lim)
	if err != nil {
		return nil, Info{}, err
	}
	img, err := decodeRaw(data, info)
	if err != nil {
		return nil, Info{}, err
	}
	return orientImage(img, info.Orientation), info, nil
}

// Prepare turns any supported image into the JPEG a provider receives: it
// probes data against lim first (a file over the limits is refused before
// any pixel is decoded), decodes it, scales it down so that its long edge
// is at most opt.LongEdge (never up), applies the EXIF orientation,
// flattens any transparency onto white and encodes a baseline JPEG with no
// metadata.
//
// Scaling works on the decoder's own planes (YCbCr for JPEG) with a
// Catmull-Rom filter widened for antialiasing, so no full-size RGBA copy is
// made. Prepare is safe for concurrent use.
func Prepare(data []byte, lim Limits, opt PrepareOptions) (*Prepared, error) {
	info, err := Probe(data, lim)
	if err != nil {
		return nil, err
	}
	img, err := decodeRaw(data, info)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	dw, dh := fitLongEdge(b.Dx(), b.Dy(), opt.LongEdge)
	groups, targets, kind := groupsOf(img, dw, dh)
	planes := resample(groups, targets)
	for i := range planes {
		planes[i] = orientPlane(planes[i], info.Orientation)
	}
	out := assemble(planes, kind)
	q := opt.Quality
	if q <= 0 {
		q = DefaultQuality
	}
	q = min(q, 100)
	var buf bytes.Buffer
	buf.Grow(out.Bounds().Dx() * out.Bounds().Dy() / 4)
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("media: encode JPEG: %w", err)
	}
	var kept image.Image
	if opt.KeepImage {
		kept = out
	}
	return &Prepared{
		Image:    kept,
		Data:     buf.Bytes(),
		MIMEType: FormatJPEG.MIMEType(),
		Width:    out.Bounds().Dx(),
		Height:   out.Bounds().Dy(),
		Source:   info,
	}, nil
}

// fitLongEdge returns w×h scaled so that the long edge is at most long,
// keeping the aspect ratio; sizes already within long (or long <= 0) are
// returned unchanged.
func fitLongEdge(w, h, long int) (int, int) {
	if long <= 0 || max(w, h) <= long {
		return w, h
	}
	if w >= h {
		return long, max(1, int((int64(h)*int64(long)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(long)+int64(h)/2)/int64(h))), long
}

// assemble builds the image the JPEG encoder takes from output planes.
func assemble(p []plane, kind outKind) image.Image {
	w, h := p[0].w, p[0].h
	r := image.Rect(0, 0, w, h)
	switch kind {
	case outGray:
		return &image.Gray{Pix: p[0].pix, Stride: w, Rect: r}
	case outYCbCr:
		return &image.YCbCr{Y: p[0].pix, Cb: p[1].pix, Cr: p[2].pix, YStride: w, CStride: p[1].w,
			SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: r}
	}
	m := image.NewRGBA(r)
	for i := range w * h {
		px := m.Pix[4*i : 4*i+4]
		px[0], px[1], px[2], px[3] = p[0].pix[i], p[1].pix[i], p[2].pix[i], 255
	}
	return m
}

// decodeRaw decodes data, already probed, without orientation. A panic in
// a decoder on hostile input is turned into KindInvalid.
func decodeRaw(data []byte, info Info) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, &Error{Kind: KindInvalid, Format: info.Format, Msg: "decoder failed on corrupt data"}
		}
	}()
	r := bytes.NewReader(data)
	switch info.Format {
	case FormatJPEG:
		img, err = jpeg.Decode(r)
	case FormatPNG:
		img, err = png.Decode(r)
	case FormatGIF:
		img, err = gif.Decode(r) // first frame only
	case FormatWebP:
		img, err = webp.Decode(r)
	case FormatBMP:
		img, err = bmp.Decode(r)
	case FormatTIFF:
		img, err = tiff.Decode(r)
	default:
		return nil, errorf(KindUnsupported, info.Format, "format cannot be decoded")
	}
	if err != nil {
		return nil, classify(info.Format, err)
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > info.Width || b.Dy() > info.Height {
		return nil, errorf(KindInvalid, info.Format, "decoded size %d×%d does not match header %d×%d",
			b.Dx(), b.Dy(), info.Width, info.Height)
	}
	return img, nil
}
