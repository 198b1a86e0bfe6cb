//go:build unix

package media

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPrepareCPUVsVips is issue 15's yardstick: the CPU time to make
// 768 px and 1536 px JPEGs of six distinct 24-megapixel 4:2:0 photos, by
// Prepare in this process (files read from disk, one after another) and by
// one vipsthumbnail process given all six files at once (so its start-up
// is paid once, as in a service; libvips decodes with libjpeg-turbo's DCT
// scaling and works on several threads), in the same iteration. CPU is
// user+system time from getrusage: this process's own for Prepare (the
// garbage collector's included), the child's for vipsthumbnail. The
// figures are CPU ms per file for each and cpu-ratio, Prepare's over
// vipsthumbnail's.
func BenchmarkPrepareCPUVsVips(b *testing.B) {
	vips, err := exec.LookPath("vipsthumbnail")
	if err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatal("vipsthumbnail not installed (Debian package libvips-tools)")
		}
		b.Skip("vipsthumbnail not installed (Debian package libvips-tools); skipping comparison")
	}
	dir := b.TempDir()
	const n = 6
	paths := photos24MP(b, dir, n)
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, long := range []int{1536, 768} {
		b.Run(fmt.Sprintf("long=%d", long), func(b *testing.B) {
			var ours, theirs time.Duration
			for b.Loop() {
				start := cpuTime(b)
				for _, p := range paths {
					data, err := os.ReadFile(p)
					if err != nil {
						b.Fatal(err)
					}
					pr, err := Prepare(data, Limits{}, PrepareOptions{LongEdge: long})
					if err != nil {
						b.Fatal(err)
					}
					if max(pr.Width, pr.Height) != long || pr.Fallback != "" {
						b.Fatalf("got %d×%d, fallback %q", pr.Width, pr.Height, pr.Fallback)
					}
				}
				ours += cpuTime(b) - start
				args := append(append([]string{}, paths...), "--size", fmt.Sprint(long), "-o", filepath.Join(out, "%s.jpg[Q=85,strip]"))
				cmd := exec.Command(vips, args...)
				if msg, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("vipsthumbnail: %v\n%s", err, msg)
				}
				theirs += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			files := float64(b.N * n)
			b.ReportMetric(float64(ours.Milliseconds())/files, "picfre-cpu-ms/file")
			b.ReportMetric(float64(theirs.Milliseconds())/files, "vips-cpu-ms/file")
			b.ReportMetric(float64(ours)/float64(theirs), "cpu-ratio")
		})
	}
}

// cpuTime is this process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
