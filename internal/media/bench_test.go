package media

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/picfre/picfre/internal/mediatest"
)

// photo24MP is a 6000×4000 camera-like JPEG at quality 92 (~8 MB; see
// mediatest.Photo). Built once per test binary: it takes a few seconds.
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
// quality 92; mediatest.Photo's variants 0 to n-1), written into dir.
func photos24MP(b *testing.B, dir string, n int) []string {
	b.Helper()
	srcs, err := mediatest.LoadSamples(filepath.Join("..", "..", "testdata", "samples"))
	if err != nil {
		b.Fatal(err)
	}
	paths := make([]string, n)
	for k := range n {
		data, err := mediatest.Photo(srcs, 6000, 4000, k, 92)
		if err != nil {
			b.Fatal(err)
		}
		paths[k] = filepath.Join(dir, fmt.Sprintf("photo%02d.jpg", k))
		if err := os.WriteFile(paths[k], data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return paths
}
