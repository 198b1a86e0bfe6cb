package provider_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/openai"
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
		reqs[i] = req(tb.(interface {
			testing.TB
			Context() context_
		}))
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
