package vector

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strings"

	"github.com/picfre/picfre/errcode"

	"github.com/srwiley/oksvg"
	"github.com/srwiley/rasterx"
)

// ErrInvalid is wrapped by errors for data that is not a usable SVG.
var ErrInvalid = errcode.New(errcode.InvalidMedia, "invalid SVG")

// ErrUnsupported is wrapped by errors for SVG features picfre refuses:
// <use> inside <defs> (which can recurse without end) and documents
// beyond the limits.
var ErrUnsupported = errcode.New(errcode.UnsupportedMedia, "unsupported SVG")

// ErrTooLarge is wrapped by errors for documents over Limits.
var ErrTooLarge = errcode.New(errcode.TooLarge, "SVG too large")

// Error is a failure of Rasterize. Its message never contains document
// text.
type Error struct {
	Err    error // ErrInvalid, ErrUnsupported, ErrTooLarge or a context error
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "vector: " + e.Err.Error()
	}
	return "vector: " + e.Err.Error() + ": " + e.Detail
}

// Unwrap returns the classifying error.
func (e *Error) Unwrap() error { return e.Err }

func fail(err error, format string, args ...any) *Error {
	return &Error{Err: err, Detail: fmt.Sprintf(format, args...)}
}

// Defaults for zero Limits fields.
const (
	DefaultMaxBytes    = 10 << 20
	DefaultMaxElements = 100_000
	DefaultMaxDepth    = 256
	DefaultLongEdge    = 1024
	DefaultMaxWork     = 1 << 28
	maxLongEdge        = 8192
	maxDash            = 64
)

// Limits bound the documents Rasterize accepts. Zero fields take the
// defaults.
type Limits struct {
	MaxBytes    int // document size
	MaxElements int // start tags
	MaxDepth    int // element nesting
	// MaxWork bounds the drawing's cost, in pixels of solid paint: each
	// fill and stroke costs the canvas area it spans times the cost of a
	// pixel of its paint (1 for a color; for a gradient 12, plus one per
	// 32 stops of the document's largest gradient), plus its points. The
	// default, DefaultMaxWork, is 64 full 1024×1024 canvases of color
	// (16 at 2048×2048): a second or two of one core.
	MaxWork int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxWork <= 0 {
		l.MaxWork = DefaultMaxWork
	}
	return l
}

// Rasterize draws the SVG document in data on a white canvas whose long
// edge is longEdge pixels (0: DefaultLongEdge), keeping the aspect ratio
// of the document's viewBox (or width and height). It is meant for
// tagging, not print: gradients, paths, shapes and strokes are drawn;
// text, filters, masks and embedded images are not.
//
// Nothing outside data is ever loaded: references to external files or
// URLs (<image href>, <use href="other.svg#x">, CSS url()) are ignored.
// Before parsing, a token scan enforces lim (bytes, elements, depth) and
// refuses <use> inside <defs>, which could recurse without end. Then the
// whole drawing is measured without painting (see Limits.MaxWork): a
// document that would cost more than lim.MaxWork is refused with
// ErrTooLarge before a pixel is painted. Each fill and stroke is
// composited over the rectangle it spans only, not the whole canvas.
// Measuring and drawing check ctx between fills and strokes, and a
// gradient fill checks it every few thousand pixels. Errors are *Error
// wrapping ErrInvalid, ErrUnsupported, ErrTooLarge or ctx's error; a
// panic of the underlying parser is turned into ErrInvalid. Safe for
// concurrent use.
func Rasterize(ctx context.Context, data []byte, longEdge int, lim Limits) (image.Image, error) {
	return rasterize(ctx, data, longEdge, lim, &stats{})
}

// stats is what rasterize found and did, for tests.
type stats struct {
	maxStops int   // stops of the largest gradient
	painted  int   // fills and strokes painted
	shaded   int64 // gradient pixels computed
}

func rasterize(ctx context.Context, data []byte, longEdge int, lim Limits, st *stats) (img image.Image, err error) {
	lim = lim.withDefaults()
	if longEdge <= 0 {
		longEdge = DefaultLongEdge
	}
	longEdge = min(longEdge, maxLongEdge)
	if err := ctx.Err(); err != nil {
		return nil, &Error{Err: err}
	}
	if len(data) == 0 {
		return nil, fail(ErrInvalid, "empty document")
	}
	if len(data) > lim.MaxBytes {
		return nil, fail(ErrTooLarge, "%d bytes, limit %d", len(data), lim.MaxBytes)
	}
	if st.maxStops, err = scan(data, lim); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fail(ErrInvalid, "the document cannot be drawn")
		}
	}()
	icon, perr := oksvg.ReadIconStream(bytes.NewReader(data), oksvg.IgnoreErrorMode)
	if perr != nil {
		return nil, fail(ErrInvalid, "the document cannot be parsed")
	}
	vw, vh := icon.ViewBox.W, icon.ViewBox.H
	if !(vw > 0 && vh > 0) || math.IsInf(vw, 0) || math.IsInf(vh, 0) || vw/vh > 100 || vh/vw > 100 {
		return nil, fail(ErrInvalid, "no usable viewBox or size")
	}
	w, h := longEdge, longEdge
	if vw >= vh {
		h = max(1, int(math.Round(float64(longEdge)*vh/vw)))
	} else {
		w = max(1, int(math.Round(float64(longEdge)*vw/vh)))
	}
	scale := float64(w) / vw
	icon.SetTarget(0, 0, float64(w), float64(h))
	for i := range icon.SVGPaths {
		p := &icon.SVGPaths[i]
		// rasterx subdivides curves by their size, so one path with
		// control points far outside the drawing can run for minutes
		// in a single call that no context can interrupt. Such paths
		// draw nothing visible: refuse the document.
		if l := pathLength(p.Path); !(l <= maxPathSpan*(vw+vh)) {
			return nil, fail(ErrInvalid, "a path reaches far outside the drawing")
		}
		if !sensibleDash(p.Dash, scale, pathLength(p.Path)) {
			p.Dash = nil // a pattern too fine to see would cost millions of segments
		}
		if limit := 4 * float64(w+h) / scale; !(p.LineWidth <= limit) {
			p.LineWidth = limit // wider than the canvas looks the same, costs more
		}
	}
	bounds := image.Rect(0, 0, w, h)
	// The whole drawing is measured before a pixel is painted: each
	// fill and stroke costs the area it spans times the cost of a pixel
	// of its paint (a gradient's grows with its stops), plus its points.
	meter := newPainter(ctx, nil, bounds, gradientPixelCost(st.maxStops))
	if err := drawAll(ctx, icon, meter, w, h, lim.MaxWork); err != nil {
		return nil, err
	}
	canvas := image.NewRGBA(bounds)
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	pt := newPainter(ctx, canvas, bounds, gradientPixelCost(st.maxStops))
	defer func() { st.painted, st.shaded = pt.draws, pt.shaded }()
	if err := drawAll(ctx, icon, pt, w, h, 0); err != nil {
		return nil, err
	}
	return canvas, nil
}

// drawAll draws every path of icon through p, checking ctx between fills
// and strokes. With maxWork > 0 it fails with ErrTooLarge as soon as the
// work counted passes maxWork.
func drawAll(ctx context.Context, icon *oksvg.SvgIcon, p *painter, w, h int, maxWork int64) error {
	d := rasterx.NewDasher(w, h, p)
	for i := range icon.SVGPaths {
		if err := ctx.Err(); err != nil {
			return &Error{Err: err}
		}
		icon.SVGPaths[i].DrawTransformed(d, 1, icon.Transform)
		if maxWork > 0 && p.work > maxWork {
			return fail(ErrTooLarge, "drawing it takes at least %d units of work (painted area × paint cost), limit %d", p.work, maxWork)
		}
	}
	if err := ctx.Err(); err != nil {
		return &Error{Err: err} // a Draw cut short by cancellation painted nothing more
	}
	return nil
}

// gradientPixelCost is the work of one pixel of gradient paint, in pixels
// of solid paint, for gradients of at most stops stops. Measured: a
// gradient pixel costs about ten solid ones, and rasterx finds its place
// among the stops by walking them, about one more per 40 stops.
func gradientPixelCost(stops int) int64 { return 12 + int64(stops)/32 }

// maxPathSpan bounds a path's length, in multiples of the viewBox's
// width plus height.
const maxPathSpan = 1000

// maxDashes bounds the dashes one path may be cut into.
const maxDashes = 20_000

// pathLength returns an upper bound of the length of p in user units: the
// length of the polyline through all its points, control points included.
func pathLength(p rasterx.Path) float64 {
	var total, x, y float64
	for i := 0; i < len(p); {
		n := 0
		switch rasterx.PathCommand(p[i]) {
		case rasterx.PathMoveTo:
			if i+2 < len(p) {
				x, y = float64(p[i+1])/64, float64(p[i+2])/64
			}
			i += 3
			continue
		case rasterx.PathLineTo:
			n = 1
		case rasterx.PathQuadTo:
			n = 2
		case rasterx.PathCubicTo:
			n = 3
		default:
			i++
			continue
		}
		for k := 0; k < n && i+2*k+2 < len(p); k++ {
			nx, ny := float64(p[i+2*k+1])/64, float64(p[i+2*k+2])/64
			total += math.Hypot(nx-x, ny-y)
			x, y = nx, ny
		}
		i += 1 + 2*n
	}
	return total
}

// sensibleDash accepts a dash pattern with few entries whose period is at
// least a pixel at the drawing scale and that cuts the path into a
// bounded number of dashes.
func sensibleDash(d []float64, scale, length float64) bool {
	if len(d) == 0 {
		return true
	}
	if len(d) > maxDash {
		return false
	}
	var sum float64
	for _, v := range d {
		if !(v >= 0) || math.IsInf(v, 0) {
			return false
		}
		sum += v
	}
	return sum*scale >= 1 && length/sum <= maxDashes
}

// scan walks the XML tokens once to enforce the limits before the parser
// builds anything. It returns the stop count of the largest gradient,
// counted as oksvg collects them (the <stop>s after a <linearGradient> or
// <radialGradient> start tag, up to its end tag).
func scan(data []byte, lim Limits) (maxStops int, err error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		// Only byte-compatible encodings are scanned; the parser itself
		// converts others. Scanning as bytes is enough to count tags.
		return r, nil
	}
	depth, elements, defsDepth := 0, 0, 0
	root, inGrad, stops := true, false, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fail(ErrInvalid, "malformed XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root {
				if t.Name.Local != "svg" {
					return 0, fail(ErrInvalid, "the root element is not <svg>")
				}
				root = false
			}
			elements++
			depth++
			if elements > lim.MaxElements {
				return 0, fail(ErrTooLarge, "more than %d elements", lim.MaxElements)
			}
			if depth > lim.MaxDepth {
				return 0, fail(ErrTooLarge, "nesting deeper than %d", lim.MaxDepth)
			}
			switch t.Name.Local {
			case "linearGradient", "radialGradient":
				inGrad, stops = true, 0
			case "stop":
				if inGrad {
					stops++
					maxStops = max(maxStops, stops)
				}
			}
			switch strings.ToLower(t.Name.Local) {
			case "defs", "symbol":
				if defsDepth == 0 {
					defsDepth = depth
				}
			case "use":
				if defsDepth > 0 {
					return 0, fail(ErrUnsupported, "<use> inside <defs>")
				}
			}
		case xml.EndElement:
			if t.Name.Local == "linearGradient" || t.Name.Local == "radialGradient" {
				inGrad = false
			}
			if depth == defsDepth {
				defsDepth = 0
			}
			depth--
		}
	}
	if root {
		return 0, fail(ErrInvalid, "no <svg> element")
	}
	return maxStops, nil
}

// PreviewPNG rasterizes like Rasterize and encodes the result as PNG, the
// form the image pipeline takes (media.Prepare turns it into the JPEG a
// provider sees).
func PreviewPNG(ctx context.Context, data []byte, longEdge int, lim Limits) ([]byte, error) {
	img, err := Rasterize(ctx, data, longEdge, lim)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		return nil, fmt.Errorf("vector: encoding the preview: %w", err)
	}
	return b.Bytes(), nil
}
