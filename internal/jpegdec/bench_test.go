package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/image/draw"
)

// photo24MP is a 6000×4000 4:2:0 JPEG at quality 92 made the way
// internal/media's benchmark makes it: a 4×4 mosaic of the sample
// photographs upscaled with Catmull-Rom, plus ±12 levels of deterministic
// grain so that the entropy-coded data has a camera image's size (~8 MB).
var photo24MP = sync.OnceValues(func() ([]byte, error) {
	const W, H, cols, rows = 6000, 4000, 4, 4
	canvas := image.NewRGBA(image.Rect(0, 0, W, H))
	names := []string{"astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg", "brick.png", "grass.png", "gravel.png"}
	tw, th := W/cols, H/rows
	for i := range cols * rows {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "samples", names[i%len(names)]))
		if err != nil {
			return nil, err
		}
		src, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		r := image.Rect((i%cols)*tw, (i/cols)*th, (i%cols+1)*tw, (i/cols+1)*th)
		draw.CatmullRom.Scale(canvas, r, src, src.Bounds(), draw.Src, nil)
	}
	s := uint32(2463534242)
	for i := 0; i < len(canvas.Pix); i += 4 {
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		n := int(s%25) - 12
		for c := range 3 {
			canvas.Pix[i+c] = uint8(min(max(int(canvas.Pix[i+c])+n, 0), 255))
		}
	}
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, canvas, &jpeg.Options{Quality: 92})
	return buf.Bytes(), err
})

func bench24MP(b *testing.B) []byte {
	b.Helper()
	data, err := photo24MP()
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecode24MP decodes the 24-MP photo at each scale, with
// image/jpeg's full-size decode of the same bytes as the baseline. Besides
// ns/op it reports cpu-ns/op, the process CPU time per decode, which a
// machine shared with other work disturbs less than wall time.
func BenchmarkDecode24MP(b *testing.B) {
	data := bench24MP(b)
	b.Run("image-jpeg", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		c0, n := cpuTime(), 0
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(cpuTime()-c0)/float64(n), "cpu-ns/op")
	})
	for _, s := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("scale=%d", s), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			c0, n := cpuTime(), 0
			for b.Loop() {
				if _, err := Decode(data, Options{Scale: s}); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(n), "cpu-ns/op")
		})
	}
}

// photo24MPProgressive is photo24MP decoded and re-encoded by cjpeg
// -progressive at quality 92 (libjpeg's default progressive script).
var photo24MPProgressive = sync.OnceValues(func() ([]byte, error) {
	data, err := photo24MP()
	if err != nil {
		return nil, err
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	cjpeg, err := exec.LookPath("cjpeg")
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	var ppm bytes.Buffer
	fmt.Fprintf(&ppm, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			ppm.Write([]byte{byte(r >> 8), byte(g >> 8), byte(bb >> 8)})
		}
	}
	cmd := exec.Command(cjpeg, "-progressive", "-quality", "92")
	cmd.Stdin = &ppm
	return cmd.Output()
})

// BenchmarkDecode24MPProgressive is BenchmarkDecode24MP on the
// progressive version of the photo.
func BenchmarkDecode24MPProgressive(b *testing.B) {
	if _, err := exec.LookPath("cjpeg"); err != nil {
		b.Skip("cjpeg not installed (Debian package libjpeg-turbo-progs); skipping")
	}
	data, err := photo24MPProgressive()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("image-jpeg", func(b *testing.B) {
		b.ReportAllocs()
		c0, n := cpuTime(), 0
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(cpuTime()-c0)/float64(n), "cpu-ns/op")
	})
	for _, s := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("scale=%d", s), func(b *testing.B) {
			b.ReportAllocs()
			c0, n := cpuTime(), 0
			for b.Loop() {
				if _, err := Decode(data, Options{Scale: s}); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(n), "cpu-ns/op")
		})
	}
}
