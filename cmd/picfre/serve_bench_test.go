package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/jobs"
)

// benchPhotos writes n distinct camera-like 6000×4000 JPEGs (quality 90)
// into a directory kept for the whole benchmark process: each has its own
// 8×8 grid of colours (so none is a near-duplicate of another) under
// fine grain of ±12 levels (so it has a real photograph's
// high-frequency content and entropy-coded size).
var benchPhotos = struct {
	sync.Mutex
	dir   string
	paths []string
}{}

func benchJPEGs(b *testing.B, n int) []string {
	b.Helper()
	benchPhotos.Lock()
	defer benchPhotos.Unlock()
	if benchPhotos.dir == "" {
		dir, err := os.MkdirTemp("", "picfre-servebench-")
		if err != nil {
			b.Fatal(err)
		}
		benchPhotos.dir = dir
	}
	const W, H, grid = 6000, 4000, 8
	start := len(benchPhotos.paths)
	paths := make([]string, n-start)
	errs := make(chan error, len(paths))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i := start; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rng := rand.New(rand.NewPCG(uint64(i), 13))
			img := image.NewRGBA(image.Rect(0, 0, W, H))
			var cells [grid * grid]color.RGBA
			for c := range cells {
				cells[c] = color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
			}
			s := uint32(2463534242 + i*7919)
			for y := range H {
				row := img.Pix[y*img.Stride:]
				for x := range W {
					c := cells[(y*grid/H)*grid+x*grid/W]
					s ^= s << 13
					s ^= s >> 17
					s ^= s << 5
					d := int(s%25) - 12
					p := row[x*4:]
					p[0], p[1], p[2], p[3] = clamp8(int(c.R)+d), clamp8(int(c.G)+d), clamp8(int(c.B)+d), 255
				}
			}
			path := filepath.Join(benchPhotos.dir, fmt.Sprintf("IMG_%04d.jpg", i))
			f, err := os.Create(path)
			if err == nil {
				w := bufio.NewWriterSize(f, 1<<20)
				err = jpeg.Encode(w, img, &jpeg.Options{Quality: 90})
				if err == nil {
					err = w.Flush()
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				errs <- err
			}
			paths[i-start] = path
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	benchPhotos.paths = append(benchPhotos.paths, paths...)
	return benchPhotos.paths[:n]
}

// benchCLI is PICFRE_TEST_CLI or the program built once per benchmark
// process into the photos' directory.
func benchCLI(b *testing.B) string {
	b.Helper()
	if bin := os.Getenv("PICFRE_TEST_CLI"); bin != "" {
		return bin
	}
	benchJPEGs(b, 0)
	benchPhotos.Lock()
	defer benchPhotos.Unlock()
	bin := filepath.Join(benchPhotos.dir, "picfre")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestMain removes what the benchmarks keep for the whole process.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchPhotos.dir != "" {
		os.RemoveAll(benchPhotos.dir)
	}
	if photos12MP.dir != "" {
		os.RemoveAll(photos12MP.dir)
	}
	os.Exit(code)
}

func clamp8(v int) uint8 {
	return uint8(min(max(v, 0), 255))
}

// BenchmarkServeUpload posts N camera JPEGs to a "picfre serve" child
// process in one streamed multipart request, on the loopback, with the
// fake OpenAI-wire provider, waits for the job to be final and reports
// the server's peak resident memory (VmHWM) and files per second.
func BenchmarkServeUpload(b *testing.B) {
	bin := benchCLI(b)
	prov := wiretest.Start(wiretest.OpenAI, wiretest.Options{})
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			files := benchJPEGs(b, n)
			var peak, cpu float64
			var took time.Duration
			b.ResetTimer()
			for range b.N {
				p, d, c := serveUploadOnce(b, bin, prov, files)
				peak = max(peak, p)
				took += d
				cpu += c
			}
			b.ReportMetric(peak, "peak-MiB")
			b.ReportMetric(float64(n*b.N)/took.Seconds(), "files/s")
			b.ReportMetric(cpu*1000/float64(n*b.N), "server-cpu-ms/file")
		})
	}
}

// serveUploadOnce runs one server from an empty ledger, uploads the files
// as one job, waits for it and returns the server's peak RSS in MiB and
// the time from the upload's start to the job's end, and the server's CPU
// seconds (start-up included).
func serveUploadOnce(b *testing.B, bin string, prov *wiretest.Server, files []string) (peakMiB float64, took time.Duration, cpuSeconds float64) {
	b.Helper()
	b.StopTimer()
	dir := b.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "l.db")
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--ledger", dsn, "--sweep-every", "0",
		"--provider", "openai", "--base-url", prov.BaseURL(), "--api-key", prov.Secret())
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "XDG_DATA_HOME="+filepath.Join(dir, "data"))
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			<-done
		}
	}()
	base := make(chan string, 1)
	var log strings.Builder
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				base <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-base:
	case <-time.After(time.Minute):
		logMu.Lock()
		defer logMu.Unlock()
		b.Fatalf("serve did not start: %s", log.String())
	}

	b.StartTimer()
	start := time.Now()
	form, formType := streamUpload(files, func(_ int, path string) string { return filepath.Base(path) })
	resp, err := http.Post(url+"/v1/jobs", formType, form)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	var j jobs.Job
	if err := json.Unmarshal(body, &j); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for j.Finished.IsZero() {
		if time.Now().After(deadline) {
			b.Fatalf("job not final after 10 minutes: %s", body)
		}
		time.Sleep(100 * time.Millisecond)
		resp, err := http.Get(url + "/v1/jobs/" + j.ID)
		if err != nil {
			b.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET job: %d %s", resp.StatusCode, body)
		}
		if err := json.Unmarshal(body, &j); err != nil {
			b.Fatal(err)
		}
	}
	took = time.Since(start)
	b.StopTimer()
	if j.Done != len(files) {
		b.Fatalf("job ended with %d of %d files done: %s", j.Done, len(files), body)
	}
	return vmHWM(b, cmd.Process.Pid), took, processCPU(b, cmd.Process.Pid)
}

// processCPU reads a process's user and system CPU time in seconds so
// far (utime and stime of /proc/PID/stat, in clock ticks of 1/100 s).
func processCPU(b *testing.B, pid int) float64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// count the fields after its closing one.
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		b.Fatalf("short /proc stat: %q", data)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("bad /proc stat: %q", data)
	}
	return (utime + stime) / 100
}

// vmHWM reads a process's peak resident set size in MiB.
func vmHWM(b *testing.B, pid int) float64 {
	b.Helper()
	kb, err := readVmHWM(pid)
	if err != nil {
		b.Fatal(err)
	}
	return float64(kb) / 1024
}

// readVmHWM reads a running process's peak resident set size in
// kilobytes from /proc: the high-water mark of its own address space
// since it started the program. (A child's ru_maxrss cannot serve: Linux
// carries the parent's high-water mark across the vfork and exec that
// start it, so it never reads below the parent's peak.)
func readVmHWM(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
