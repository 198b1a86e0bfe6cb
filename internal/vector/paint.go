package vector

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/srwiley/rasterx"
	"golang.org/x/image/math/fixed"
	xvector "golang.org/x/image/vector"
)

// painter is the rasterx.Scanner Rasterize draws through, in place of
// rasterx's ScannerGV. ScannerGV composites every path over the whole
// canvas, so each path costs the canvas's area whatever its size; painter
// keeps a path's points until Draw and composites only the rectangle they
// span, clipped to the canvas. The work of a Draw is then its area times
// the cost of one pixel of its paint, which is what the budget counts.
//
// With dst nil the painter only measures: Draw adds the work it would
// have done to work and paints nothing. Rasterize measures the whole
// document this way before it paints a pixel.
type painter struct {
	dst    *image.RGBA // nil: measure only
	bounds image.Rectangle
	ctx    context.Context

	// stopCost is the cost of one pixel of a gradient paint, in units of
	// a pixel of solid paint: a gradient looks its stops up one by one
	// for every pixel, so the document's largest gradient decides it.
	stopCost int64
	work     int64 // units of work done (or measured) so far
	draws    int   // Draw calls that painted (or would have painted)
	shaded   int64 // gradient pixels computed

	z        xvector.Rasterizer
	pts      []pathPoint
	min, max fixed.Point26_6
	src      image.Image
	gradient bool
	clip     image.Rectangle
}

type pathPoint struct {
	p     fixed.Point26_6
	start bool
}

var _ rasterx.Scanner = (*painter)(nil)

func newPainter(ctx context.Context, dst *image.RGBA, bounds image.Rectangle, stopCost int64) *painter {
	p := &painter{dst: dst, bounds: bounds, ctx: ctx, stopCost: stopCost, src: image.NewUniform(color.Black)}
	p.Clear()
	return p
}

func (p *painter) add(a fixed.Point26_6, start bool) {
	p.min.X, p.min.Y = min(p.min.X, a.X), min(p.min.Y, a.Y)
	p.max.X, p.max.Y = max(p.max.X, a.X), max(p.max.Y, a.Y)
	p.pts = append(p.pts, pathPoint{a, start})
}

// Start starts a new curve at a.
func (p *painter) Start(a fixed.Point26_6) { p.add(a, true) }

// Line adds a segment to b.
func (p *painter) Line(b fixed.Point26_6) { p.add(b, false) }

// GetPathExtent returns the extent of the points added since Clear.
func (p *painter) GetPathExtent() fixed.Rectangle26_6 {
	return fixed.Rectangle26_6{Min: p.min, Max: p.max}
}

// SetBounds is part of rasterx.Scanner; the canvas is fixed at creation.
func (p *painter) SetBounds(w, h int) {}

// SetWinding is a no-op, as in ScannerGV: x/image/vector fills with the
// non-zero rule only.
func (p *painter) SetWinding(bool) {}

// SetClip restricts painting to rect (image.Rectangle{} for none).
func (p *painter) SetClip(rect image.Rectangle) { p.clip = rect }

// SetColor sets the paint: a color.Color or a rasterx.ColorFunc.
func (p *painter) SetColor(c any) {
	switch c := c.(type) {
	case color.Color:
		p.src, p.gradient = image.NewUniform(c), false
	case rasterx.ColorFunc:
		p.src, p.gradient = &funcImage{f: c, ctx: p.ctx, shaded: &p.shaded}, true
	}
}

// Clear drops the points added so far.
func (p *painter) Clear() {
	p.pts = p.pts[:0]
	const big = fixed.Int26_6(math.MaxInt32)
	p.min, p.max = fixed.Point26_6{X: big, Y: big}, fixed.Point26_6{X: -big, Y: -big}
}

// area returns the pixels the points added so far cover, clipped.
func (p *painter) area() image.Rectangle {
	if len(p.pts) == 0 {
		return image.Rectangle{}
	}
	r := image.Rect(p.min.X.Floor(), p.min.Y.Floor(), p.max.X.Ceil()+1, p.max.Y.Ceil()+1).Intersect(p.bounds)
	if !p.clip.Empty() {
		r = r.Intersect(p.clip)
	}
	return r
}

// drawCost is the work of one Draw over r: a fixed part per call and per
// point, and the area times the cost of a pixel of the paint.
func (p *painter) drawCost(r image.Rectangle) int64 {
	per := int64(1)
	if p.gradient {
		per = p.stopCost
	}
	return drawOverhead + int64(len(p.pts)) + int64(r.Dx())*int64(r.Dy())*per
}

// drawOverhead is the fixed work of a Draw, in pixel units.
const drawOverhead = 64

// Draw composites the points added so far with the paint, over the
// rectangle they span. It does nothing once ctx is done.
func (p *painter) Draw() {
	r := p.area()
	if r.Empty() {
		return
	}
	p.work += p.drawCost(r)
	p.draws++
	if p.dst == nil || p.ctx.Err() != nil {
		return
	}
	p.z.Reset(r.Dx(), r.Dy())
	p.z.DrawOp = draw.Over
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	for _, pt := range p.pts {
		x, y := float32(pt.p.X)/64-ox, float32(pt.p.Y)/64-oy
		if pt.start {
			p.z.MoveTo(x, y)
		} else {
			p.z.LineTo(x, y)
		}
	}
	p.z.Draw(p.dst, r, p.src, r.Min)
}

// funcImage is a gradient as an image for x/image/vector. It checks ctx
// every few thousand pixels and, once ctx is done, answers transparent
// without asking the gradient: a Draw that is cancelled half way
// finishes at the speed of a solid fill.
type funcImage struct {
	f      rasterx.ColorFunc
	ctx    context.Context
	n      int
	done   bool
	shaded *int64 // gradient pixels computed, for the painter
}

func (g *funcImage) ColorModel() color.Model { return color.RGBAModel }

func (g *funcImage) Bounds() image.Rectangle {
	return image.Rect(-1e9, -1e9, 1e9, 1e9)
}

func (g *funcImage) At(x, y int) color.Color {
	if g.n++; g.n&4095 == 0 && g.ctx.Err() != nil {
		g.done = true
	}
	if g.done {
		return color.Transparent
	}
	*g.shaded++
	return g.f(x, y)
}
