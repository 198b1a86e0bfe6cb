package mediatest

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
)

// SmallJPEG returns the i-th of a family of distinct small JPEGs (96×64,
// quality 85), each a 4×4 grid of colours drawn from a generator seeded
// by i: the files of a batch of many small images. The same i always
// gives the same bytes.
func SmallJPEG(i int) ([]byte, error) {
	const w, h, cw, ch = 96, 64, 24, 16
	rng := rand.New(rand.NewPCG(uint64(i), 29))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for cy := 0; cy < h; cy += ch {
		for cx := 0; cx < w; cx += cw {
			c := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
			for y := cy; y < cy+ch; y++ {
				for x := cx; x < cx+cw; x++ {
					img.SetRGBA(x, y, c)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
