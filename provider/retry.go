package provider

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// RetryOptions configure Retry. The zero value means the defaults.
type RetryOptions struct {
	// MaxAttempts is the number of attempts per call that may fail for
	// a reason other than a rate limit, the first one included. Default
	// 6. Rate-limited attempts are not counted: see MaxRateLimitWait.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt; it doubles with
	// each attempt up to MaxDelay. Defaults 500ms and 30s.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxTotalWait caps the time one call spends waiting after failures
	// other than rate limits. A wait that would exceed it ends the
	// retries at once and returns the failure. Default 2 minutes.
	MaxTotalWait time.Duration
	// MaxRateLimitWait caps the time one call spends waiting after
	// RateLimited failures; 0 (the default) means no cap but the
	// context's. A rate-limited request is sent again after the server's
	// hint (Retry-After, retry-after-ms, RetryInfo), or a backoff when
	// there is none, however many times that takes: a rate limit is a
	// reason to wait, not to fail. A wait that would outlast the
	// context's deadline or this cap returns the failure at once. Set it
	// when a Fallback should take over from a provider that stays rate
	// limited.
	MaxRateLimitWait time.Duration
	// NoBreaker turns off the breaker on fatal codes.
	NoBreaker bool
	// OnRetry, if set, is called once for every retry, right before the
	// request is sent again: attempt is the number of the attempt about
	// to be made (2 for the first retry), code the provider code of the
	// failure that caused it, wait the pause taken since. A retry that
	// does not happen (the wait was cut short by ctx, the breaker opened
	// meanwhile) is not reported. OnRetry gets neither the request nor
	// any content. It runs on the goroutine of the Generate call, so
	// calls for concurrent requests may overlap: it must be safe for
	// concurrent use, and should return quickly.
	OnRetry func(attempt int, code Code, wait time.Duration)
	// MeterProvider, if set, records each retry (the same ones OnRetry
	// sees) on the counter picfre.provider.retries, with the attributes
	// picfre.provider (the wrapped provider's Name) and picfre.code (the
	// provider code). Nil records nothing and costs nothing; no global
	// provider is ever used. Each retry is also added as the event
	// picfre.provider.retry, with the same attributes, to the span in
	// the request's context (trace.SpanFromContext), when that span is
	// recording.
	MeterProvider metric.MeterProvider
	// Now, Sleep and Rand replace the clock, the wait and the source of
	// jitter (a float in [0,1)) in tests. Sleep must return ctx.Err() when
	// ctx ends first. Rand must be safe for concurrent use.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
}

func (o RetryOptions) withDefaults() RetryOptions {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 500 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 30 * time.Second
	}
	if o.MaxTotalWait <= 0 {
		o.MaxTotalWait = 2 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepContext
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o
}

// sleepContext waits for d or until ctx ends, whichever comes first, and
// returns ctx.Err() in the second case.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff returns the wait before attempt n+1 (n ≥ 1 attempts made):
// "full jitter", a uniform draw in [0, min(MaxDelay, BaseDelay·2^(n-1))),
// raised to the server's hint when there is one. r is a draw in [0,1).
func (o RetryOptions) backoff(n int, hint time.Duration, r float64) time.Duration {
	o = o.withDefaults()
	ceiling := o.MaxDelay
	if n-1 < 32 {
		if c := o.BaseDelay << (n - 1); c > 0 && c < ceiling {
			ceiling = c
		}
	}
	wait := time.Duration(r * float64(ceiling))
	return max(wait, hint)
}

// Retry returns a Provider that sends each request again after a
// retryable failure (Code.Retryable: rate limited, unavailable, timeout,
// unknown). After a rate limit it waits the server's hint (a backoff
// with full jitter when there is none) and tries again for as long as ctx
// lives (or MaxRateLimitWait, if set); after the other retryable
// failures it waits the longer of the server's hint and an exponential
// backoff with full jitter, up to MaxAttempts and MaxTotalWait. It never
// retries other codes, and returns at once when ctx ends.
//
// Fatal codes (QuotaExhausted, Unauthenticated) trip a breaker: from then
// on every call fails at once with the same error, without reaching p, so a
// batch stops after the requests already in flight instead of sending one
// doomed request per file. The breaker stays open for the life of the
// returned Provider; make a new one to try again.
//
// Retries are visible without logs: see RetryOptions.OnRetry and
// RetryOptions.MeterProvider.
//
// The returned Provider is safe for concurrent use.
func Retry(p Provider, opts RetryOptions) Provider {
	r := &retrier{next: p, opts: opts.withDefaults(), name: attribute.String(attrProvider, p.Name())}
	if mp := opts.MeterProvider; mp != nil {
		c, err := mp.Meter(instrumentationName).Int64Counter("picfre.provider.retries",
			metric.WithUnit("{retry}"),
			metric.WithDescription("Provider requests sent again after a retryable failure."))
		if err == nil {
			r.retries = c
		}
	}
	return r
}

// Telemetry names: the instrumentation scope and the only two attributes
// retries carry.
const (
	instrumentationName = "github.com/picfre/picfre/provider"
	attrProvider        = "picfre.provider"
	attrCode            = "picfre.code"
	retryEvent          = "picfre.provider.retry"
)

type retrier struct {
	next    Provider
	opts    RetryOptions
	name    attribute.KeyValue  // picfre.provider
	retries metric.Int64Counter // nil without a MeterProvider

	mu    sync.Mutex
	fatal error
}

// retried reports one retry to the callback, the counter and the span.
func (r *retrier) retried(ctx context.Context, attempt int, code Code, wait time.Duration) {
	if r.opts.OnRetry != nil {
		r.opts.OnRetry(attempt, code, wait)
	}
	span := trace.SpanFromContext(ctx)
	if r.retries == nil && !span.IsRecording() {
		return
	}
	set := attribute.NewSet(r.name, attribute.String(attrCode, string(code)))
	if r.retries != nil {
		r.retries.Add(ctx, 1, metric.WithAttributeSet(set))
	}
	if span.IsRecording() {
		span.AddEvent(retryEvent, trace.WithAttributes(set.ToSlice()...))
	}
}

func (r *retrier) Name() string               { return r.next.Name() }
func (r *retrier) Capabilities() Capabilities { return r.next.Capabilities() }

// Tripped returns the fatal error that opened the breaker, or nil.
func (r *retrier) Tripped() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatal
}

func (r *retrier) Generate(ctx context.Context, req *Request) (*Response, error) {
	var (
		waited   time.Duration // after failures other than rate limits
		failures int           // failures other than rate limits
		limited  int           // rate-limited failures
		lwaited  time.Duration // after rate-limited failures
		lastCode Code          // of the failure before this attempt
		lastWait time.Duration // the pause after it
	)
	for attempt := 1; ; attempt++ {
		if err := r.Tripped(); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if attempt > 1 {
			r.retried(ctx, attempt, lastCode, lastWait)
		}
		resp, err := r.next.Generate(ctx, req)
		if err == nil {
			return resp, nil
		}
		code := Classify(err)
		if code.Fatal() && !r.opts.NoBreaker {
			r.mu.Lock()
			if r.fatal == nil {
				r.fatal = err
			}
			r.mu.Unlock()
			return nil, err
		}
		if !code.Retryable() || ctx.Err() != nil {
			return nil, err
		}
		var wait time.Duration
		if code == RateLimited {
			// The server says when: wait that long, however often.
			limited++
			wait = retryAfterOf(err)
			if wait <= 0 {
				wait = r.opts.backoff(limited, 0, r.opts.Rand())
			}
			if m := r.opts.MaxRateLimitWait; m > 0 && lwaited+wait > m {
				return nil, err
			}
		} else {
			failures++
			if failures >= r.opts.MaxAttempts {
				return nil, err
			}
			wait = r.opts.backoff(attempt, retryAfterOf(err), r.opts.Rand())
			if waited+wait > r.opts.MaxTotalWait {
				return nil, err
			}
		}
		if dl, ok := ctx.Deadline(); ok && r.opts.Now().Add(wait).After(dl) {
			// The wait alone outlasts the caller's deadline: fail now
			// with the provider's error rather than a bare deadline.
			return nil, err
		}
		if serr := r.opts.Sleep(ctx, wait); serr != nil {
			return nil, serr
		}
		if code == RateLimited {
			lwaited += wait
		} else {
			waited += wait
		}
		lastCode, lastWait = code, wait
	}
}

// Breaker is implemented by the Provider that Retry returns. Tripped
// returns the fatal error that stopped it, or nil while it is closed.
type Breaker interface {
	Tripped() error
}

var _ Breaker = (*retrier)(nil)
