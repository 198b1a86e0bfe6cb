package provider

import "time"

// Options configure Resilient. The zero value retries with the defaults
// of RetryOptions, paces nothing but the provider's own pauses, and sets
// no per-attempt timeout.
type Options struct {
	// Retry configures the outer Retry, including what makes retries
	// visible: RetryOptions.OnRetry and RetryOptions.MeterProvider.
	Retry     RetryOptions
	RateLimit RateLimitOptions
	// Timeout bounds each attempt; 0 means none.
	Timeout time.Duration
}

// Resilient wraps p in the middleware of this package in the order that
// makes each of them right:
//
//	Retry( RateLimit( WithTimeout(p) ) )
//
// The limiter sits inside Retry so that every attempt is paced and a 429
// hint pauses all callers; the timeout is innermost so that it bounds one
// attempt, not the waits between attempts. Wrap several resilient
// providers in Fallback to move on when one gives up.
//
// The returned Provider is safe for concurrent use and implements Breaker.
func Resilient(p Provider, opts Options) Provider {
	return Retry(RateLimit(WithTimeout(p, opts.Timeout), opts.RateLimit), opts.Retry)
}
