package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/picfre/picfre/internal/jpegdec"
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
	// Fallback is why a JPEG source was decoded by image/jpeg instead of
	// internal/jpegdec, "" when it was not; callers count it in a metric.
	Fallback Fallback
}

// Decode checks data against lim exactly as Probe does (before decoding
// anything), then decodes it and applies its EXIF orientation. When the
// orientation is 1 the decoder's own image is returned; otherwise a new
// upright image: *image.Gray for grayscale sources, else *image.RGBA with
// alpha preserved. Only the first frame of an animated GIF is decoded.
// JPEG files go through internal/jpegdec, falling back to image/jpeg for
// anything it refuses.
//
// Decode is safe for concurrent use.
func Decode(data []byte, lim Limits) (image.Image, Info, error) {
	info, err := Probe(data, lim)
	if err != nil {
		return nil, Info{}, err
	}
	img, _, release, err := (*MemoryBudget)(nil).decode(context.Background(), data, info, 1, jpegdec.Decode)
	if err != nil {
		return nil, Info{}, err
	}
	release()
	return orientImage(img, info.Orientation), info, nil
}

// Prepare turns any supported image into the JPEG a provider receives: it
// probes data against lim first (a file over the limits is refused before
// any pixel is decoded), decodes it, scales it down so that its long edge
// is at most opt.LongEdge (never up), applies the EXIF orientation,
// flattens any transparency onto white and encodes a baseline JPEG with no
// metadata.
//
// A JPEG is decoded by internal/jpegdec at the smallest of 1/8, 1/4, 1/2
// and full size that is still at least opt.LongEdge on its long edge
// (DCT-domain scaling: the decoder never makes the full-size image), then
// scaled the rest of the way; one jpegdec refuses is decoded at full size
// by image/jpeg instead, and Prepared.Fallback says why. Scaling works on
// the decoder's own planes (YCbCr for JPEG) with a Catmull-Rom filter
// widened for antialiasing, so no full-size RGBA copy is made. Prepare is
// safe for concurrent use.
func Prepare(data []byte, lim Limits, opt PrepareOptions) (*Prepared, error) {
	return (*MemoryBudget)(nil).prepare(context.Background(), data, lim, opt, jpegdec.Decode)
}

// jpegDecoder is jpegdec.Decode's signature; tests pass one that fails.
type jpegDecoder func([]byte, jpegdec.Options) (image.Image, error)

// prepare is Prepare within b (nil: no budget), with jd as the JPEG
// decoder tried first.
func (b *MemoryBudget) prepare(ctx context.Context, data []byte, lim Limits, opt PrepareOptions, jd jpegDecoder) (*Prepared, error) {
	info, err := Probe(data, lim)
	if err != nil {
		return nil, err
	}
	scale := 1
	if info.Format == FormatJPEG {
		scale = jpegdec.ScaleFor(info.Width, info.Height, opt.LongEdge)
	}
	img, fallback, release, err := b.decode(ctx, data, info, scale, jd)
	if err != nil {
		return nil, err
	}
	dw, dh := fitLongEdge(info.Width, info.Height, opt.LongEdge)
	groups, targets, kind := groupsOf(img, dw, dh)
	planes := resample(groups, targets)
	img, groups = nil, nil
	release() // the decoded image is garbage from here on
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
		Fallback: fallback,
	}, nil
}

// decode decodes data, already probed, without orientation, holding its
// cost in b until release is called (the caller calls it once it no longer
// references img). A JPEG is decoded by jd (jpegdec.Decode) at 1/scale of its size,
// holding what that decode takes; if jpegdec refuses it, image/jpeg decodes
// it at full size under the full cost (Info.DecodeBytes), and fallback
// names jpegdec's reason. Other formats go to their decoders at full size.
func (b *MemoryBudget) decode(ctx context.Context, data []byte, info Info, scale int, jd jpegDecoder) (img image.Image, fallback Fallback, release func(), err error) {
	if info.Format == FormatJPEG {
		release, err := b.acquire(ctx, info.Format, info.jpegDecodeBytes(scale))
		if err != nil {
			return nil, "", nil, err
		}
		img, err := decodeJPEG(data, info, scale, jd)
		if err == nil {
			return img, "", release, nil
		}
		release()
		fallback = fallbackOf(err)
	}
	release, err = b.acquire(ctx, info.Format, info.DecodeBytes)
	if err != nil {
		return nil, fallback, nil, err
	}
	img, err = decodeRaw(data, info)
	if err != nil {
		release()
		return nil, fallback, nil, err
	}
	return img, fallback, release, nil
}

// Fallback says why a JPEG was decoded by image/jpeg rather than by
// internal/jpegdec; "" when jpegdec decoded it (or the file is no JPEG).
type Fallback string

const (
	// FallbackUnsupported: a JPEG variant jpegdec does not decode
	// (12-bit, arithmetic-coded, lossless, unusual component layouts).
	FallbackUnsupported Fallback = "unsupported"
	// FallbackInvalid: jpegdec found the data corrupt; image/jpeg is more
	// lenient with some damage, and fails the file if it is too.
	FallbackInvalid Fallback = "invalid"
	// FallbackInternal: jpegdec failed in a way it should not have (a
	// panic, or a result of the wrong size), which a fuzz target hunts.
	FallbackInternal Fallback = "internal"
)

// errJPEGInternal marks a jpegdec result that cannot be right.
var errJPEGInternal = errors.New("media: jpegdec failed")

func fallbackOf(err error) Fallback {
	var je *jpegdec.Error
	switch {
	case errors.As(err, &je) && je.Kind == jpegdec.KindUnsupported:
		return FallbackUnsupported
	case errors.As(err, &je) && je.Kind == jpegdec.KindInvalid:
		return FallbackInvalid
	}
	return FallbackInternal
}

// decodeJPEG decodes with jpegdec at 1/scale and checks the size it made
// against the header's. A panic, which would be a bug in jpegdec, is an
// error that makes the caller fall back to image/jpeg.
func decodeJPEG(data []byte, info Info, scale int, jd jpegDecoder) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, errJPEGInternal
		}
	}()
	img, err = jd(data, jpegdec.Options{Scale: scale})
	if err != nil {
		return nil, err
	}
	w, h := (info.Width+scale-1)/scale, (info.Height+scale-1)/scale
	if b := img.Bounds(); b.Min != (image.Point{}) || b.Dx() != w || b.Dy() != h {
		return nil, errJPEGInternal
	}
	return img, nil
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
