package vector

import (
	"context"
	"errors"
	"testing"
	"time"
)

func FuzzRasterize(f *testing.F) {
	f.Add([]byte(flag))
	f.Add([]byte(`<svg viewBox="0 0 10 10"><defs><linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient><g id="s"><rect width="4" height="4"/></g></defs><use href="#s" x="2"/><rect width="10" height="10" fill="url(#g)" transform="rotate(30) scale(2)"/></svg>`))
	f.Add([]byte(`<svg viewBox="0 0 10 10"><path d="M0 0 C 1e30 1e30 -1e30 5 10 10 A 5 5 0 1 1 3 3 Q 1 2 3 4 T 5 5 S 1 1 2 2 z" stroke="red" stroke-dasharray="1 2" stroke-linejoin="round" stroke-linecap="round"/></svg>`))
	f.Add([]byte(`<svg viewBox="0 0 10 10"><path d="M-1e9 -1e9 C 1e9 -1e9 1e9 1e9 -1e9 1e9 L 1e9 1e9" stroke="red" stroke-width="1e6" fill="blue"/></svg>`))
	f.Add([]byte(`<svg width="1e308" height="1e-308"><ellipse rx="NaN" ry="Inf"/><polyline points="1,2 3"/><polygon points=""/></svg>`))
	f.Add([]byte(`<svg viewBox="0 0 10 10"><g transform="scale(1e12)"><path d="M0 0 C 1 1 -1 5 10 10" stroke="red" stroke-dasharray="0.1 0.1"/></g></svg>`))
	f.Add([]byte(`<svg viewBox="0 0 10 10"><style>.a{fill:red}</style><rect class="a" width="1" height="1"/></svg>`))
	// Work bombs: many full-canvas fills and strokes, a gradient of many
	// stops (within the fuzz limits; TestRasterizeWorkBudget has the
	// full-size ones).
	f.Add([]byte(strokedRects(300)))
	f.Add([]byte(manyStops(900)))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		img, err := Rasterize(ctx, data, 64, Limits{MaxBytes: 1 << 16, MaxElements: 1000, MaxWork: 1 << 20})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %T %v", err, err)
			}
			return
		}
		b := img.Bounds()
		if b.Dx() < 1 || b.Dy() < 1 || b.Dx() > 64 || b.Dy() > 64 {
			t.Fatalf("bounds %v", b)
		}
	})
}
