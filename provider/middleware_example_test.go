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

// OnRetry sees each retry: the attempt about to be made, the code of the
// failure before it and the wait taken. A MeterProvider would count the
// same retries as picfre.provider.retries.
func ExampleRetryOptions_onRetry() {
	f := fake.New(fake.Options{})
	f.Enqueue(fake.Step{Fault: provider.RateLimited, RetryAfter: 30 * time.Millisecond}, fake.Step{Fault: provider.Unavailable}, fake.Step{Text: "{}"})
	p := provider.Retry(f, provider.RetryOptions{
		BaseDelay: 10 * time.Millisecond,
		Rand:      func() float64 { return 0.5 },
		OnRetry: func(attempt int, code provider.Code, wait time.Duration) {
			fmt.Println("attempt", attempt, "after", code, "and", wait)
		},
	})
	resp, err := p.Generate(context.Background(), &provider.Request{})
	fmt.Println(resp.Text, err)
	// Output:
	// attempt 2 after rate_limited and 30ms
	// attempt 3 after unavailable and 10ms
	// {} <nil>
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
