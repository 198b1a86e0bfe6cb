package jpegdec

import (
	"bytes"
	"fmt"
	"image/jpeg"
	_ "image/png"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/picfre/picfre/internal/mediatest"
)

// photo24MP is internal/media's benchmark photo: a 6000×4000 4:2:0
// camera-like JPEG at quality 92 (~8 MB; see mediatest.Photo).
var photo24MP = sync.OnceValues(func() ([]byte, error) {
	srcs, err := mediatest.LoadSamples(filepath.Join("..", "..", "testdata", "samples"))
	if err != nil {
		return nil, err
	}
	return mediatest.Photo(srcs, 6000, 4000, 0, 92)
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
	benchDecodes(b, bench24MP(b))
}

// benchDecodes decodes data with image/jpeg at full size (the baseline)
// and with Decode at each scale, reporting besides ns/op cpu-ns/op, the
// process CPU time per decode.
func benchDecodes(b *testing.B, data []byte) {
	run := func(name string, decode func() error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			c0, n := cpuTime(), 0
			for b.Loop() {
				if err := decode(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(n), "cpu-ns/op")
		})
	}
	run("image-jpeg", func() error { _, err := jpeg.Decode(bytes.NewReader(data)); return err })
	for _, s := range []int{1, 2, 4, 8} {
		run(fmt.Sprintf("scale=%d", s), func() error { _, err := Decode(data, Options{Scale: s}); return err })
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
	benchDecodes(b, data)
}
