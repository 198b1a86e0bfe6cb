package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/mediatest"
	"github.com/picfre/picfre/internal/wiretest"
)

// writeSmallJPEGs writes n distinct small JPEGs (mediatest.SmallJPEG)
// into dir.
func writeSmallJPEGs(b *testing.B, dir string, n int) {
	b.Helper()
	for i := range n {
		data, err := mediatest.SmallJPEG(i)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("IMG_%04d.jpg", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCLIFixedWindow is the rate-limited run: 8,000 small
// files through "picfre tag --provider openai --concurrency 32" against
// a simulated OpenAI server (the real wire protocol) admitting 600
// requests in each fixed one-minute window (x-ratelimit-* headers, 429
// with retry-after past the count), answering in 0.5–1.5 s as a model
// does. The openai driver packs 8 files a request, so that is 1,000
// requests: about 100 s a run. Sub-benchmarks:
// this build with no limit given, with --rpm 600, and against a server
// that sends its rate-limit headers only with its 429s (headers=429only);
// and, when PICFRE_TEST_BASELINE_CLI names another build of the CLI
// (today's main), that build, with and without headers, in the same run.
// Run with -benchtime=1x.
func BenchmarkCLIFixedWindow(b *testing.B) {
	const (
		files, limit = 8000, 600
		window       = time.Minute
	)
	dir := b.TempDir()
	writeSmallJPEGs(b, dir, files)
	type variant struct {
		name     string
		bin      string
		args     []string
		only429s bool // rate-limit headers only on 429s
	}
	vs := []variant{{"build=this", benchCLI(b), nil, false}, {"build=this,rpm=600", benchCLI(b), []string{"--rpm", "600"}, false},
		{"build=this,headers=429only", benchCLI(b), nil, true}}
	if base := os.Getenv("PICFRE_TEST_BASELINE_CLI"); base != "" {
		vs = append([]variant{{"build=baseline", base, nil, false}, {"build=baseline,headers=429only", base, nil, true}}, vs...)
	}
	for _, v := range vs {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				s := wiretest.Start(wiretest.OpenAI, wiretest.Options{WindowRequests: limit, Window: window,
					MinLatency: 500 * time.Millisecond, MaxLatency: 1500 * time.Millisecond, Seed: 15,
					RateHeadersOnlyOn429: v.only429s})
				out := filepath.Join(b.TempDir(), "out.jsonl")
				args := append([]string{"tag", "--provider", "openai", "--base-url", s.BaseURL(), "--api-key", s.Secret(),
					"--concurrency", "32", "--out", out}, v.args...)
				cmd := exec.Command(v.bin, append(args, dir)...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				start := time.Now()
				runErr := cmd.Run()
				took := time.Since(start)
				f, err := os.Open(out)
				if err != nil {
					b.Fatalf("%v: %v\n%s", runErr, err, stderr.String())
				}
				failed := map[errcode.Code]int{}
				records, nfailed := 0, 0
				sc := bufio.NewScanner(f)
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					var r struct {
						Error *struct {
							Code errcode.Code `json:"code"`
						} `json:"error"`
					}
					if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
						b.Fatal(err)
					}
					records++
					if r.Error != nil {
						failed[r.Error.Code]++
						nfailed++
					}
				}
				f.Close()
				if records != files {
					b.Fatalf("%d records for %d files (%v)\n%s", records, files, runErr, stderr.String())
				}
				requests, limited := len(s.Wire()), len(s.Wire())-s.Served()
				w := s.Windows()
				b.Logf("%d files in %s: failed %v; %d requests, %d answered 429; admitted per window %v",
					files, took.Round(time.Second), failed, requests, limited, w)
				b.ReportMetric(float64(nfailed), "failed-files")
				b.ReportMetric(float64(s.Served()), "admitted")
				b.ReportMetric(float64(limited), "429s")
				b.ReportMetric(float64(files)/took.Minutes(), "files/min")
				b.ReportMetric(float64(s.Served())/took.Minutes(), "req/min")
				s.Close()
			}
		})
	}
}
