package provider_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/openai"
	"github.com/picfre/picfre/provider/providertest"
)

// runAtLimit tags files single-item requests through Resilient(openai)
// against a wiretest server that enforces rpm requests per minute and
// answers after minLat..maxLat. It returns the achieved files per minute
// as a fraction of rpm, the failed files and the 429s the server sent.
func runAtLimit(tb testing.TB, rpm, files, workers int, minLat, maxLat time.Duration) (frac float64, failed int64, limited int) {
	tb.Helper()
	s := wiretest.Start(wiretest.OpenAI, wiretest.Options{
		RequestsPerMinute: rpm, Burst: max(1, rpm/60),
		MinLatency: minLat, MaxLatency: maxLat, Seed: 42,
	})
	defer s.Close()
	drv, err := openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL()})
	if err != nil {
		tb.Fatal(err)
	}
	p := provider.Resilient(drv, provider.Options{
		RateLimit: provider.RateLimitOptions{RequestsPerMinute: rpm},
		Timeout:   10 * maxLat,
	})
	jobs := make(chan struct{})
	var fails atomic.Int64
	var wg sync.WaitGroup
	reqs := make([]*provider.Request, workers)
	for i := range reqs {
		reqs[i] = providertest.NewRequest(tb, provider.TaskMetadata, 1)
	}
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for range jobs {
				if _, err := p.Generate(tb.Context(), reqs[w]); err != nil {
					fails.Add(1)
				}
			}
		})
	}
	for range files {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	perMinute := float64(int64(files)-fails.Load()) / elapsed.Minutes()
	return perMinute / float64(rpm), fails.Load(), len(s.Wire()) - s.Served()
}

// TestThroughputNearTheLimit is a fast version of the benchmark: at 1200
// requests per minute with 30–80 ms latency, the limiter keeps the batch
// close to the limit without a failed file. The rate is the benchmark's
// and low enough that the test measures the limiter, not how much CPU a
// loaded machine (-race, other packages' tests) leaves it: at 6000 a
// minute the HTTP stack under -race fell behind the limit on two busy
// cores.
func TestThroughputNearTheLimit(t *testing.T) {
	frac, failed, limited := runAtLimit(t, 1200, 60, 8, 30*time.Millisecond, 80*time.Millisecond)
	t.Logf("achieved %.3f of the limit, %d failed, %d answered 429", frac, failed, limited)
	if failed != 0 {
		t.Fatalf("%d files failed", failed)
	}
	if frac < 0.8 {
		t.Fatalf("achieved only %.3f of the limit", frac)
	}
}

// BenchmarkThroughputAtRPMLimit runs 400 files against a simulated
// provider limited to 1200 requests per minute with 300–800 ms latency
// and reports the achieved files per minute as a fraction of the limit.
// One iteration takes about 21 s; run it with -benchtime=1x.
func BenchmarkThroughputAtRPMLimit(b *testing.B) {
	for b.Loop() {
		frac, failed, limited := runAtLimit(b, 1200, 400, 24, 300*time.Millisecond, 800*time.Millisecond)
		b.ReportMetric(frac, "fraction-of-limit")
		b.ReportMetric(frac*1200, "files/min")
		b.ReportMetric(float64(failed), "failed-files")
		b.ReportMetric(float64(limited), "429s")
	}
}
