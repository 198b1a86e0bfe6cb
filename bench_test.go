package picfre_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// peakHeap samples the live heap every millisecond until stop is called
// and returns the largest value seen, in bytes.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// BenchmarkBatchMemory runs batches of 200 and 2,000 images through the
// whole pipeline (decode, orient, downscale, re-encode, fake provider,
// parse, normalize) and reports the peak live heap. The two figures must
// be about equal: memory does not grow with the batch length.
func BenchmarkBatchMemory(b *testing.B) {
	data, err := os.ReadFile("testdata/samples/chelsea.png")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{200, 2000} {
		b.Run(itoa(n), func(b *testing.B) {
			pl := picfre.New(fake.New(fake.Options{Forget: true}), picfre.Config{})
			var peak uint64
			for b.Loop() {
				runtime.GC()
				stop := peakHeap()
				count := 0
				err := pl.TagAll(context.Background(), func(yield func(picfre.Media) bool) {
					for i := range n {
						if !yield(picfre.Bytes("img-"+itoa(i)+".png", data)) {
							return
						}
					}
				}, picfre.Options{Concurrency: 4}, func(r *picfre.Result) error {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
					count++
					return nil
				})
				peak = max(peak, stop())
				if err != nil || count != n {
					b.Fatalf("%d results, %v", count, err)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/file")
		})
	}
}

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(buf[i:])
		}
	}
}

// BenchmarkVideo20s1080p tags a 20-second 1080p clip end to end: stream to
// a scratch file, probe, camera motion, 8 frames, fake provider, parse,
// normalize, scratch removed. It measures picfre's own work; the
// provider's latency comes on top.
func BenchmarkVideo20s1080p(b *testing.B) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		b.Skip("ffmpeg not found (Debian package ffmpeg)")
	}
	clip := filepath.Join(b.TempDir(), "clip.mp4")
	cmd := exec.Command(bin, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25:duration=20",
		"-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p", clip)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v %s", err, out)
	}
	p := fake.New(fake.Options{Forget: true, Capabilities: provider.Capabilities{MaxImagesPerItem: 8, ImageSize: 768}})
	pl := picfre.New(p, picfre.Config{})
	for b.Loop() {
		res, err := pl.Tag(context.Background(), picfre.File(clip), picfre.Options{})
		if err != nil || res.Kind != "video" {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Calls())/float64(b.N), "requests/op")
}
