package testenv

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// Photo returns a small JPEG (48×32) that differs from Photo(j) for every
// j != i below 1<<24, so that a fake provider answers each differently
// and a ledger bills each under its own key.
func Photo(t testing.TB, i int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := range 32 {
		for x := range 48 {
			img.Set(x, y, color.RGBA{uint8(i * 7), uint8(i >> 5), uint8(x*5 + y), 255})
		}
	}
	// Each file's own bit pattern in the first row.
	for b := range 24 {
		if i>>b&1 == 1 {
			img.Set(b, 0, color.RGBA{255, 255, 255, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
