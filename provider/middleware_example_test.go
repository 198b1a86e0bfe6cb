package provider_test

import (
	"context"
	"fmt"
	"time"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// Retry sends a rate-limited request again after the server's hint.
func ExampleRetry() {
	f := fake.New(fake.Options{})
	f.Enqueue(fake.Step{Fault: provider.RateLimited, RetryAfter: 20 * time.Millisecond}, fake.Step{Text: `{"prompt":"ok"}`})
	p := provider.Retry(f, provider.RetryOptions{})
	resp, err := p.Generate(context.Background(), &provider.Request{Instructions: "Describe."})
	fmt.Println(resp.Text, err, f.Calls())
	// Output: {"prompt":"ok"} <nil> 2
}

// A fatal code trips the breaker: later calls fail without being sent.
func ExampleRetry_breaker() {
	f := fake.New(fake.Options{})
	f.Enqueue(fake.Step{Fault: provider.QuotaExhausted})
	p := provider.Retry(f, provider.RetryOptions{})
	for range 3 {
		_, err := p.Generate(context.Background(), &provider.Request{})
		fmt.Println(provider.Classify(err))
	}
	fmt.Println("sent:", f.Calls())
	// Output:
	// quota_exhausted
	// quota_exhausted
	// quota_exhausted
	// sent: 1
}

// Resilient composes retry, rate limit and a per-attempt timeout.
func ExampleResilient() {
	f := fake.New(fake.Options{Name: "gemini"})
	f.Enqueue(fake.Step{Fault: provider.Unavailable}, fake.Step{Text: "{}"})
	p := provider.Resilient(f, provider.Options{
		Retry:     provider.RetryOptions{BaseDelay: time.Millisecond},
		RateLimit: provider.RateLimitOptions{RequestsPerMinute: 6000},
		Timeout:   time.Second,
	})
	resp, err := p.Generate(context.Background(), &provider.Request{})
	fmt.Println(resp.Text, err, f.Calls())
	// Output: {} <nil> 2
}

// RateLimit spreads requests evenly over the minute.
func ExampleRateLimit() {
	f := fake.New(fake.Options{})
	p := provider.RateLimit(f, provider.RateLimitOptions{RequestsPerMinute: 1200}) // one per 50 ms
	start := time.Now()
	for range 3 {
		_, _ = p.Generate(context.Background(), &provider.Request{})
	}
	fmt.Println(time.Since(start) >= 100*time.Millisecond)
	// Output: true
}

// Fallback moves to the next provider when the first is out of quota.
func ExampleFallback() {
	g := fake.New(fake.Options{Name: "gemini"})
	g.Enqueue(fake.Step{Fault: provider.QuotaExhausted})
	o := fake.New(fake.Options{Name: "openai"})
	resp, err := provider.Fallback(g, o).Generate(context.Background(), &provider.Request{})
	fmt.Println(resp.Provider, err)
	// Output: openai <nil>
}

// WithTimeout turns a slow attempt into a retryable Timeout.
func ExampleWithTimeout() {
	slow := fake.New(fake.Options{Latency: time.Second})
	_, err := provider.WithTimeout(slow, 10*time.Millisecond).Generate(context.Background(), &provider.Request{})
	fmt.Println(provider.Classify(err), provider.Classify(err).Retryable())
	// Output: timeout true
}

// ChooseImage picks the cheapest size and detail for a 24-megapixel photo.
func ExampleChooseImage() {
	tiles := provider.Capabilities{ImageSize: 2048, ImageCost: provider.TileCost{Base: 85, PerTile: 170}}
	edge, d := provider.ChooseImage(tiles, 6000, 4000)
	fmt.Println(edge, d, provider.ImageTokens(tiles, 6000, 4000, edge, d))
	gemini := provider.Capabilities{ImageSize: 768, ImageCost: provider.GeminiCost{}}
	edge, d = provider.ChooseImage(gemini, 6000, 4000)
	fmt.Printf("%d %q %d\n", edge, d, provider.ImageTokens(gemini, 6000, 4000, edge, d))
	// Output:
	// 512 low 85
	// 768 "" 258
}

// EstimateInputTokens shares the instructions among packed files.
func ExampleEstimateInputTokens() {
	caps := provider.Capabilities{MaxItemsPerRequest: 8, ImageSize: 1568, ImageCost: provider.AreaCost{}}
	fmt.Println(provider.EstimateInputTokens(caps, 6000, 4000, 800, 1))
	fmt.Println(provider.EstimateInputTokens(caps, 6000, 4000, 800, 8))
	// Output:
	// 1041
	// 341
}

// ParseRetryAfter reads OpenAI's millisecond hint before the standard one.
func ExampleParseRetryAfter() {
	h := map[string][]string{"Retry-After": {"2"}, "Retry-After-Ms": {"1500"}}
	fmt.Println(provider.ParseRetryAfter(h, time.Now()))
	// Output: 1.5s
}
