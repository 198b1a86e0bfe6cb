package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// testPhoto makes a w×h RGBA picture with smooth gradients, edges and
// noise, so that every frequency band carries data.
func testPhoto(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := rng.IntN(40) - 20
			r := (x*255/max(w, 1) + n) & 0xFF
			g := (y*255/max(h, 1) + n) & 0xFF
			b := ((x ^ y) * 3) & 0xFF
			if (x/7+y/5)%2 == 0 {
				b = 255 - b
			}
			img.Set(x, y, color.RGBA{uint8(r), uint8(g), uint8(b), 255})
		}
	}
	return img
}

func encode(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// planes returns the sample planes of img as image/jpeg or Decode
// returned it: Y, Cb, Cr for YCbCr, the pixel rows otherwise.
func planes(img image.Image) [][][]byte {
	switch m := img.(type) {
	case *image.YCbCr:
		b := m.Bounds()
		cw, ch := chromaSize(b.Dx(), b.Dy(), m.SubsampleRatio)
		return [][][]byte{rows(m.Y, m.YStride, b.Dx(), b.Dy()), rows(m.Cb, m.CStride, cw, ch), rows(m.Cr, m.CStride, cw, ch)}
	case *image.Gray:
		return [][][]byte{rows(m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy())}
	case *image.RGBA:
		return [][][]byte{rows(m.Pix, m.Stride, 4*m.Rect.Dx(), m.Rect.Dy())}
	case *image.CMYK:
		return [][][]byte{rows(m.Pix, m.Stride, 4*m.Rect.Dx(), m.Rect.Dy())}
	}
	return nil
}

func chromaSize(w, h int, r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

func rows(pix []byte, stride, w, h int) [][]byte {
	out := make([][]byte, h)
	for y := range out {
		out[y] = pix[y*stride : y*stride+w]
	}
	return out
}

// maxDiff compares got with image/jpeg's decode of the same bytes: same
// type, same subsampling, and the largest per-sample difference.
func maxDiff(t *testing.T, data []byte, got image.Image) int {
	t.Helper()
	want, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
		t.Fatalf("type %T, image/jpeg gives %T", got, want)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, image/jpeg gives %v", got.Bounds(), want.Bounds())
	}
	if w, ok := want.(*image.YCbCr); ok && w.SubsampleRatio != got.(*image.YCbCr).SubsampleRatio {
		t.Fatalf("ratio %v, image/jpeg gives %v", got.(*image.YCbCr).SubsampleRatio, w.SubsampleRatio)
	}
	gp, wp := planes(got), planes(want)
	worst := 0
	for i := range wp {
		for y := range wp[i] {
			for x := range wp[i][y] {
				d := int(gp[i][y][x]) - int(wp[i][y][x])
				worst = max(worst, d, -d)
			}
		}
	}
	return worst
}

func TestMatchesImageJPEG(t *testing.T) {
	sizes := [][2]int{{1, 1}, {7, 9}, {16, 16}, {17, 33}, {100, 75}, {333, 201}}
	for _, sz := range sizes {
		for _, q := range []int{1, 50, 75, 92, 100} {
			for _, gray := range []bool{false, true} {
				name := fmt.Sprintf("%dx%d/q%d/gray=%v", sz[0], sz[1], q, gray)
				t.Run(name, func(t *testing.T) {
					var src image.Image = testPhoto(sz[0], sz[1], uint64(q))
					if gray {
						g := image.NewGray(src.Bounds())
						for y := 0; y < sz[1]; y++ {
							for x := 0; x < sz[0]; x++ {
								g.Set(x, y, src.At(x, y))
							}
						}
						src = g
					}
					data := encode(t, src, q)
					got, err := Decode(data, Options{})
					if err != nil {
						t.Fatal(err)
					}
					if d := maxDiff(t, data, got); d > 1 {
						t.Errorf("max difference %d, want <= 1", d)
					}
				})
			}
		}
	}
}
