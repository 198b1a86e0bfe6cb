package vector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
)

// strokedRects is a document of n stroked rectangles, each covering the
// whole canvas: small as a file, but n full-canvas fills and strokes.
func strokedRects(n int) string {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">`)
	for i := range n {
		fmt.Fprintf(&b, `<rect x="0" y="0" width="100" height="100" fill="#%02x0000" stroke="blue" stroke-width="%d"/>`, i%256, 1+i%5)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// manyStops is a document with one full-canvas rectangle filled with a
// gradient of n stops.
func manyStops(n int) string {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><defs><linearGradient id="g">`)
	for i := range n {
		fmt.Fprintf(&b, `<stop offset="%g" stop-color="#%06x"/>`, float64(i)/float64(n), i*97%0xffffff)
	}
	b.WriteString(`</linearGradient></defs><rect width="100" height="100" fill="url(#g)"/></svg>`)
	return b.String()
}

func TestRasterizeWorkBudget(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		stops int
	}{
		{"1000 stroked full-canvas rects", strokedRects(1000), 0},
		{"99k gradient stops", manyStops(99_000), 99_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Only a guard against a hang: the budget refuses the
			// document before painting, which the stats show.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			st := &stats{}
			_, err := rasterize(ctx, []byte(tt.doc), 2048, Limits{}, st)
			if !errors.Is(err, ErrTooLarge) || errcode.Of(err) != errcode.TooLarge {
				t.Fatalf("err = %v (code %q), want ErrTooLarge", err, errcode.Of(err))
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
			if st.painted != 0 {
				t.Fatalf("%d fills and strokes were painted before the refusal", st.painted)
			}
			if st.maxStops != tt.stops {
				t.Fatalf("counted %d stops, want %d", st.maxStops, tt.stops)
			}
		})
	}
}

// The same kinds of drawing, at a size within the budget, still render:
// the budget counts work, not elements.
func TestRasterizeWithinBudget(t *testing.T) {
	st := &stats{}
	img, err := rasterize(t.Context(), []byte(strokedRects(20)), 512, Limits{}, st)
	if err != nil {
		t.Fatal(err)
	}
	if st.painted != 40 {
		t.Fatalf("painted %d fills and strokes, want 40", st.painted)
	}
	if got := rgb(img, 256, 256); got != [3]uint32{19, 0, 0} {
		t.Fatalf("centre %v, want the last rect's fill", got)
	}
	if got := rgb(img, 0, 256); got[2] < 200 {
		t.Fatalf("edge %v, want the blue stroke", got)
	}
	img, err = Rasterize(t.Context(), []byte(manyStops(2)), 100, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// Two stops, black to #000061: a ramp of blue from left to right.
	if l, r := rgb(img, 2, 50), rgb(img, 97, 50); !(l[2] < 10 && r[2] > 80) {
		t.Fatalf("gradient ends %v and %v", l, r)
	}
}

// A small drawing of a huge canvas-sized path far from most of the
// canvas costs only the area it spans.
func TestRasterizePaintsOnlyTheExtent(t *testing.T) {
	doc := `<svg viewBox="0 0 1000 1000">` + strings.Repeat(`<rect x="10" y="10" width="10" height="10"/>`, 5000) + `</svg>`
	if _, err := Rasterize(t.Context(), []byte(doc), 2048, Limits{}); err != nil {
		t.Fatalf("5000 small rects: %v", err)
	}
}

// cancelAfter is a context whose Err reports cancellation from its n-th
// call on: a deterministic stand-in for a caller cancelling while the
// rasterizer is busy.
type cancelAfter struct {
	context.Context
	calls, n atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) >= c.n.Load() {
		return context.Canceled
	}
	return nil
}

// Cancellation is seen inside a single gradient fill: the fill stops
// asking the gradient for pixels and Rasterize returns the context's
// error.
func TestRasterizeCancelInsideFill(t *testing.T) {
	doc := []byte(manyStops(20_000))
	edge := 1024
	// With the budget lifted, find how many checks the work takes up to
	// the gradient fill, then cancel just inside it.
	ctx := &cancelAfter{Context: t.Context()}
	ctx.n.Store(1 << 62)
	lim := Limits{MaxWork: 1 << 62}
	st := &stats{}
	if _, err := rasterize(ctx, []byte(strings.Replace(string(doc), `fill="url(#g)"`, `fill="red"`, 1)), edge, lim, st); err != nil {
		t.Fatal(err)
	}
	before := ctx.calls.Load() // checks of a document without the gradient
	ctx = &cancelAfter{Context: t.Context()}
	ctx.n.Store(before + 1) // the first check inside the fill
	st = &stats{}
	_, err := rasterize(ctx, doc, edge, lim, st)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if total := int64(edge * edge); st.shaded >= total/4 {
		t.Fatalf("the gradient was asked for %d of %d pixels after cancellation", st.shaded, total)
	}
}
