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
// it has not learnt from the provider, and obeys the provider's pauses
// (429 hints, exhausted headers).
type RateLimitOptions struct {
	// RequestsPerMinute and TokensPerMinute are the client-side limits;
	// 0 means no limit of that kind. A known request limit is the pace
	// from the start; the limiter still slows down below it when the
	// provider says it allows less.
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
// It also learns the request limit when none is given, so that many
// callers share one even pace instead of all starting at once when a
// pause ends:
//
//   - from the rate-limit headers: the limit (x-ratelimit-limit-requests)
//     over the longest reset seen (x-ratelimit-reset-requests), which is
//     the window of a fixed-window limit and the refill time of a token
//     bucket, so the pace is never below either; within a window the
//     remaining requests over the time to the reset set the pace, up to
//     half as fast again as the limit's average, so that callers that
//     fell behind (a stall, a busy machine) fill the window all the same;
//   - without headers, from the pauses themselves: the requests that
//     succeeded between the end of one pause and the end of a later one,
//     over the time between them, paced a little faster (5 %, and more
//     the longer no pause comes) so that the limit is reached, not
//     approached from below; a pause then holds the rest back.
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
	l := &limiter{next: p, opts: opts, known: rate.Inf}
	if opts.RequestsPerMinute > 0 {
		l.known = rate.Limit(float64(opts.RequestsPerMinute) / 60)
	}
	l.base = l.known
	l.req = rate.NewLimiter(l.base, opts.Burst)
	if opts.TokensPerMinute > 0 {
		l.tok = rate.NewLimiter(rate.Limit(float64(opts.TokensPerMinute)/60), opts.TokensPerMinute)
		if l.opts.EstimateTokens == nil {
			caps := p.Capabilities()
			l.opts.EstimateTokens = func(r *Request) int { return estimateRequestTokens(caps, r) }
		}
	}
	return l
}

// Learning from pauses: an epoch closes only with this many successes in
// it, so that a token bucket's many short pauses add up to one estimate;
// the pace is the estimate raised by probe, and by probe again for each
// epoch's length that passes without a pause.
const (
	learnMinAccepted = 20
	learnProbe       = 0.05
)

// headerHeadroom raises the pace learnt from the headers: within a
// window, what remains over the time to its reset sets the pace, and a
// caller that fell behind (a stall, a busy machine) may catch up to this
// much faster than the limit's average; with no headroom a fixed window
// lost in part is never filled.
const headerHeadroom = 1.5

type limiter struct {
	next  Provider
	opts  RateLimitOptions
	req   *rate.Limiter // requests; rate.Inf while no pace is known
	tok   *rate.Limiter // nil: no token limit
	known rate.Limit    // RequestsPerMinute, rate.Inf when not given

	mu         sync.Mutex
	base       rate.Limit // the pace outside a slow spell
	pauseUntil time.Time
	slowUntil  time.Time

	// What the headers said: the limit and the longest reset.
	headerLimit int
	headerReset time.Duration
	// What the pauses said: the epoch runs from epochStart (the end of a
	// pause; zero before the first one), accepted counts the successes
	// of requests sent in it, learnt is the rate of the last closed epoch
	// (0: none yet) and learntSpan its length.
	epochStart time.Time
	accepted   int
	learnt     float64
	learntSpan time.Duration
}

func (l *limiter) Name() string               { return l.next.Name() }
func (l *limiter) Capabilities() Capabilities { return l.next.Capabilities() }

// paceLocked returns the pace the limiter has learnt or was told at now:
// the known limit, lowered to the header estimate or, without headers,
// the pause estimate raised by the probe. l.mu must be held.
func (l *limiter) paceLocked(now time.Time) rate.Limit {
	pace := l.known
	switch {
	case l.headerLimit > 0 && l.headerReset > 0:
		pace = min(pace, rate.Limit(headerHeadroom*float64(l.headerLimit)/l.headerReset.Seconds()))
	case l.learnt > 0:
		f := 1 + learnProbe
		if l.learntSpan > 0 && !l.epochStart.IsZero() && now.After(l.epochStart) {
			f += learnProbe * float64(now.Sub(l.epochStart)) / float64(l.learntSpan)
		}
		pace = min(pace, rate.Limit(l.learnt*f))
	}
	return pace
}

// refreshLocked brings the bucket's rate to the pace, ending a slow spell
// that is over. l.mu must be held.
func (l *limiter) refreshLocked(now time.Time) {
	l.base = l.paceLocked(now)
	if !l.slowUntil.IsZero() && !now.Before(l.slowUntil) {
		l.slowUntil = time.Time{}
	}
	if l.slowUntil.IsZero() || l.base < l.req.Limit() {
		if l.req.Limit() != l.base {
			l.req.SetLimitAt(now, l.base)
		}
	}
}

// waitPause sleeps until no pause is in force.
func (l *limiter) waitPause(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := l.opts.Now()
		until := l.pauseUntil
		l.refreshLocked(now)
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

// stop pauses every caller for d from now: the provider said no more
// requests until then. It is also what the limiter learns from when no
// headers tell it the limit.
func (l *limiter) stop(d time.Duration) {
	if d <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.opts.Now()
	end := now.Add(d)
	if end.After(l.pauseUntil) {
		l.pauseUntil = end
	}
	switch {
	case l.epochStart.IsZero():
		l.epochStart, l.accepted = end, 0
	case now.Before(l.epochStart):
		// Another answer to the pause that opened the epoch.
		if end.After(l.epochStart) {
			l.epochStart = end
		}
	case l.accepted >= learnMinAccepted:
		span := end.Sub(l.epochStart)
		l.learnt = float64(l.accepted) / span.Seconds()
		l.learntSpan = span
		l.epochStart, l.accepted = end, 0
		l.refreshLocked(now)
	}
}

// accept counts a success of a request sent at sent.
func (l *limiter) accept(sent time.Time) {
	l.mu.Lock()
	if !l.epochStart.IsZero() && !sent.Before(l.epochStart) {
		l.accepted++
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
	sent := l.opts.Now()
	resp, err := l.next.Generate(ctx, req)
	if err != nil {
		if Classify(err) == RateLimited {
			l.stop(retryAfterOf(err))
		}
		return nil, err
	}
	l.accept(sent)
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
		l.stop(info.ResetRequests)
	}
	if info.RemainingTokens == 0 && info.ResetTokens > 0 {
		l.stop(info.ResetTokens)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.opts.Now()
	if info.LimitRequests > 0 {
		if info.LimitRequests != l.headerLimit {
			l.headerLimit, l.headerReset = info.LimitRequests, 0
		}
		l.headerReset = max(l.headerReset, info.ResetRequests)
		l.refreshLocked(now)
	}
	if info.RemainingRequests <= 0 || info.ResetRequests <= 0 {
		return
	}
	// What remains of the window, spread over it so that the last one
	// still falls in it: the latest answer knows best, up to the pace.
	allowed := min(rate.Limit(float64(info.RemainingRequests+1)/info.ResetRequests.Seconds()), l.base)
	if allowed >= l.base && l.slowUntil.IsZero() {
		return
	}
	l.req.SetLimitAt(now, allowed)
	if until := now.Add(info.ResetRequests); until.After(l.slowUntil) {
		l.slowUntil = until
	}
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
