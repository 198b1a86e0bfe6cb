package media_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"

	"github.com/picfre/picfre/internal/media"
)

func ExampleSniff() {
	f, err := media.Sniff([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"))
	fmt.Println(f, f.MIMEType(), err)

	_, err = media.Sniff([]byte("<html><body>not a picture</body></html>"))
	var me *media.Error
	if errors.As(err, &me) {
		fmt.Println(me.Kind)
	}
	// Output:
	// png image/png <nil>
	// unsupported
}

func ExampleProbe() {
	data, err := os.ReadFile("../../testdata/samples/hubble_deep_field.jpg")
	if err != nil {
		panic(err)
	}
	info, err := media.Probe(data, media.Limits{})
	fmt.Printf("%s %d×%d orientation %d %v\n", info.Format, info.Width, info.Height, info.Orientation, err)

	// The same file against a 0.5 megapixel limit: refused from the header.
	_, err = media.Probe(data, media.Limits{MaxPixels: 500_000})
	var me *media.Error
	if errors.As(err, &me) {
		fmt.Println(me.Kind)
	}
	// Output:
	// jpeg 1000×872 orientation 1 <nil>
	// too large
}

func ExamplePrepare() {
	data, err := os.ReadFile("../../testdata/samples/hubble_deep_field.jpg")
	if err != nil {
		panic(err)
	}
	p, err := media.Prepare(data, media.Limits{}, media.PrepareOptions{LongEdge: 512})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.MIMEType, p.Width, p.Height, p.Source.Width, p.Source.Height)
	// Output:
	// image/jpeg 512 446 1000 872
}

func ExampleDecode() {
	// A 4×2 PNG: half transparent red.
	m := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for x := range 4 {
		for y := range 2 {
			m.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 128})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		panic(err)
	}
	img, info, err := media.Decode(buf.Bytes(), media.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Println(info.Format, img.Bounds().Dx(), img.Bounds().Dy(), color.NRGBAModel.Convert(img.At(0, 0)))
	// Output:
	// png 4 2 {255 0 0 128}
}

func ExampleDetect() {
	for _, head := range []string{
		"RIFF\x24\x00\x00\x00WAVEfmt ",
		"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00",
		`<svg xmlns="http://www.w3.org/2000/svg"/>`,
	} {
		f, err := media.Detect([]byte(head))
		fmt.Println(f, f.Kind(), f.MIMEType(), err)
	}
	// Output:
	// wav audio audio/wav <nil>
	// mp4 video video/mp4 <nil>
	// svg vector image/svg+xml <nil>
}
