package mediatest

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the samples may be GIF, JPEG or PNG
	"image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"

	"golang.org/x/image/draw"
)

// SampleNames are the photographs in testdata/samples that Photo builds
// its mosaics from, in mosaic order.
var SampleNames = []string{"astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg",
	"hubble_deep_field.jpg", "brick.png", "grass.png", "gravel.png"}

// LoadSamples decodes SampleNames from dir (the repository's
// testdata/samples).
func LoadSamples(dir string) ([]image.Image, error) {
	srcs := make([]image.Image, len(SampleNames))
	for i, name := range SampleNames {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if srcs[i], _, err = image.Decode(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return srcs, nil
}

// Photo returns a camera-like w×h JPEG (4:2:0 at the given quality): a
// 4×4 mosaic of srcs upscaled with Catmull-Rom, plus ±12 levels of
// deterministic grain, so that the file has a camera image's
// high-frequency content and entropy-coded size (about 8 MB at
// 6000×4000, quality 92) rather than smooth upscaled blur. Each variant
// puts the samples in its own order (tile i shows srcs[(i+3·variant) mod
// len]) with its own grain, so distinct variants are distinct files; the
// same arguments always give the same bytes.
func Photo(srcs []image.Image, w, h, variant, quality int) ([]byte, error) {
	const cols, rows = 4, 4
	if len(srcs) == 0 {
		return nil, errors.New("mediatest: no sample images")
	}
	if w < cols || h < rows {
		return nil, fmt.Errorf("mediatest: photo of %d×%d is too small for a %d×%d mosaic", w, h, cols, rows)
	}
	canvas := image.NewRGBA(image.Rect(0, 0, w, h))
	tw, th := w/cols, h/rows
	for i := range cols * rows {
		src := srcs[(i+3*variant)%len(srcs)]
		r := image.Rect((i%cols)*tw, (i/cols)*th, (i%cols+1)*tw, (i/cols+1)*th)
		draw.CatmullRom.Scale(canvas, r, src, src.Bounds(), draw.Src, nil)
	}
	// xorshift32 grain, seeded by the variant.
	s := uint32(2463534242 + 7919*variant)
	for i := 0; i < len(canvas.Pix); i += 4 {
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		g := int(s%25) - 12
		for c := range 3 {
			canvas.Pix[i+c] = uint8(min(max(int(canvas.Pix[i+c])+g, 0), 255))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, canvas, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
