package provider_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/openai"
	"github.com/picfre/picfre/provider/providertest"
)

// windowRun is one batch through Resilient(openai) against a wiretest
// server with a fixed-window limit of perWindow requests per window.
type windowRun struct {
	failed  int64
	limited int   // 429s the server sent
	windows []int // requests admitted per window, the first and the last (partial) ones dropped
	elapsed time.Duration
}

func runFixedWindow(tb testing.TB, perWindow int, window time.Duration, requests, workers int, opts provider.Options) windowRun {
	tb.Helper()
	s := wiretest.Start(wiretest.OpenAI, wiretest.Options{WindowRequests: perWindow, Window: window,
		MinLatency: 5 * time.Millisecond, MaxLatency: 20 * time.Millisecond, Seed: 7})
	defer s.Close()
	drv, err := openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL(), MaxItemsPerRequest: 1})
	if err != nil {
		tb.Fatal(err)
	}
	p := provider.Resilient(drv, opts)
	jobs := make(chan struct{})
	var fails atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		r := providertest.NewRequest(tb, provider.TaskMetadata, 1)
		wg.Go(func() {
			for range jobs {
				if _, err := p.Generate(tb.Context(), r); err != nil {
					fails.Add(1)
					tb.Logf("failed: %v", err)
				}
			}
		})
	}
	for range requests {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	run := windowRun{failed: fails.Load(), limited: len(s.Wire()) - s.Served(), elapsed: time.Since(start)}
	tb.Logf("all windows %v", s.Windows())
	if w := s.Windows(); len(w) > 2 {
		run.windows = w[1 : len(w)-1]
	}
	return run
}

// fractions returns each window's admitted requests as a fraction of the
// limit, and the smallest.
func fractions(w []int, limit int) ([]string, float64) {
	out := make([]string, len(w))
	lo := 1.0
	for i, n := range w {
		f := float64(n) / float64(limit)
		out[i] = fmt.Sprintf("%.3f", f)
		lo = min(lo, f)
	}
	return out, lo
}

// TestFixedWindowNoFailuresNearTheLimit is the rate-limited batch
// scaled down: a server that admits 50 requests in each fixed 1 s window
// (not a token bucket, and no limit given to the client), 16 workers,
// six windows' worth of requests. No request may fail however many 429s
// it meets, and every full window after the first must be used nearly
// to the limit: the limiter learns it from the headers and paces all
// workers on it. The precise claim (within 5 %) is the benchmark's; this
// test, which runs under -race on a loaded machine, asks for 80 %.
func TestFixedWindowNoFailuresNearTheLimit(t *testing.T) {
	const perWindow = 50
	run := runFixedWindow(t, perWindow, time.Second, 6*perWindow, 16, provider.Options{})
	fr, lo := fractions(run.windows, perWindow)
	t.Logf("%d failed, %d answered 429, windows after the first: %v of the limit, in %s", run.failed, run.limited, fr, run.elapsed)
	if run.failed != 0 {
		t.Fatalf("%d requests failed", run.failed)
	}
	if len(run.windows) < 3 {
		t.Fatalf("only %d full windows after the first", len(run.windows))
	}
	if lo < 0.8 {
		t.Fatalf("a window used only %.3f of the limit: %v", lo, fr)
	}
}

// onFailure calls fn with the time each failure of p came back.
type onFailure struct {
	provider.Provider
	fn func(time.Time, error)
}

func (o onFailure) Generate(ctx context.Context, r *provider.Request) (*provider.Response, error) {
	resp, err := o.Provider.Generate(ctx, r)
	if err != nil {
		o.fn(time.Now(), err)
	}
	return resp, err
}

// TestRateLimitHintHoldsEveryCaller: a 429 with Retry-After: 2 (and
// retry-after-ms: 2000, as OpenAI sends) means no request reaches the
// server before 2 s have passed since that answer, neither the one
// retried nor those of the callers that came meanwhile.
func TestRateLimitHintHoldsEveryCaller(t *testing.T) {
	var rec wiretest.Arrivals
	s := wiretest.New(t, wiretest.OpenAI, wiretest.Options{Respond: rec.Respond})
	s.Enqueue(providertest.Outcome{Fault: provider.RateLimited, RetryAfter: 2 * time.Second})
	drv, err := openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL(), MaxItemsPerRequest: 1})
	if err != nil {
		t.Fatal(err)
	}
	limitedAt := make(chan time.Time, 1)
	p := provider.Resilient(onFailure{drv, func(at time.Time, err error) {
		if provider.Classify(err) == provider.RateLimited {
			limitedAt <- at
		}
	}}, provider.Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	wg.Go(func() { _, err := p.Generate(t.Context(), req(t)); errs <- err })
	at := <-limitedAt
	for range 3 {
		wg.Go(func() { _, err := p.Generate(t.Context(), req(t)); errs <- err })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	arrivals := rec.Times()
	if len(arrivals) != 4 {
		t.Fatalf("%d answered requests, want 4", len(arrivals))
	}
	for _, a := range arrivals {
		if d := a.Sub(at); d < 2*time.Second {
			t.Errorf("a request arrived %s after the 429 that said 2s", d)
		}
	}
}

// TestRateLimitWaitEndsWithTheContext: a caller waiting out a long hint
// (an hour) returns promptly when its context is canceled, with
// context.Canceled and not rate_limited; so does a caller held by the
// pause the hint began.
func TestRateLimitWaitEndsWithTheContext(t *testing.T) {
	s := wiretest.New(t, wiretest.OpenAI, wiretest.Options{})
	s.Enqueue(providertest.Outcome{Fault: provider.RateLimited, RetryAfter: time.Hour})
	drv, err := openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL(), MaxItemsPerRequest: 1})
	if err != nil {
		t.Fatal(err)
	}
	limited := make(chan struct{})
	p := provider.Resilient(onFailure{drv, func(time.Time, error) { close(limited) }}, provider.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	errs := make(chan error, 2)
	go func() { _, err := p.Generate(ctx, req(t)); errs <- err }()
	<-limited
	// limited fires inside Resilient, as the driver returns the 429 and
	// before Resilient has read its hint and begun the pause; the second
	// caller comes once that has surely happened (it takes microseconds).
	time.Sleep(50 * time.Millisecond)
	go func() { _, err := p.Generate(ctx, req(t)); errs <- err }()
	time.Sleep(100 * time.Millisecond)
	canceled := time.Now()
	cancel()
	for range 2 {
		select {
		case err := <-errs:
			if !errors.Is(err, context.Canceled) || provider.Classify(err) == provider.RateLimited {
				t.Errorf("got %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("still waiting 5s after the cancel")
		}
	}
	t.Logf("returned %s after the cancel", time.Since(canceled))
	if n := len(s.Wire()); n != 1 {
		t.Fatalf("%d requests reached the server, want only the first", n)
	}
}

// windowFake is a provider behind a fixed-window limit that sends no
// rate-limit headers: only 429s with the time to the window's end, on a
// fake clock.
type windowFake struct {
	c         *clock
	start     time.Time
	perWindow int
	window    time.Duration
	headers   bool // answer with OpenAI's x-ratelimit-* (as RateLimitInfo)

	mu       sync.Mutex
	admitted map[int][]time.Time // per window, the times of admitted requests
	refused  map[int]int
}

func (w *windowFake) Name() string                        { return "windowfake" }
func (w *windowFake) Capabilities() provider.Capabilities { return provider.Capabilities{} }

func (w *windowFake) Generate(ctx context.Context, r *provider.Request) (*provider.Response, error) {
	now := w.c.Now()
	i := int(now.Sub(w.start) / w.window)
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.admitted[i]) >= w.perWindow {
		w.refused[i]++
		end := w.start.Add(time.Duration(i+1) * w.window)
		return nil, &provider.Error{Code: provider.RateLimited, Provider: "windowfake", RetryAfter: end.Sub(now)}
	}
	w.admitted[i] = append(w.admitted[i], now)
	resp := &provider.Response{Text: "{}"}
	if w.headers {
		end := w.start.Add(time.Duration(i+1) * w.window)
		resp.RateLimit = &provider.RateLimitInfo{LimitRequests: w.perWindow, RemainingRequests: w.perWindow - len(w.admitted[i]),
			ResetRequests: end.Sub(now), LimitTokens: -1, RemainingTokens: -1}
	}
	return resp, nil
}

// TestRateLimitCatchesUpAfterAStall: with the headers of a fixed window,
// a caller that stalled for 30 % of a window (a busy machine) still fills
// it: the pace may rise above the limit's average for what is left.
func TestRateLimitCatchesUpAfterAStall(t *testing.T) {
	c := newClock()
	w := &windowFake{c: c, start: c.Now(), perWindow: 60, window: 10 * time.Second, headers: true,
		admitted: map[int][]time.Time{}, refused: map[int]int{}}
	p := provider.Retry(provider.RateLimit(w, provider.RateLimitOptions{Now: c.Now, Sleep: c.Sleep}),
		provider.RetryOptions{Now: c.Now, Sleep: c.Sleep})
	for i := range 60 * 6 {
		if i == 60*3+10 {
			_ = c.Sleep(t.Context(), 3*time.Second)
		}
		if _, err := p.Generate(t.Context(), req(t)); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range 6 {
		if n := len(w.admitted[i]); n != 60 {
			t.Errorf("window %d admitted %d, want 60 (refused %d)", i, n, w.refused[i])
		}
	}
	for i := 1; i < 6; i++ {
		ts := w.admitted[i]
		if spread := ts[len(ts)-1].Sub(ts[0]); spread < 8*time.Second {
			t.Errorf("window %d: its 60 requests within %s of a 10s window", i, spread)
		}
	}
}

// TestRateLimitLearnsFromPausesWithoutHeaders: with no headers, only
// 429s, the limiter learns the limit from them (what succeeded between
// two pauses' ends, over the time between) and from then on spreads the
// requests over the window instead of sending them all when it opens:
// every window is used to the limit, with at most a few 429s at its end.
func TestRateLimitLearnsFromPausesWithoutHeaders(t *testing.T) {
	c := newClock()
	w := &windowFake{c: c, start: c.Now(), perWindow: 60, window: 10 * time.Second,
		admitted: map[int][]time.Time{}, refused: map[int]int{}}
	p := provider.Retry(provider.RateLimit(w, provider.RateLimitOptions{Now: c.Now, Sleep: c.Sleep}),
		provider.RetryOptions{Now: c.Now, Sleep: c.Sleep})
	for i := range 60 * 10 {
		if _, err := p.Generate(t.Context(), req(t)); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range 10 {
		if n := len(w.admitted[i]); n != 60 {
			t.Errorf("window %d admitted %d, want 60", i, n)
		}
	}
	// Windows 0 and 1 teach; from window 2 on the requests are spread.
	for i := 2; i < 10; i++ {
		ts := w.admitted[i]
		spread := ts[len(ts)-1].Sub(ts[0])
		if spread < 8*time.Second {
			t.Errorf("window %d: its 60 requests within %s of a 10s window (refused %d)", i, spread, w.refused[i])
		}
		if w.refused[i] > 2 {
			t.Errorf("window %d: %d refused", i, w.refused[i])
		}
	}
}
