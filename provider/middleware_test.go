package provider_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/provider/openai"
	"github.com/picfre/picfre/provider/providertest"
)

// clock is a fake clock: Sleep advances it at once and records the wait.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newClock() *clock { return &clock{now: time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

func req(t *testing.T) *provider.Request { return providertest.NewRequest(t, provider.TaskMetadata, 1) }

func TestRetryObeysServerHint(t *testing.T) {
	f := fake.New(fake.Options{})
	f.Enqueue(fake.Step{Fault: provider.RateLimited, RetryAfter: 7 * time.Second}, fake.Step{})
	c := newClock()
	p := provider.Retry(f, provider.RetryOptions{Now: c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0.99 }})
	if _, err := p.Generate(t.Context(), req(t)); err != nil {
		t.Fatal(err)
	}
	if f.Calls() != 2 {
		t.Fatalf("calls: %d, want 2", f.Calls())
	}
	// Backoff after one attempt is below 500ms; the hint wins.
	if w := c.Waits(); len(w) != 1 || w[0] != 7*time.Second {
		t.Fatalf("waits %v, want exactly the 7s hint", w)
	}
}

func TestRetryStopsAfterMaxAttemptsAndOnNonRetryable(t *testing.T) {
	f := fake.New(fake.Options{})
	for range 5 {
		f.Enqueue(fake.Step{Fault: provider.Unavailable})
	}
	c := newClock()
	p := provider.Retry(f, provider.RetryOptions{MaxAttempts: 3, Now: c.Now, Sleep: c.Sleep})
	_, err := p.Generate(t.Context(), req(t))
	if provider.Classify(err) != provider.Unavailable || f.Calls() != 3 {
		t.Fatalf("got %v after %d calls, want unavailable after 3", err, f.Calls())
	}
	for _, code := range []provider.Code{provider.InvalidRequest, provider.Refused, provider.Truncated, provider.BadOutput, provider.Unsupported} {
		f := fake.New(fake.Options{})
		f.Enqueue(fake.Step{Fault: code}, fake.Step{})
		p := provider.Retry(f, provider.RetryOptions{Now: c.Now, Sleep: c.Sleep})
		if _, err := p.Generate(t.Context(), req(t)); provider.Classify(err) != code || f.Calls() != 1 {
			t.Errorf("%s: got %v after %d calls, want no retry", code, err, f.Calls())
		}
	}
}

func TestRetryHintBeyondBudgetFailsAtOnce(t *testing.T) {
	f := fake.New(fake.Options{})
	f.Enqueue(fake.Step{Fault: provider.RateLimited, RetryAfter: 10 * time.Minute}, fake.Step{})
	c := newClock()
	p := provider.Retry(f, provider.RetryOptions{MaxRateLimitWait: time.Minute, Now: c.Now, Sleep: c.Sleep})
	_, err := p.Generate(t.Context(), req(t))
	if provider.Classify(err) != provider.RateLimited || f.Calls() != 1 || len(c.Waits()) != 0 {
		t.Fatalf("got %v, %d calls, waits %v", err, f.Calls(), c.Waits())
	}
}

// TestRetryWaitsOutRateLimitsBeyondMaxAttempts: rate limits are a reason
// to wait, not to fail. 30 rate-limited answers in a row, each with its
// hint, are waited out (the hint exactly, however long: 10 minutes is
// more than MaxTotalWait), and the file succeeds; the attempt bound
// still holds for the other retryable failures, rate limits between
// them not counted.
func TestRetryWaitsOutRateLimitsBeyondMaxAttempts(t *testing.T) {
	rl := fake.Step{Fault: provider.RateLimited, RetryAfter: 10 * time.Minute}
	f := fake.New(fake.Options{})
	for range 30 {
		f.Enqueue(rl)
	}
	f.Enqueue(fake.Step{})
	c := newClock()
	p := provider.Retry(f, provider.RetryOptions{MaxAttempts: 3, MaxTotalWait: time.Minute, Now: c.Now, Sleep: c.Sleep})
	if _, err := p.Generate(t.Context(), req(t)); err != nil {
		t.Fatalf("after 30 rate limits: %v", err)
	}
	if f.Calls() != 31 {
		t.Fatalf("%d calls, want 31", f.Calls())
	}
	for _, w := range c.Waits() {
		if w != 10*time.Minute {
			t.Fatalf("waits %v, want the hint each time", c.Waits())
		}
	}

	// Without a hint: a backoff, and still no attempt bound.
	f = fake.New(fake.Options{})
	for range 10 {
		f.Enqueue(fake.Step{Fault: provider.RateLimited})
	}
	f.Enqueue(fake.Step{})
	c = newClock()
	p = provider.Retry(f, provider.RetryOptions{MaxAttempts: 2, Now: c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0.5 }})
	if _, err := p.Generate(t.Context(), req(t)); err != nil || f.Calls() != 11 {
		t.Fatalf("hintless rate limits: %v after %d calls", err, f.Calls())
	}
	for _, w := range c.Waits() {
		if w <= 0 || w > 30*time.Second {
			t.Fatalf("hintless waits %v, want a backoff within MaxDelay", c.Waits())
		}
	}

	// Other failures: MaxAttempts of them, rate limits between them
	// not counted.
	un := fake.Step{Fault: provider.Unavailable}
	f = fake.New(fake.Options{})
	f.Enqueue(un, rl, rl, un, rl, un, fake.Step{})
	c = newClock()
	p = provider.Retry(f, provider.RetryOptions{MaxAttempts: 3, Now: c.Now, Sleep: c.Sleep})
	if _, err := p.Generate(t.Context(), req(t)); provider.Classify(err) != provider.Unavailable || f.Calls() != 6 {
		t.Fatalf("got %v after %d calls, want unavailable after the third", err, f.Calls())
	}
}

// TestRetryRateLimitWaitBoundedByDeadline: a hint that outlasts the
// caller's deadline returns the rate limit at once rather than sleeping
// into a bare deadline error.
func TestRetryRateLimitWaitBoundedByDeadline(t *testing.T) {
	f := fake.New(fake.Options{})
	f.Enqueue(fake.Step{Fault: provider.RateLimited, RetryAfter: time.Hour}, fake.Step{})
	c := newClock()
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(time.Minute))
	defer cancel()
	p := provider.Retry(f, provider.RetryOptions{Now: time.Now, Sleep: c.Sleep})
	_, err := p.Generate(ctx, req(t))
	if provider.Classify(err) != provider.RateLimited || f.Calls() != 1 || len(c.Waits()) != 0 {
		t.Fatalf("got %v, %d calls, waits %v", err, f.Calls(), c.Waits())
	}
}

func TestRetryHonoursCancellation(t *testing.T) {
	f := fake.New(fake.Options{})
	f.Enqueue(fake.Step{Fault: provider.Unavailable}, fake.Step{})
	ctx, cancel := context.WithCancel(t.Context())
	p := provider.Retry(f, provider.RetryOptions{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}})
	if _, err := p.Generate(ctx, req(t)); !errors.Is(err, context.Canceled) || f.Calls() != 1 {
		t.Fatalf("got %v after %d calls", err, f.Calls())
	}
}

// TestBreakerStopsABatchOnQuotaExhausted runs 8 workers over 200 files
// against a server that answers every request with insufficient_quota:
// only the requests already in flight when the first answer came reach
// the wire, and every file fails with the same clear error.
func TestBreakerStopsABatchOnQuotaExhausted(t *testing.T) {
	s := wiretest.New(t, wiretest.OpenAI, wiretest.Options{
		Respond: func(*wiretest.Request) providertest.Outcome {
			return providertest.Outcome{Fault: provider.QuotaExhausted, Delay: 20 * time.Millisecond}
		},
	})
	drv, err := openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL()})
	if err != nil {
		t.Fatal(err)
	}
	p := provider.Resilient(drv, provider.Options{})
	const workers, files = 8, 200
	var failed atomic.Int64
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range jobs {
				_, err := p.Generate(t.Context(), req(t))
				if provider.Classify(err) == provider.QuotaExhausted {
					failed.Add(1)
				}
			}
		})
	}
	for i := range files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	t.Logf("%d files, %d workers: %d requests reached the server", files, workers, len(s.Wire()))
	if n := len(s.Wire()); n > workers {
		t.Fatalf("%d requests reached the server; the breaker should stop at the %d in flight", n, workers)
	}
	if failed.Load() != files {
		t.Fatalf("%d of %d files failed with quota_exhausted", failed.Load(), files)
	}
	if b, ok := p.(provider.Breaker); !ok || provider.Classify(b.Tripped()) != provider.QuotaExhausted {
		t.Fatal("Resilient does not report the tripped breaker")
	}
}

// stub answers with fixed responses and counts calls.
type stub struct {
	name  string
	calls atomic.Int64
	resp  func(n int64) (*provider.Response, error)
}

func (s *stub) Name() string { return s.name }
func (s *stub) Capabilities() provider.Capabilities {
	return provider.Capabilities{MaxItemsPerRequest: 4}
}
func (s *stub) Generate(ctx context.Context, _ *provider.Request) (*provider.Response, error) {
	return s.resp(s.calls.Add(1))
}

func TestRateLimitPacesRequests(t *testing.T) {
	c := newClock()
	st := &stub{name: "s", resp: func(int64) (*provider.Response, error) { return &provider.Response{Text: "{}"}, nil }}
	p := provider.RateLimit(st, provider.RateLimitOptions{RequestsPerMinute: 60, Now: c.Now, Sleep: c.Sleep})
	start := c.Now()
	for range 5 {
		if _, err := p.Generate(t.Context(), req(t)); err != nil {
			t.Fatal(err)
		}
	}
	// 60 rpm = one per second: the first goes at once, four more follow.
	if got := c.Now().Sub(start); got != 4*time.Second {
		t.Fatalf("5 requests at 60 rpm took %s of clock, want 4s (waits %v)", got, c.Waits())
	}
}

func TestRateLimitAdaptsToHeadersAndHints(t *testing.T) {
	c := newClock()
	st := &stub{name: "s", resp: func(n int64) (*provider.Response, error) {
		switch n {
		case 1:
			return &provider.Response{RateLimit: &provider.RateLimitInfo{RemainingRequests: 0, ResetRequests: 5 * time.Second, RemainingTokens: -1}}, nil
		case 2:
			return nil, &provider.Error{Code: provider.RateLimited, RetryAfter: 3 * time.Second}
		case 3:
			// 2 requests left for 20 s: the pace drops so that both fall
			// within the 20 s, the last before the reset: one per 20/3 s.
			return &provider.Response{RateLimit: &provider.RateLimitInfo{RemainingRequests: 2, ResetRequests: 20 * time.Second, RemainingTokens: -1}}, nil
		}
		return &provider.Response{}, nil
	}}
	p := provider.RateLimit(st, provider.RateLimitOptions{RequestsPerMinute: 600, Now: c.Now, Sleep: c.Sleep})
	at := func() time.Duration { return c.Now().Sub(time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)) }
	_, _ = p.Generate(t.Context(), req(t)) // remaining 0, reset 5s
	if _, _ = p.Generate(t.Context(), req(t)); at() < 5*time.Second {
		t.Fatalf("second request went at %s, before the reported reset", at())
	}
	t2 := at()
	_, _ = p.Generate(t.Context(), req(t)) // after the 3 s hint
	if at()-t2 < 3*time.Second {
		t.Fatalf("the 429 hint did not pause the next caller: %s", at()-t2)
	}
	t3 := at()
	_, _ = p.Generate(t.Context(), req(t))
	if d := at() - t3; d < 6*time.Second || d > 7*time.Second {
		t.Fatalf("after 'remaining 2 for 20s' the next request waited %s, want about 6.7s", d)
	}
	// Once the reset window is over the configured pace is back.
	c.Sleep(t.Context(), 30*time.Second)
	t4 := at()
	_, _ = p.Generate(t.Context(), req(t))
	_, _ = p.Generate(t.Context(), req(t))
	if d := at() - t4; d > time.Second {
		t.Fatalf("pace did not recover after the window: %s for 2 requests", d)
	}
}

func TestRateLimitTokens(t *testing.T) {
	c := newClock()
	st := &stub{name: "s", resp: func(int64) (*provider.Response, error) { return &provider.Response{}, nil }}
	p := provider.RateLimit(st, provider.RateLimitOptions{TokensPerMinute: 6000, Now: c.Now, Sleep: c.Sleep,
		EstimateTokens: func(*provider.Request) int { return 3000 }})
	for range 4 {
		_, _ = p.Generate(t.Context(), req(t))
	}
	// A full bucket of 6000 pays two; each next one waits 30 s.
	if got := c.Now().Sub(time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)); got != time.Minute {
		t.Fatalf("4×3000 tokens at 6000/min took %s, want 1m", got)
	}
}

func TestFallbackOrderAndFallThrough(t *testing.T) {
	mk := func(name string, code provider.Code) *stub {
		return &stub{name: name, resp: func(int64) (*provider.Response, error) {
			if code != "" {
				return nil, &provider.Error{Code: code, Provider: name}
			}
			return &provider.Response{Text: "{}"}, nil
		}}
	}
	for _, code := range []provider.Code{provider.QuotaExhausted, provider.Unauthenticated, provider.RateLimited, provider.Unavailable, provider.Timeout, provider.Unsupported} {
		a, b := mk("gemini", code), mk("openai", "")
		resp, err := provider.Fallback(a, b).Generate(t.Context(), req(t))
		if err != nil || resp.Provider != "openai" || a.calls.Load() != 1 || b.calls.Load() != 1 {
			t.Errorf("%s: got %v %+v", code, err, resp)
		}
	}
	for _, code := range []provider.Code{provider.InvalidRequest, provider.Refused, provider.Truncated, provider.BadOutput} {
		a, b := mk("gemini", code), mk("openai", "")
		_, err := provider.Fallback(a, b).Generate(t.Context(), req(t))
		if provider.Classify(err) != code || b.calls.Load() != 0 {
			t.Errorf("%s fell through to the next provider", code)
		}
	}
	a, b := mk("gemini", ""), mk("openai", "")
	resp, err := provider.Fallback(a, b).Generate(t.Context(), req(t))
	if err != nil || resp.Provider != "gemini" || b.calls.Load() != 0 {
		t.Fatalf("first provider not preferred: %v %+v", err, resp)
	}
	// All fail: the last failure comes back.
	a, b = mk("gemini", provider.Unavailable), mk("openai", provider.QuotaExhausted)
	if _, err := provider.Fallback(a, b).Generate(t.Context(), req(t)); provider.Classify(err) != provider.QuotaExhausted {
		t.Fatalf("got %v", err)
	}
	caps := provider.Fallback(fake.New(fake.Options{Capabilities: provider.Capabilities{MaxItemsPerRequest: 8, Video: true}}),
		fake.New(fake.Options{Capabilities: provider.Capabilities{MaxItemsPerRequest: 2}})).Capabilities()
	if caps.MaxItemsPerRequest != 2 || caps.Video {
		t.Fatalf("merged capabilities not cautious: %+v", caps)
	}
	// Pixels: any member reading Part.Image makes the pipeline attach it
	// (the others ignore it), in either order; none means none.
	pix := fake.New(fake.Options{Capabilities: provider.Capabilities{Pixels: true}})
	plain := fake.New(fake.Options{})
	if !provider.Fallback(plain, pix).Capabilities().Pixels || !provider.Fallback(pix, plain).Capabilities().Pixels {
		t.Fatal("Pixels lost in the merge")
	}
	if provider.Fallback(plain, fake.New(fake.Options{})).Capabilities().Pixels {
		t.Fatal("Pixels set with no member declaring it")
	}
}

// TestFallbackSkipsTrippedProvider: once the first provider's breaker is
// open, later calls go straight to the second without touching the first.
func TestFallbackSkipsTrippedProvider(t *testing.T) {
	g := fake.New(fake.Options{Name: "gemini"})
	g.Enqueue(fake.Step{Fault: provider.QuotaExhausted})
	o := fake.New(fake.Options{Name: "openai"})
	p := provider.Fallback(provider.Resilient(g, provider.Options{}), provider.Resilient(o, provider.Options{}))
	for range 5 {
		resp, err := p.Generate(t.Context(), req(t))
		if err != nil || resp.Provider != "openai" {
			t.Fatalf("got %v %+v", err, resp)
		}
	}
	if g.Calls() != 1 || o.Calls() != 5 {
		t.Fatalf("gemini %d calls, openai %d", g.Calls(), o.Calls())
	}
}

func TestWithTimeout(t *testing.T) {
	f := fake.New(fake.Options{Latency: time.Second})
	p := provider.WithTimeout(f, 30*time.Millisecond)
	start := time.Now()
	_, err := p.Generate(t.Context(), req(t))
	if provider.Classify(err) != provider.Timeout || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("got %v after %s", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(10*time.Millisecond, cancel)
	if _, err := provider.WithTimeout(f, time.Minute).Generate(ctx, req(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancellation: got %v", err)
	}
	if provider.WithTimeout(f, 0) != provider.Provider(f) {
		t.Fatal("a zero timeout should return the provider itself")
	}
}

// TestResilientUnder30PercentRateLimits is the batch of the issue: a
// server answers 30% of requests with 429 and a retry-after hint; every
// file ends tagged and the server answers each exactly once.
func TestResilientUnder30PercentRateLimits(t *testing.T) {
	s := wiretest.New(t, wiretest.OpenAI, wiretest.Options{FailRate: 0.3, FailRetryAfter: 5 * time.Millisecond, Seed: 7})
	drv, err := openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL()})
	if err != nil {
		t.Fatal(err)
	}
	p := provider.Resilient(drv, provider.Options{Retry: provider.RetryOptions{BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxAttempts: 20}})
	const files = 200
	var ok atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for range files {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := p.Generate(t.Context(), req(t)); err != nil {
				t.Error(err)
				return
			}
			ok.Add(1)
		})
	}
	wg.Wait()
	if ok.Load() != files || s.Served() != files {
		t.Fatalf("%d files tagged, server answered %d successfully; want %d and %d", ok.Load(), s.Served(), files, files)
	}
	if n := len(s.Wire()); n <= files {
		t.Fatalf("no 429 was served (%d requests): the fault mode is not exercised", n)
	}
}

// TestFallbackRoutesByTask: a provider that does not declare the
// request's task is skipped, so a metadata-only provider can lead a chain;
// the chain declares the tasks any member answers.
func TestFallbackRoutesByTask(t *testing.T) {
	metaOnly := provider.Capabilities{Tasks: []provider.Task{provider.TaskMetadata}}
	tagger := fake.New(fake.Options{Name: "tagger", Capabilities: metaOnly})
	model := fake.New(fake.Options{Name: "model"})
	chain := provider.Fallback(tagger, model)
	if tasks := chain.Capabilities().Tasks; tasks != nil {
		t.Fatalf("chain with an all-task member declares %v, want every task", tasks)
	}
	for _, tc := range []struct {
		task provider.Task
		want string
	}{{provider.TaskMetadata, "tagger"}, {provider.TaskPrompt, "model"}} {
		resp, err := chain.Generate(t.Context(), providertest.NewRequest(t, tc.task, 1))
		if err != nil || resp.Provider != tc.want {
			t.Fatalf("%s: answered by %v (%v), want %s", tc.task, resp, err, tc.want)
		}
	}
	if tagger.Calls() != 1 || model.Calls() != 1 {
		t.Fatalf("calls: tagger %d, model %d; want 1 and 1", tagger.Calls(), model.Calls())
	}

	both := provider.Fallback(tagger, fake.New(fake.Options{Name: "other", Capabilities: metaOnly}))
	if tasks := both.Capabilities().Tasks; !slices.Equal(tasks, []provider.Task{provider.TaskMetadata}) {
		t.Fatalf("metadata-only chain declares %v", tasks)
	}
	_, err := both.Generate(t.Context(), providertest.NewRequest(t, provider.TaskPrompt, 1))
	if provider.Classify(err) != provider.Unsupported || tagger.Calls() != 1 {
		t.Fatalf("prompt to a metadata-only chain: %v after %d tagger calls", err, tagger.Calls())
	}
}
