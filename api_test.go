package picfre_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// A result travels as JSON: a failed file keeps its code and message, a
// clip its duration, and what reads the record back gets the same result.
func TestResultJSONRoundTrip(t *testing.T) {
	failed := picfre.Result{File: "a.png", Task: picfre.TaskMetadata, Kind: "image",
		Err: errcode.Errorf(errcode.TooLarge, "file is larger than %d bytes", 10)}
	b, err := json.Marshal(failed)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"file":"a.png","task":"metadata","kind":"image","error":{"code":"too_large","message":"file is larger than 10 bytes"}}`
	if string(b) != want {
		t.Fatalf("failed result:\n got %s\nwant %s", b, want)
	}
	var back picfre.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(back.Err, errcode.TooLarge) || back.Err.Error() != "file is larger than 10 bytes" || back.File != "a.png" {
		t.Fatalf("read back %+v", back)
	}

	ok := picfre.Result{File: "clip.mp4", Task: picfre.TaskMetadata, Kind: "video", Title: "Waves",
		Keywords: []string{"sea", "wave"}, Duration: 12500 * time.Millisecond, Width: 1920, Height: 1080,
		Usage: picfre.Usage{Provider: "gemini", Model: "m", InputTokens: 7, OutputTokens: 3, Credits: 2}, Replayed: true}
	b, err = json.Marshal(&ok)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{`"duration_seconds":12.5`, `"usage":{"provider":"gemini","model":"m","input_tokens":7,"output_tokens":3,"credits":2}`, `"replayed":true`, `"width":1920`} {
		if !strings.Contains(string(b), part) {
			t.Errorf("%s lacks %s", b, part)
		}
	}
	if strings.Contains(string(b), `"error"`) {
		t.Errorf("a success carries an error: %s", b)
	}
	back = picfre.Result{}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Duration != ok.Duration || back.Err != nil || back.Usage != ok.Usage || back.Title != "Waves" {
		t.Fatalf("read back %+v", back)
	}
	if err := json.Unmarshal([]byte(`{"file":"x","duration_seconds":-1}`), &back); errcode.Of(err) != errcode.InvalidArgument {
		t.Fatalf("negative duration: %v", err)
	}
}

// A ledger refuses a file with no account as invalid_argument, not as a
// billing failure, and charges nothing.
func TestLedgerWithoutAccount(t *testing.T) {
	l := metering.NewLedger(memstore.New(), metering.Options{})
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{Meter: l, Pricer: metering.Pricing{Rates: []metering.Rate{{Base: 1}}}})
	_, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	if errcode.Of(err) != errcode.InvalidArgument {
		t.Fatalf("no account: %v (code %s), want invalid_argument", err, errcode.Of(err))
	}
}

func TestKeywordDefaultsFollowTheOtherBound(t *testing.T) {
	p := fake.New(fake.Options{})
	pl := picfre.New(p, picfre.Config{})
	res, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{MaxKeywords: 5})
	if err != nil {
		t.Fatalf("MaxKeywords 5 alone: %v", err)
	}
	if n := len(res.Keywords); n > 5 {
		t.Errorf("%d keywords, want at most 5", n)
	}
	if s := p.Requests()[0].Spec; s.MinKeywords != 5 || s.MaxKeywords != 5 {
		t.Errorf("asked for %d-%d keywords, want 5-5", s.MinKeywords, s.MaxKeywords)
	}
	if _, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{MinKeywords: 60}); err != nil {
		t.Fatalf("MinKeywords 60 alone: %v", err)
	}
	if s := p.Requests()[1].Spec; s.MinKeywords != 60 || s.MaxKeywords != 60 {
		t.Errorf("asked for %d-%d keywords, want 60-60", s.MinKeywords, s.MaxKeywords)
	}
	for _, o := range []picfre.Options{{MinKeywords: 20, MaxKeywords: 10}, {SimilarDistance: -1}, {SimilarDistance: 65}, {Concurrency: -1}} {
		if _, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), o); errcode.Of(err) != errcode.InvalidArgument {
			t.Errorf("%+v: %v, want invalid_argument", o, err)
		}
	}
}

// MaxRequests bounds the provider requests of every call together.
func TestMaxRequestsIsShared(t *testing.T) {
	var inFlight, peak atomic.Int64
	p := fake.New(fake.Options{Respond: func(*provider.Request) fake.Step {
		n := inFlight.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond) // widen the window in which calls overlap
		inFlight.Add(-1)
		return fake.Step{}
	}})
	pl := picfre.New(p, picfre.Config{MaxRequests: 3})
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			media := mediaOf(samples(t))
			for i := range media {
				media[i].Key = fmt.Sprintf("call-%d-%d", c, i)
			}
			err := pl.TagAll(t.Context(), slices.Values(media), picfre.Options{Concurrency: 4},
				func(r *picfre.Result) error { return r.Err })
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := peak.Load(); got > 3 {
		t.Fatalf("%d requests in flight, limit 3", got)
	}
	if p.Calls() != 4*len(samples(t)) {
		t.Fatalf("%d requests, want %d", p.Calls(), 4*len(samples(t)))
	}
}

func TestProgressNamesTheFile(t *testing.T) {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	files := []picfre.Media{picfre.File("testdata/samples/rocket.jpg"), picfre.File("testdata/bad/notes.jpg"), picfre.File("testdata/samples/chelsea.png")}
	var got []picfre.Progress
	err := pl.TagAll(t.Context(), slices.Values(files), picfre.Options{Concurrency: 2, Progress: func(p picfre.Progress) { got = append(got, p) }},
		func(*picfre.Result) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d progress calls", len(got))
	}
	for i, p := range got {
		if p.Index != i || p.File != files[i].Name || p.Done != i+1 || p.Total < i+1 || p.Total > 3 {
			t.Errorf("progress %d: %+v", i, p)
		}
		if p.TotalKnown && p.Total != 3 {
			t.Errorf("progress %d: total %d known, want 3", i, p.Total)
		}
	}
	if got[1].Code != errcode.UnsupportedMedia || got[1].Failed != 1 || got[0].Code != "" || got[2].Failed != 1 {
		t.Errorf("codes and failures: %+v", got)
	}
}

// The same bytes three times in one batch, under other names, and again
// in a later call: one charge, no conflict; the copies are Replayed at no
// cost. Packed into one request, the copies are not even sent.
func TestSameFileIsChargedOnce(t *testing.T) {
	for _, packed := range []bool{true, false} {
		t.Run(fmt.Sprint("packed=", packed), func(t *testing.T) {
			l := metering.NewLedger(memstore.New(), metering.Options{})
			if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acct", Credits: 10, PaymentRef: "pay-1"}); err != nil {
				t.Fatal(err)
			}
			caps := provider.Capabilities{}
			if packed {
				caps.MaxItemsPerRequest = 4
			}
			p := fake.New(fake.Options{Capabilities: caps, Respond: func(*provider.Request) fake.Step { return fake.Step{Delay: 10 * time.Millisecond} }})
			pl := picfre.New(p, picfre.Config{Meter: l, Pricer: metering.Pricing{Rates: []metering.Rate{{Base: 3}}}})
			open := picfre.File("testdata/samples/coffee.png").Open
			batch := []picfre.Media{{Name: "coffee.png", Open: open}, {Name: "upload-7f3a.png", Open: open}, {Name: "again.png", Open: open}}
			var got []*picfre.Result
			err := pl.TagAll(t.Context(), slices.Values(batch), picfre.Options{Account: "acct", Concurrency: 3},
				func(r *picfre.Result) error { got = append(got, r); return nil })
			if err != nil {
				t.Fatal(err)
			}
			replayed := 0
			for i, r := range got {
				if r.Err != nil {
					t.Fatalf("%s: %v (code %s)", r.File, r.Err, errcode.Of(r.Err))
				}
				if r.File != batch[i].Name || r.Title == "" {
					t.Errorf("result %d: %+v", i, r)
				}
				if r.Replayed {
					replayed++
					if r.Usage.Credits != 0 {
						t.Errorf("%s replayed at %d credits", r.File, r.Usage.Credits)
					}
				}
			}
			if replayed != 2 {
				t.Errorf("%d replayed, want 2", replayed)
			}
			if packed && (p.Calls() != 1 || p.Requests()[0].Spec.Items != 1) {
				t.Errorf("%d requests, want one about one item", p.Calls())
			}
			if _, err := pl.Tag(t.Context(), picfre.Media{Name: "later.png", Open: open}, picfre.Options{Account: "acct"}); err != nil {
				t.Fatal(err)
			}
			b, err := l.Balance(t.Context(), "acct")
			if err != nil {
				t.Fatal(err)
			}
			if b.Credits != 7 || b.Held != 0 {
				t.Fatalf("balance %+v, want 7 credits (one charge of 3) and nothing held", b)
			}
			usage, err := l.History(t.Context(), "acct")
			if err != nil {
				t.Fatal(err)
			}
			if n := len(usage); n != 2 { // the top-up and one usage record
				t.Errorf("%d ledger entries, want the top-up and one usage record", n)
			}
		})
	}
}

// Traces and metrics: a span per file and per request, counters by code,
// and no file name or account anywhere unless Identify is set.
func TestTelemetry(t *testing.T) {
	for _, identify := range []bool{false, true} {
		t.Run(fmt.Sprint("identify=", identify), func(t *testing.T) {
			spans := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			l := metering.NewLedger(memstore.New(), metering.Options{})
			if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "ACCOUNT-7731", Credits: 10, PaymentRef: "pay-1"}); err != nil {
				t.Fatal(err)
			}
			pl := picfre.New(fake.New(fake.Options{}), picfre.Config{Meter: l, Pricer: metering.Pricing{Rates: []metering.Rate{{Base: 2}}},
				TracerProvider: tp, MeterProvider: mp, Logger: logger, Identify: identify})
			files := []picfre.Media{picfre.File("testdata/samples/rocket.jpg"), picfre.File("testdata/bad/notes.jpg"), picfre.File("testdata/samples/chelsea.png")}
			err := pl.TagAll(t.Context(), slices.Values(files), picfre.Options{Account: "ACCOUNT-7731"}, func(*picfre.Result) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]int{}
			var dump strings.Builder
			for _, s := range spans.Ended() {
				byName[s.Name()]++
				fmt.Fprintln(&dump, s.Name(), s.Attributes(), s.Status())
			}
			if byName["picfre.file"] != 3 || byName["picfre.request"] != 2 {
				t.Errorf("spans %v, want 3 files and 2 requests", byName)
			}
			var rm metricdata.ResourceMetrics
			if err := reader.Collect(t.Context(), &rm); err != nil {
				t.Fatal(err)
			}
			sums := map[string]int64{}
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					if d, ok := m.Data.(metricdata.Sum[int64]); ok {
						for _, p := range d.DataPoints {
							key := m.Name
							if c, ok := p.Attributes.Value(attribute.Key("picfre.code")); ok && m.Name == "picfre.failures" {
								key += "/" + c.AsString()
							}
							sums[key] += p.Value
							fmt.Fprintln(&dump, m.Name, p.Attributes.ToSlice(), p.Value)
						}
					}
				}
			}
			if sums["picfre.files"] != 3 || sums["picfre.failures/unsupported_media"] != 1 || sums["picfre.credits"] != 4 || sums["picfre.requests"] != 2 || sums["picfre.tokens"] == 0 {
				t.Errorf("metrics %v", sums)
			}
			dump.Write(logs.Bytes())
			for _, secret := range []string{"rocket.jpg", "notes.jpg", "ACCOUNT-7731"} {
				if got := strings.Contains(dump.String(), secret); got != identify {
					t.Errorf("%q in the telemetry: %v, want %v\n%s", secret, got, identify, dump.String())
				}
			}
			if !strings.Contains(logs.String(), `"code":"unsupported_media"`) || strings.Count(logs.String(), "\n") != 3 {
				t.Errorf("logs:\n%s", logs.String())
			}
		})
	}
}

// Without a logger, tracer or meter the pipeline builds nothing for them:
// telemetry off costs no allocations beyond the file's own work.
func BenchmarkTelemetryOff(b *testing.B) {
	benchTelemetry(b, picfre.Config{})
}

func BenchmarkTelemetryOn(b *testing.B) {
	reader := sdkmetric.NewManualReader()
	benchTelemetry(b, picfre.Config{
		TracerProvider: sdktrace.NewTracerProvider(), // spans recorded, exported nowhere
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		Logger:         slog.New(slog.NewJSONHandler(ioDiscard{}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
}

type ioDiscard struct{}

func (ioDiscard) Write(p []byte) (int, error) { return len(p), nil }

func benchTelemetry(b *testing.B, cfg picfre.Config) {
	pl := picfre.New(fake.New(fake.Options{Forget: true}), cfg)
	m := picfre.File("testdata/samples/coffee.png")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pl.Tag(ctx, m, picfre.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
