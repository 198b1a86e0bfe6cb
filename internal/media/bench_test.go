package media

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/image/draw"
)

// photo24MP is a 6000×4000 JPEG made from the sample photographs: a 4×4
// mosaic of them, upscaled with Catmull-Rom, plus fine grain so that the
// file has the high-frequency content (and entropy-coded size, ~8 MB) of a
// real camera image rather than smooth upscaled blur. Built once per test
// binary: it takes a few seconds.
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
	// Deterministic grain (xorshift), ±12 levels.
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

var benchEdges = []int{1536, 1024, 768}

// BenchmarkPrepare24MP is the figure that matters: a 24-megapixel camera
// JPEG prepared for a vision model.
func BenchmarkPrepare24MP(b *testing.B) {
	data := bench24MP(b)
	for _, long := range benchEdges {
		b.Run(fmt.Sprintf("long=%d", long), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				p, err := Prepare(data, Limits{}, PrepareOptions{LongEdge: long})
				if err != nil {
					b.Fatal(err)
				}
				if max(p.Width, p.Height) != long {
					b.Fatalf("got %d×%d", p.Width, p.Height)
				}
			}
		})
	}
}

// BenchmarkVipsThumbnail24MP runs libvips' vipsthumbnail on the same file,
// process start-up included, as the external yardstick for Prepare.
func BenchmarkVipsThumbnail24MP(b *testing.B) {
	vips, err := exec.LookPath("vipsthumbnail")
	if err != nil {
		b.Skip("vipsthumbnail not installed (Debian package libvips-tools); skipping comparison")
	}
	data := bench24MP(b)
	dir := b.TempDir()
	in := filepath.Join(dir, "in.jpg")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, long := range benchEdges {
		b.Run(fmt.Sprintf("long=%d", long), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			out := filepath.Join(dir, fmt.Sprintf("out%d.jpg", long))
			for b.Loop() {
				cmd := exec.Command(vips, in, "--size", fmt.Sprint(long), "-o", out+"[Q=85,strip]")
				if msg, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("vipsthumbnail: %v\n%s", err, msg)
				}
			}
		})
	}
}

// BenchmarkDecodeJPEG24MP is the share of Prepare spent in image/jpeg.
func BenchmarkDecodeJPEG24MP(b *testing.B) {
	data := bench24MP(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProbe(b *testing.B) {
	data := sample(b, "hubble_deep_field.jpg")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Probe(data, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// photos24MP returns n distinct 6000×4000 camera-like JPEGs (4:2:0,
// quality 92), each a mosaic of the samples in its own order with its own
// grain, written into dir.
func photos24MP(b *testing.B, dir string, n int) []string {
	b.Helper()
	names := []string{"astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg", "brick.png", "grass.png", "gravel.png"}
	srcs := make([]image.Image, len(names))
	for i, name := range names {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "samples", name))
		if err != nil {
			b.Fatal(err)
		}
		if srcs[i], _, err = image.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	const W, H, cols, rows = 6000, 4000, 4, 4
	paths := make([]string, n)
	for k := range n {
		canvas := image.NewRGBA(image.Rect(0, 0, W, H))
		tw, th := W/cols, H/rows
		for i := range cols * rows {
			src := srcs[(i+3*k)%len(srcs)]
			r := image.Rect((i%cols)*tw, (i/cols)*th, (i%cols+1)*tw, (i/cols+1)*th)
			draw.CatmullRom.Scale(canvas, r, src, src.Bounds(), draw.Src, nil)
		}
		s := uint32(2463534242 + 7919*k)
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
		if err := jpeg.Encode(&buf, canvas, &jpeg.Options{Quality: 92}); err != nil {
			b.Fatal(err)
		}
		paths[k] = filepath.Join(dir, fmt.Sprintf("photo%02d.jpg", k))
		if err := os.WriteFile(paths[k], buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return paths
}
