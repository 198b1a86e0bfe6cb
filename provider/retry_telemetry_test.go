package provider_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// retryCall is what OnRetry saw for one retry.
type retryCall struct {
	attempt int
	code    provider.Code
	wait    time.Duration
}

// retryLog is an OnRetry callback that keeps its calls.
type retryLog struct {
	mu    sync.Mutex
	calls []retryCall
}

func (l *retryLog) OnRetry(attempt int, code provider.Code, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, retryCall{attempt, code, wait})
}

func (l *retryLog) Calls() []retryCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// retryCounts collects the picfre.provider.retries counter by
// (provider, code), failing on any other attribute.
func retryCounts(t *testing.T, r sdkmetric.Reader) map[[2]string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[[2]string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "picfre.provider.retries" {
				t.Errorf("unexpected metric %q", m.Name)
				continue
			}
			if sm.Scope.Name != "github.com/picfre/picfre/provider" || m.Unit != "{retry}" {
				t.Errorf("scope %q, unit %q", sm.Scope.Name, m.Unit)
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || !sum.IsMonotonic {
				t.Fatalf("retries are %T, want a monotonic Sum[int64]", m.Data)
			}
			for _, dp := range sum.DataPoints {
				got[attrPair(t, dp.Attributes.ToSlice())] += dp.Value
			}
		}
	}
	return got
}

// attrPair returns (picfre.provider, picfre.code) and fails on anything else.
func attrPair(t *testing.T, kvs []attribute.KeyValue) [2]string {
	t.Helper()
	var p [2]string
	for _, kv := range kvs {
		switch kv.Key {
		case "picfre.provider":
			p[0] = kv.Value.AsString()
		case "picfre.code":
			p[1] = kv.Value.AsString()
		default:
			t.Errorf("unexpected attribute %s=%s", kv.Key, kv.Value.String())
		}
	}
	if len(kvs) != 2 {
		t.Errorf("attributes %v, want exactly picfre.provider and picfre.code", kvs)
	}
	return p
}

// TestRetryIsVisible: the callback, the counter and the span events see
// exactly the retries made: none for a failure that is not retried, a
// hint beyond the budget, a fatal code or a wait cut short.
func TestRetryIsVisible(t *testing.T) {
	rl, un := provider.RateLimited, provider.Unavailable
	tests := []struct {
		name   string
		script []fake.Step
		opts   provider.RetryOptions
		cancel bool // cancel ctx during the first wait
		want   []retryCall
	}{
		{name: "hint then backoff", script: []fake.Step{{Fault: rl, RetryAfter: 7 * time.Second}, {Fault: un}, {}},
			want: []retryCall{{2, rl, 7 * time.Second}, {3, un, 500 * time.Millisecond}}},
		{name: "attempts exhausted", script: []fake.Step{{Fault: un}, {Fault: un}, {Fault: un}, {}}, opts: provider.RetryOptions{MaxAttempts: 3},
			want: []retryCall{{2, un, 250 * time.Millisecond}, {3, un, 500 * time.Millisecond}}},
		{name: "hint beyond budget", script: []fake.Step{{Fault: rl, RetryAfter: 10 * time.Minute}, {}}, opts: provider.RetryOptions{MaxRateLimitWait: time.Minute}},
		{name: "not retryable", script: []fake.Step{{Fault: provider.InvalidRequest}, {}}},
		{name: "fatal", script: []fake.Step{{Fault: provider.QuotaExhausted}, {}}},
		{name: "canceled while waiting", script: []fake.Step{{Fault: un}, {}}, cancel: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(fake.Options{Name: "gemini"})
			f.Enqueue(tt.script...)
			reader := sdkmetric.NewManualReader()
			spans := tracetest.NewSpanRecorder()
			tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)).Tracer("test")
			ctx, span := tracer.Start(t.Context(), "file")
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()

			var log retryLog
			c := newClock()
			opts := tt.opts
			opts.OnRetry = log.OnRetry
			opts.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			opts.Now, opts.Rand = c.Now, func() float64 { return 0.5 }
			opts.Sleep = c.Sleep
			if tt.cancel {
				opts.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
			}
			_, _ = provider.Retry(f, opts).Generate(ctx, req(t))
			span.End()

			if got := log.Calls(); !slices.Equal(got, tt.want) {
				t.Errorf("OnRetry saw %v, want %v", got, tt.want)
			}
			if retries := f.Calls() - 1; retries != len(tt.want) {
				t.Errorf("%d retries reached the provider, want %d", retries, len(tt.want))
			}
			wantCounts := map[[2]string]int64{}
			for _, w := range tt.want {
				wantCounts[[2]string{"gemini", string(w.code)}]++
			}
			got := retryCounts(t, reader)
			if len(got) != len(wantCounts) {
				t.Errorf("counter %v, want %v", got, wantCounts)
			}
			for k, n := range wantCounts {
				if got[k] != n {
					t.Errorf("counter %v = %d, want %d (all: %v)", k, got[k], n, got)
				}
			}
			ended := spans.Ended()
			if len(ended) != 1 {
				t.Fatalf("%d spans ended, want 1", len(ended))
			}
			var events []string
			for _, e := range ended[0].Events() {
				if e.Name != "picfre.provider.retry" {
					t.Errorf("unexpected event %q", e.Name)
				}
				p := attrPair(t, e.Attributes)
				events = append(events, p[0]+"/"+p[1])
			}
			var wantEvents []string
			for _, w := range tt.want {
				wantEvents = append(wantEvents, "gemini/"+string(w.code))
			}
			if !slices.Equal(events, wantEvents) {
				t.Errorf("span events %v, want %v", events, wantEvents)
			}
		})
	}
}

// TestRetryCountUnderConcurrency: with many callers sharing one Retry,
// the counter and the callback count every retry once, and no more: the
// retries are the calls beyond one per request.
func TestRetryCountUnderConcurrency(t *testing.T) {
	const requests, faults = 64, 40
	f := fake.New(fake.Options{Forget: true})
	for range faults {
		f.Enqueue(fake.Step{Fault: provider.Unavailable})
	}
	reader := sdkmetric.NewManualReader()
	var seen atomic.Int64
	p := provider.Retry(f, provider.RetryOptions{
		MaxAttempts:   faults + 1,
		Rand:          func() float64 { return 0 }, // no wait, so no budget runs out
		Sleep:         func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		OnRetry:       func(int, provider.Code, time.Duration) { seen.Add(1) },
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	var wg sync.WaitGroup
	for range requests {
		wg.Go(func() {
			if _, err := p.Generate(t.Context(), req(t)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if f.Calls() != requests+faults {
		t.Fatalf("%d calls, want %d", f.Calls(), requests+faults)
	}
	counts := retryCounts(t, reader)
	if seen.Load() != faults || counts[[2]string{"fake", "unavailable"}] != faults || len(counts) != 1 {
		t.Fatalf("OnRetry saw %d, counter %v; want %d unavailable retries", seen.Load(), counts, faults)
	}
}

// TestResilientPassesRetryTelemetry: Options.Retry carries the callback
// and the meter provider through Resilient.
func TestResilientPassesRetryTelemetry(t *testing.T) {
	f := fake.New(fake.Options{Name: "openai"})
	f.Enqueue(fake.Step{Fault: provider.Timeout}, fake.Step{})
	reader := sdkmetric.NewManualReader()
	var log retryLog
	c := newClock()
	p := provider.Resilient(f, provider.Options{Retry: provider.RetryOptions{
		Now: c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0 },
		OnRetry: log.OnRetry, MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	}, Timeout: time.Minute})
	if _, err := p.Generate(t.Context(), req(t)); err != nil {
		t.Fatal(err)
	}
	if got := log.Calls(); !slices.Equal(got, []retryCall{{2, provider.Timeout, 0}}) {
		t.Fatalf("OnRetry saw %v", got)
	}
	if got := retryCounts(t, reader); len(got) != 1 || got[[2]string{"openai", "timeout"}] != 1 {
		t.Fatalf("counter %v", got)
	}
}
