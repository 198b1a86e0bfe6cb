package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"testing"
)

// boxPlane averages n×n boxes of p (partial boxes at the edges average
// what they cover), rounding to nearest.
func boxPlane(p [][]byte, n int) [][]byte {
	h := len(p)
	w := 0
	if h > 0 {
		w = len(p[0])
	}
	oh, ow := (h+n-1)/n, (w+n-1)/n
	out := make([][]byte, oh)
	for y := range out {
		out[y] = make([]byte, ow)
		for x := range out[y] {
			sum, cnt := 0, 0
			for yy := y * n; yy < min(h, y*n+n); yy++ {
				for xx := x * n; xx < min(w, x*n+n); xx++ {
					sum += int(p[yy][xx])
					cnt++
				}
			}
			out[y][x] = byte((sum + cnt/2) / cnt)
		}
	}
	return out
}

// TestReducedScaleIsBoxFilter checks that each plane decoded at Scale n
// is the full decode box-filtered by n×n, within the tolerance stated in
// the package documentation (where the full decode clips ringing at 0
// or 255 the box of the clipped samples differs from the clipped box, so
// the maximum is loose).
func TestReducedScaleIsBoxFilter(t *testing.T) {
	for _, sz := range [][2]int{{64, 48}, {333, 201}, {1000, 667}} {
		for _, q := range []int{50, 92} {
			data := encode(t, testPhoto(sz[0], sz[1], 3), q)
			full, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			fp := planes(full)
			for _, n := range []int{2, 4, 8} {
				t.Run(fmt.Sprintf("%dx%d/q%d/scale%d", sz[0], sz[1], q, n), func(t *testing.T) {
					got, err := Decode(data, Options{Scale: n})
					if err != nil {
						t.Fatal(err)
					}
					wb := image.Rect(0, 0, (sz[0]+n-1)/n, (sz[1]+n-1)/n)
					if got.Bounds() != wb {
						t.Fatalf("bounds %v, want %v", got.Bounds(), wb)
					}
					gp := planes(got)
					sum, cnt, worst := 0, 0, 0
					for i := range fp {
						want := boxPlane(fp[i], n)
						// Partial boxes at the right and bottom edges are
						// compared only when the plane divides evenly: the
						// decoder averages the block padding there too.
						hh, ww := len(fp[i])/n, 0
						if len(fp[i]) > 0 {
							ww = len(fp[i][0]) / n
						}
						for y := range want[:hh] {
							for x := range want[y][:ww] {
								d := int(gp[i][y][x]) - int(want[y][x])
								d = max(d, -d)
								sum += d
								cnt++
								worst = max(worst, d)
							}
						}
					}
					mean := float64(sum) / float64(cnt)
					t.Logf("mean abs %.3f max %d", mean, worst)
					if mean > 0.3 || worst > 24 {
						t.Errorf("mean abs %.3f max %d, want <= 0.3 and <= 24", mean, worst)
					}
				})
			}
		}
	}
}
