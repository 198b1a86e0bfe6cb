package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/mediatest"
	"github.com/picfre/picfre/internal/wiretest"
)

// photos12MP is a directory of 400 distinct 4000×3000 camera-like JPEGs
// (mediatest.Photo, variants 0 to 399, 4:2:0 at quality 92, ~4 MB each),
// written once per benchmark process, on every CPU: about three minutes
// on two cores.
// TestMain removes it.
var photos12MP struct {
	once sync.Once
	dir  string
	err  error
}

const photos12MPCount = 400

func bench12MPPhotos(b *testing.B) string {
	b.Helper()
	photos12MP.once.Do(func() {
		photos12MP.dir, photos12MP.err = os.MkdirTemp("", "picfre-photos12mp-")
		if photos12MP.err != nil {
			return
		}
		srcs, err := mediatest.LoadSamples(filepath.Join("..", "..", "testdata", "samples"))
		if err != nil {
			photos12MP.err = err
			return
		}
		var wg sync.WaitGroup
		errs := make(chan error, photos12MPCount)
		next := make(chan int)
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for k := range next {
					data, err := mediatest.Photo(srcs, 4000, 3000, k, 92)
					if err == nil {
						err = os.WriteFile(filepath.Join(photos12MP.dir, fmt.Sprintf("IMG_%04d.jpg", k)), data, 0o644)
					}
					if err != nil {
						errs <- err
					}
				}
			})
		}
		for k := range photos12MPCount {
			next <- k
		}
		close(next)
		wg.Wait()
		close(errs)
		photos12MP.err = <-errs
	})
	if photos12MP.err != nil {
		b.Fatal(photos12MP.err)
	}
	return photos12MP.dir
}

// BenchmarkCLIPhotos is issue 15's whole-program run: "picfre tag
// --provider openai" over 400 distinct 12-megapixel camera-like JPEGs,
// against internal/wiretest's OpenAI server (the real wire protocol, no
// rate limit) answering every request in exactly 1 s, at --concurrency 4
// and 32. It reports the child process's CPU time per file (user +
// system, from its rusage), files per CPU-second, its peak resident
// memory (VmHWM, sampled) and files per minute of wall time.
//
// When PICFRE_TEST_BASELINE_CLI names another build of the CLI (the main
// the issue measured, built beside this one), every iteration is a pair:
// both builds run, in alternating order, and the baseline's figures are
// reported beside this build's ("base-" metrics), with the pair's ratio
// of files per CPU-second ("x-files/cpu-s": this build's over the
// baseline's), so that -count N gives N pairs measured side by side.
// Run with -benchtime=1x.
func BenchmarkCLIPhotos(b *testing.B) {
	dir := bench12MPPhotos(b)
	this, base := benchCLI(b), os.Getenv("PICFRE_TEST_BASELINE_CLI")
	pair := 0
	for _, conc := range []int{4, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			for b.Loop() {
				var r, br tagRun
				if base != "" && pair%2 == 0 {
					br = tagPhotosOnce(b, base, dir, conc)
				}
				r = tagPhotosOnce(b, this, dir, conc)
				if base != "" && pair%2 == 1 {
					br = tagPhotosOnce(b, base, dir, conc)
				}
				pair++
				r.report(b, "")
				if base != "" {
					br.report(b, "base-")
					b.ReportMetric(br.cpu.Seconds()/r.cpu.Seconds(), "x-files/cpu-s")
				}
			}
		})
	}
}

func (r tagRun) report(b *testing.B, prefix string) {
	b.ReportMetric(r.cpu.Seconds()*1000/photos12MPCount, prefix+"cpu-ms/file")
	b.ReportMetric(photos12MPCount/r.cpu.Seconds(), prefix+"files/cpu-s")
	b.ReportMetric(float64(r.peakRSS)/(1<<20), prefix+"peak-MiB")
	b.ReportMetric(photos12MPCount/r.wall.Minutes(), prefix+"files/min")
}

type tagRun struct {
	cpu, wall time.Duration
	peakRSS   int64
}

// tagPhotosOnce runs one "picfre tag" over dir with a fresh server and
// checks that every file has a record and none failed.
func tagPhotosOnce(b *testing.B, bin, dir string, concurrency int) tagRun {
	b.Helper()
	s := wiretest.Start(wiretest.OpenAI, wiretest.Options{MinLatency: time.Second, MaxLatency: time.Second})
	defer s.Close()
	tmp := b.TempDir()
	out := filepath.Join(tmp, "out.jsonl")
	cmd := exec.Command(bin, "tag", "--provider", "openai", "--base-url", s.BaseURL(), "--api-key", s.Secret(),
		"--concurrency", fmt.Sprint(concurrency), "--out", out, dir)
	cmd.Env = append(os.Environ(), "HOME="+tmp, "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"), "XDG_DATA_HOME="+filepath.Join(tmp, "data"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// The peak is sampled from /proc every 10 ms while the program runs
	// (see readVmHWM); the high-water mark only grows, so the last sample
	// misses at most the final 10 ms.
	var peakKB int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if kb, err := readVmHWM(cmd.Process.Pid); err == nil {
				peakKB = max(peakKB, kb)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	close(stop)
	<-sampled
	if err != nil {
		b.Fatalf("picfre tag: %v\n%s", err, stderr.String())
	}
	wall := time.Since(start)
	f, err := os.Open(out)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	records := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			Error *struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			b.Fatal(err)
		}
		if r.Error != nil {
			b.Fatalf("record %d failed: %s", records, r.Error.Code)
		}
		records++
	}
	if records != photos12MPCount {
		b.Fatalf("%d records for %d files\n%s", records, photos12MPCount, stderr.String())
	}
	if peakKB == 0 {
		b.Fatal("no peak resident memory read from /proc")
	}
	st := cmd.ProcessState
	return tagRun{cpu: st.UserTime() + st.SystemTime(), wall: wall, peakRSS: peakKB * 1024}
}
