package provider

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimitInfo is what a provider reports about its rate limits in the
// headers of an answer (x-ratelimit-* for OpenAI and compatible servers,
// anthropic-ratelimit-* for Anthropic). A driver sets it on
// Response.RateLimit; the RateLimit middleware adapts to it. A negative
// count means the header was absent; a zero duration means no reset time
// was given.
type RateLimitInfo struct {
	LimitRequests     int
	RemainingRequests int
	ResetRequests     time.Duration
	LimitTokens       int
	RemainingTokens   int
	ResetTokens       time.Duration
}

// RateLimitOptions configure RateLimit. The zero value limits nothing
// but still obeys the provider's pauses (429 hints, exhausted headers).
type RateLimitOptions struct {
	// RequestsPerMinute and TokensPerMinute are the client-side limits;
	// 0 means no limit of that kind.
	RequestsPerMinute int
	TokensPerMinute   int
	// Burst is how many requests may start at once after an idle spell.
	// Default 1: requests are spread evenly, which is what providers that
	// count per minute in smaller windows expect.
	Burst int
	// EstimateTokens returns the tokens a request will use, counted
	// against TokensPerMinute before it is sent. The default is a quick
	// estimate: about four characters per text token, each image part
	// by the wrapped provider's ImageCost (258 when unknown), and
	// MaxOutputTokens (512 when unset), which providers count against
	// token limits up front.
	EstimateTokens func(*Request) int
	// Now and Sleep replace the clock and the wait in tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// RateLimit returns a Provider that paces requests to p with token
// buckets (golang.org/x/time/rate) for requests and tokens per minute,
// and adapts to what the provider reports:
//
//   - a RateLimited failure with a retry hint pauses every caller until
//     the hint has passed, not only the one that got it;
//   - Response.RateLimit with no requests (or tokens) remaining pauses
//     every caller until the reported reset;
//   - with few requests remaining before the reset, the pace drops to
//     what remains per second of the window, and comes back after it.
//
// Used inside Retry, every attempt is paced. The returned Provider is safe
// for concurrent use.
func RateLimit(p Provider, opts RateLimitOptions) Provider {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepContext
	}
	if opts.Burst <= 0 {
		opts.Burst = 1
	}
	l := &limiter{next: p, opts: opts}
	if opts.RequestsPerMinute > 0 {
		l.base = rate.Limit(float64(opts.RequestsPerMinute) / 60)
		l.req = rate.NewLimiter(l.base, opts.Burst)
	}
	if opts.TokensPerMinute > 0 {
		l.tok = rate.NewLimiter(rate.Limit(float64(opts.TokensPerMinute)/60), opts.TokensPerMinute)
		if l.opts.EstimateTokens == nil {
			caps := p.Capabilities()
			l.opts.EstimateTokens = func(r *Request) int { return estimateRequestTokens(caps, r) }
		}
	}
	return l
}

type limiter struct {
	next Provider
	opts RateLimitOptions
	req  *rate.Limiter // nil: no request limit
	tok  *rate.Limiter // nil: no token limit
	base rate.Limit

	mu         sync.Mutex
	pauseUntil time.Time
	slowUntil  time.Time
}

func (l *limiter) Name() string               { return l.next.Name() }
func (l *limiter) Capabilities() Capabilities { return l.next.Capabilities() }

// waitPause sleeps until no pause is in force.
func (l *limiter) waitPause(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := l.opts.Now()
		until := l.pauseUntil
		if l.req != nil && !l.slowUntil.IsZero() && !now.Before(l.slowUntil) {
			l.req.SetLimitAt(now, l.base)
			l.slowUntil = time.Time{}
		}
		l.mu.Unlock()
		if !now.Before(until) {
			return ctx.Err()
		}
		if err := l.opts.Sleep(ctx, until.Sub(now)); err != nil {
			return err
		}
	}
}

// take reserves n from lim and waits for it, giving it back when ctx ends.
func (l *limiter) take(ctx context.Context, lim *rate.Limiter, n int) error {
	if lim == nil || n <= 0 {
		return nil
	}
	n = min(n, lim.Burst())
	now := l.opts.Now()
	r := lim.ReserveN(now, n)
	if !r.OK() {
		return nil
	}
	if d := r.DelayFrom(now); d > 0 {
		if err := l.opts.Sleep(ctx, d); err != nil {
			r.CancelAt(l.opts.Now())
			return err
		}
	}
	return nil
}

func (l *limiter) pause(d time.Duration) {
	if d <= 0 {
		return
	}
	l.mu.Lock()
	if until := l.opts.Now().Add(d); until.After(l.pauseUntil) {
		l.pauseUntil = until
	}
	l.mu.Unlock()
}

func (l *limiter) Generate(ctx context.Context, req *Request) (*Response, error) {
	if err := l.waitPause(ctx); err != nil {
		return nil, err
	}
	if err := l.take(ctx, l.req, 1); err != nil {
		return nil, err
	}
	est := 0
	if l.tok != nil {
		est = l.opts.EstimateTokens(req)
		if err := l.take(ctx, l.tok, est); err != nil {
			return nil, err
		}
	}
	// A pause may have begun while this call waited for its turn.
	if err := l.waitPause(ctx); err != nil {
		return nil, err
	}
	resp, err := l.next.Generate(ctx, req)
	if err != nil {
		if Classify(err) == RateLimited {
			l.pause(retryAfterOf(err))
		}
		return nil, err
	}
	if l.tok != nil {
		if used := int(resp.Usage.InputTokens + resp.Usage.OutputTokens); used > est {
			// Charge the difference as debt: later callers wait for it.
			l.tok.ReserveN(l.opts.Now(), min(used-est, l.tok.Burst()))
		}
	}
	if info := resp.RateLimit; info != nil {
		l.adapt(info)
	}
	return resp, nil
}

func (l *limiter) adapt(info *RateLimitInfo) {
	if info.RemainingRequests == 0 && info.ResetRequests > 0 {
		l.pause(info.ResetRequests)
	}
	if info.RemainingTokens == 0 && info.ResetTokens > 0 {
		l.pause(info.ResetTokens)
	}
	if l.req == nil || info.RemainingRequests <= 0 || info.ResetRequests <= 0 {
		return
	}
	allowed := rate.Limit(float64(info.RemainingRequests) / info.ResetRequests.Seconds())
	if allowed >= l.base {
		return
	}
	l.mu.Lock()
	now := l.opts.Now()
	if allowed < l.req.Limit() || l.slowUntil.IsZero() {
		l.req.SetLimitAt(now, allowed)
	}
	if until := now.Add(info.ResetRequests); until.After(l.slowUntil) {
		l.slowUntil = until
	}
	l.mu.Unlock()
}

// estimateRequestTokens is a quick estimate of the tokens req will use:
// about four characters per text token, each image part at the detail of
// the request by the provider's billing rule (258 when unknown), and the
// output bound, which providers count against token limits up front.
func estimateRequestTokens(caps Capabilities, req *Request) int {
	n := len(req.Instructions)/4 + len(req.Schema)/4
	for _, p := range req.Parts {
		switch {
		case p.IsText():
			n += len(p.Text)/4 + 1
		case caps.ImageCost != nil && p.Width > 0 && p.Height > 0:
			n += caps.ImageCost.Tokens(p.Width, p.Height, req.Detail)
		default:
			n += 258
		}
	}
	if req.MaxOutputTokens > 0 {
		n += req.MaxOutputTokens
	} else {
		n += 512
	}
	return n
}
