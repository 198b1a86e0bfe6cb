package picfre_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/mediatest"
	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/openai"
)

// smallJPEGs returns n distinct small JPEGs (mediatest.SmallJPEG), as
// a batch of many small files is.
func smallJPEGs(tb testing.TB, n int) [][]byte {
	tb.Helper()
	out := make([][]byte, n)
	for i := range out {
		var err error
		if out[i], err = mediatest.SmallJPEG(i); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// windowStats reports the admitted requests of each window after the
// first, the last (partial) one left out, as requests per minute.
func windowStats(b *testing.B, windows []int, window time.Duration, limit int) {
	b.Helper()
	if len(windows) < 3 {
		b.Logf("windows %v: no full window after the first", windows)
		return
	}
	full := slices.Clone(windows[1 : len(windows)-1])
	perMin := make([]float64, len(full))
	for i, n := range full {
		perMin[i] = float64(n) / window.Minutes()
	}
	slices.Sort(perMin)
	b.Logf("admitted per window (all, the first and the last partial): %v", windows)
	b.ReportMetric(perMin[0], "min-req/min")
	b.ReportMetric(perMin[len(perMin)/2], "median-req/min")
	b.ReportMetric(perMin[len(perMin)-1], "max-req/min")
	b.ReportMetric(perMin[0]/float64(limit)*window.Minutes(), "min-fraction-of-limit")
}

// BenchmarkTagAllFixedWindow is the rate-limited run through the
// pipeline: 8,000 small files, TagAll at concurrency 32, the openai driver
// over the real wire (Resilient, as the CLI builds it, and no limit
// given) against a simulated server admitting 600 requests in each fixed
// one-minute window. One request per file (MaxItemsPerRequest 1), so
// that the run spans 13 windows: it takes about 14 minutes; run it with
// -benchtime=1x. It reports the failed files (want 0) and the requests
// each full window after the first admitted.
func BenchmarkTagAllFixedWindow(b *testing.B) {
	const (
		files, limit = 8000, 600
		window       = time.Minute
	)
	data := smallJPEGs(b, files)
	for b.Loop() {
		s := wiretest.Start(wiretest.OpenAI, wiretest.Options{WindowRequests: limit, Window: window})
		drv, err := openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL(), MaxItemsPerRequest: 1})
		if err != nil {
			b.Fatal(err)
		}
		pl := picfre.New(provider.Resilient(drv, provider.Options{Timeout: 2 * time.Minute}), picfre.Config{MaxRequests: 32})
		media := func(yield func(picfre.Media) bool) {
			for i, d := range data {
				if !yield(picfre.Bytes(fmt.Sprintf("IMG_%04d.jpg", i), d)) {
					return
				}
			}
		}
		failed := map[errcode.Code]int{}
		start := time.Now()
		err = pl.TagAll(b.Context(), media, picfre.Options{Concurrency: 32}, func(r *picfre.Result) error {
			if r.Err != nil {
				failed[errcode.Of(r.Err)]++
			}
			return nil
		})
		took := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, c := range failed {
			n += c
		}
		b.Logf("%d files in %s, failed %v, %d requests, %d answered 429", files, took.Round(time.Second), failed, len(s.Wire()), len(s.Wire())-s.Served())
		b.ReportMetric(float64(n), "failed-files")
		b.ReportMetric(float64(len(s.Wire())-s.Served()), "429s")
		windowStats(b, s.Windows(), window, limit)
		s.Close()
	}
}
