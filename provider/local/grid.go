package local

import (
	"context"
	"image"
	"image/color"
	"math"
)

// grid is an image reduced to at most size×size pixels for analysis, in
// 8-bit sRGB with any transparency composited over white, plus per-pixel
// lightness (CIE L*, 0–100).
type grid struct {
	w, h        int
	r, g, b     []uint8
	l           []float32
	transparent float64 // share of samples more than half transparent
	gray        bool    // the source colour model has no colour at all
}

// checkEvery is how many grid rows are processed between context checks.
const checkEvery = 32

// newGrid downsamples img so that its long edge is at most size pixels.
// Each grid pixel averages up to 2×2 samples spread over its source block:
// enough to suppress aliasing for statistics, cheap on large images.
func newGrid(ctx context.Context, img image.Image, size int) (*grid, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, errEmptyImage
	}
	gw, gh := w, h
	if w > size || h > size {
		if w >= h {
			gw, gh = size, max(1, int(math.Round(float64(h)*float64(size)/float64(w))))
		} else {
			gw, gh = max(1, int(math.Round(float64(w)*float64(size)/float64(h)))), size
		}
	}
	// Tiny images are stretched to at least one grid pixel per
	// composition cell, so every cell has pixels.
	gw, gh = max(gw, cells), max(gh, cells)
	xs := samplePositions(w, gw, b.Min.X)
	ys := samplePositions(h, gh, b.Min.Y)
	n := gw * gh
	g := &grid{w: gw, h: gh, r: make([]uint8, n), g: make([]uint8, n), b: make([]uint8, n), l: make([]float32, n)}
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		g.gray = true
	}
	sr, sg, sb := make([]int, gw), make([]int, gw), make([]int, gw)
	transparent, samples := 0, 0
	for oy := range gh {
		if oy%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		clear(sr)
		clear(sg)
		clear(sb)
		ycc := false
		for _, y := range ys[oy] {
			var tr int
			tr, ycc = readRow(img, y, xs, sr, sg, sb)
			transparent += tr
		}
		cnt := len(ys[oy])
		for ox := range gw {
			c := cnt * len(xs[ox])
			i := oy*gw + ox
			r8, g8, b8 := uint8((sr[ox]+c/2)/c), uint8((sg[ox]+c/2)/c), uint8((sb[ox]+c/2)/c)
			if ycc {
				// averaged in Y'CbCr, which is linear in R'G'B'
				r8, g8, b8 = color.YCbCrToRGB(r8, g8, b8)
			}
			g.r[i], g.g[i], g.b[i] = r8, g8, b8
			g.l[i] = lightnessOf(r8, g8, b8)
			samples += c
		}
	}
	g.transparent = float64(transparent) / float64(samples)
	return g, nil
}

// samplePositions returns, for each of n output cells along an axis of
// length size starting at origin, one or two source coordinates inside the
// cell's block.
func samplePositions(size, n, origin int) [][]int {
	out := make([][]int, n)
	flat := make([]int, 0, 2*n)
	for i := range n {
		a, z := i*size/n, (i+1)*size/n
		if z <= a {
			z = a + 1
		}
		start := len(flat)
		if bw := z - a; bw >= 2 {
			flat = append(flat, origin+a+bw/4, origin+a+(3*bw)/4)
		} else {
			flat = append(flat, origin+a)
		}
		out[i] = flat[start:len(flat):len(flat)]
	}
	return out
}

// readRow adds the 8-bit values of source row y at the sample positions
// xs[ox] to sr/sg/sb[ox], and returns how many of those samples were more
// than half transparent. The values are sRGB composited over white, except
// for Y'CbCr images, whose Y, Cb and Cr are summed as they are (ycc is
// then true) and converted once per grid pixel. The decoders' usual image
// types are read directly; others go through the color.Color interface.
func readRow(img image.Image, y int, xs [][]int, sr, sg, sb []int) (transparent int, ycc bool) {
	switch m := img.(type) {
	case *image.YCbCr:
		for ox, cols := range xs {
			for _, x := range cols {
				ci := m.COffset(x, y)
				sr[ox] += int(m.Y[m.YOffset(x, y)])
				sg[ox] += int(m.Cb[ci])
				sb[ox] += int(m.Cr[ci])
			}
		}
		return 0, true
	case *image.Gray:
		row := m.Pix[m.PixOffset(m.Rect.Min.X, y):]
		for ox, cols := range xs {
			for _, x := range cols {
				v := int(row[x-m.Rect.Min.X])
				sr[ox] += v
				sg[ox] += v
				sb[ox] += v
			}
		}
	case *image.RGBA:
		row := m.Pix[m.PixOffset(m.Rect.Min.X, y):]
		for ox, cols := range xs {
			for _, x := range cols {
				p := row[4*(x-m.Rect.Min.X):]
				bg := 255 - int(p[3]) // premultiplied: composite over white
				sr[ox] += int(p[0]) + bg
				sg[ox] += int(p[1]) + bg
				sb[ox] += int(p[2]) + bg
				if p[3] < 128 {
					transparent++
				}
			}
		}
	case *image.NRGBA:
		row := m.Pix[m.PixOffset(m.Rect.Min.X, y):]
		for ox, cols := range xs {
			for _, x := range cols {
				p := row[4*(x-m.Rect.Min.X):]
				a := int(p[3])
				bg := 255 * (255 - a)
				sr[ox] += (int(p[0])*a + bg + 127) / 255
				sg[ox] += (int(p[1])*a + bg + 127) / 255
				sb[ox] += (int(p[2])*a + bg + 127) / 255
				if a < 128 {
					transparent++
				}
			}
		}
	default:
		for ox, cols := range xs {
			for _, x := range cols {
				r, g, b, a := img.At(x, y).RGBA()
				bg := 0xffff - a
				sr[ox] += int((r + bg) >> 8)
				sg[ox] += int((g + bg) >> 8)
				sb[ox] += int((b + bg) >> 8)
				if a < 0x8000 {
					transparent++
				}
			}
		}
	}
	return transparent, false
}

// lightnessLUT maps relative luminance, quantised to 1/4095, to CIE L*.
var lightnessLUT = func() (t [4096]float32) {
	for i := range t {
		t[i] = float32(labL(float64(i) / 4095))
	}
	return t
}()

// lightnessOf returns the CIE L* of an 8-bit sRGB colour.
func lightnessOf(r, g, b uint8) float32 {
	y := 0.2126*linearLUT[r] + 0.7152*linearLUT[g] + 0.0722*linearLUT[b]
	return lightnessLUT[int(y*4095+0.5)]
}
