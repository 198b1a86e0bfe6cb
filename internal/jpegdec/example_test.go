package jpegdec_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"github.com/picfre/picfre/internal/jpegdec"
)

// Decode a 4000×3000 photo at a quarter of its size, the largest
// reduction that still gives at least 768 pixels on the long edge.
func ExampleDecode() {
	src := image.NewGray(image.Rect(0, 0, 4000, 3000))
	for i := range src.Pix {
		src.Pix[i] = uint8(i % 251)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, nil); err != nil {
		panic(err)
	}

	scale := jpegdec.ScaleFor(4000, 3000, 768)
	img, err := jpegdec.Decode(buf.Bytes(), jpegdec.Options{Scale: scale})
	if err != nil {
		panic(err)
	}
	fmt.Println(scale, img.Bounds().Dx(), img.Bounds().Dy(), img.ColorModel() == color.GrayModel)
	// Output: 4 1000 750 true
}
