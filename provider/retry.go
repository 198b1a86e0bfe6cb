package provider

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// RetryOptions configure Retry. The zero value means the defaults.
type RetryOptions struct {
	// MaxAttempts is the number of attempts per call, the first one
	// included. Default 6.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt; it doubles with
	// each attempt up to MaxDelay. Defaults 500ms and 30s.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxTotalWait caps the time one call spends waiting between
	// attempts. A server hint that would exceed it ends the retries at once
	// and returns the failure. Default 2 minutes.
	MaxTotalWait time.Duration
	// NoBreaker turns off the breaker on fatal codes.
	NoBreaker bool
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
// unknown), waiting the longer of the server's hint and an exponential
// backoff with full jitter, up to MaxAttempts and MaxTotalWait. It never
// retries other codes, and returns at once when ctx ends.
//
// Fatal codes (QuotaExhausted, Unauthenticated) trip a breaker: from then
// on every call fails at once with the same error, without reaching p, so a
// batch stops after the requests already in flight instead of sending one
// doomed request per file. The breaker stays open for the life of the
// returned Provider; make a new one to try again.
//
// The returned Provider is safe for concurrent use.
func Retry(p Provider, opts RetryOptions) Provider {
	return &retrier{next: p, opts: opts.withDefaults()}
}

type retrier struct {
	next Provider
	opts RetryOptions

	mu    sync.Mutex
	fatal error
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
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		if err := r.Tripped(); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
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
		if !code.Retryable() || attempt >= r.opts.MaxAttempts || ctx.Err() != nil {
			return nil, err
		}
		wait := r.opts.backoff(attempt, retryAfterOf(err), r.opts.Rand())
		if waited+wait > r.opts.MaxTotalWait {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok && r.opts.Now().Add(wait).After(dl) {
			// The wait alone outlasts the caller's deadline: fail now
			// with the provider's error rather than a bare deadline.
			return nil, err
		}
		if serr := r.opts.Sleep(ctx, wait); serr != nil {
			return nil, serr
		}
		waited += wait
	}
}

// Breaker is implemented by the Provider that Retry returns. Tripped
// returns the fatal error that stopped it, or nil while it is closed.
type Breaker interface {
	Tripped() error
}

var _ Breaker = (*retrier)(nil)
