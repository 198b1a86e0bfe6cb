package provider_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/picfre/picfre/provider"
)

// rules are the billing rules of the real providers' default models.
var rules = []struct {
	name string
	caps provider.Capabilities
}{
	{"openai gpt-4o (tiles)", provider.Capabilities{ImageSize: 2048, ImageCost: provider.TileCost{Base: 85, PerTile: 170}}},
	{"openai gpt-4.1-mini (patches ×1.62)", provider.Capabilities{ImageSize: 2048, ImageCost: provider.PatchCost{Multiplier: 1.62}}},
	{"openai gpt-5-mini (patches ×1.2)", provider.Capabilities{ImageSize: 2048, ImageCost: provider.PatchCost{Multiplier: 1.2}}},
	{"gemini 2.5 (768 tiles)", provider.Capabilities{ImageSize: 768, ImageCost: provider.GeminiCost{}}},
	{"anthropic (w·h/750)", provider.Capabilities{ImageSize: 1568, ImageCost: provider.AreaCost{}}},
}

func TestChooseImageFor24Megapixels(t *testing.T) {
	const w, h = 6000, 4000
	want := []struct {
		edge   int
		detail provider.Detail
		tokens int
	}{
		{512, provider.DetailLow, 85},   // low detail: the model sees 512 px for 85
		{512, provider.DetailAuto, 286}, // 16×11 patches ×1.62
		{512, provider.DetailAuto, 212}, // 16×11 patches ×1.2
		{768, provider.DetailAuto, 258}, // one 768 tile; 512 would cost the same
		{512, provider.DetailAuto, 233}, // 512×341/750
	}
	for i, r := range rules {
		edge, d := provider.ChooseImage(r.caps, w, h)
		tok := provider.ImageTokens(r.caps, w, h, edge, d)
		asIs := r.caps.ImageCost.Tokens(w, h, provider.DetailAuto)
		t.Logf("%-38s as is %5d tokens; shaped to %4d px, detail %-4q: %4d tokens", r.name, asIs, edge, d, tok)
		if edge != want[i].edge || d != want[i].detail || tok != want[i].tokens {
			t.Errorf("%s: got %d px %q %d tokens, want %d px %q %d tokens", r.name, edge, d, tok, want[i].edge, want[i].detail, want[i].tokens)
		}
		if tok >= asIs {
			t.Errorf("%s: shaping saves nothing (%d vs %d)", r.name, tok, asIs)
		}
	}
}

func TestShapeKeepsTheQualityFloorAndNeverUpscales(t *testing.T) {
	for _, r := range rules {
		for _, size := range [][2]int{{6000, 4000}, {4000, 6000}, {1200, 800}, {300, 200}, {1, 1}} {
			edge, d := provider.ChooseImage(r.caps, size[0], size[1])
			long := max(size[0], size[1])
			if edge > long {
				t.Errorf("%s %v: upscaled to %d", r.name, size, edge)
			}
			if edge < min(provider.DefaultMinLongEdge, long) {
				t.Errorf("%s %v: %d px is below the quality floor", r.name, size, edge)
			}
			if v, ok := r.caps.ImageCost.(provider.ViewedSizer); ok {
				if seen := v.ViewedLongEdge(size[0]*edge/long, size[1]*edge/long, d); seen < min(provider.DefaultMinLongEdge, long)-1 {
					t.Errorf("%s %v: the model sees only %d px", r.name, size, seen)
				}
			}
		}
	}
	// A lower floor lets Gemini use media resolution LOW.
	if edge, d := provider.ShapeImage(rules[3].caps, 6000, 4000, 384); d != provider.DetailLow || provider.ImageTokens(rules[3].caps, 6000, 4000, edge, d) != 64 {
		t.Fatalf("gemini with a 384 floor: %d %q", edge, d)
	}
	// Without a billing rule, the provider's size or the default.
	if edge, _ := provider.ChooseImage(provider.Capabilities{}, 6000, 4000); edge != provider.DefaultImageSize {
		t.Fatalf("no rule: %d", edge)
	}
	if edge, _ := provider.ChooseImage(provider.Capabilities{ImageSize: 640}, 6000, 4000); edge != 640 {
		t.Fatalf("no rule with ImageSize: %d", edge)
	}
}

func TestEstimateInputTokensSharesInstructions(t *testing.T) {
	caps := rules[3].caps
	caps.MaxItemsPerRequest = 8
	one := provider.EstimateInputTokens(caps, 6000, 4000, 800, 1)
	eight := provider.EstimateInputTokens(caps, 6000, 4000, 800, 8)
	if one != 258+800+8 || eight != 258+100+8 {
		t.Fatalf("per-file estimate: %d alone, %d packed by 8", one, eight)
	}
	caps.MaxItemsPerRequest = 2
	if got := provider.EstimateInputTokens(caps, 6000, 4000, 800, 8); got != 258+400+8 {
		t.Fatalf("packing beyond the provider's limit: %d", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{http.Header{"Retry-After": {"7"}, "Retry-After-Ms": {"6250"}}, 6250 * time.Millisecond},
		{http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		{http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		{http.Header{"Retry-After": {"-3"}}, 0},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{"Retry-After": {"1e300"}}, 24 * time.Hour},
		{http.Header{}, 0},
	}
	for _, c := range cases {
		if got := provider.ParseRetryAfter(c.h, now); got != c.want {
			t.Errorf("%v: got %s, want %s", c.h, got, c.want)
		}
	}
}

func TestParseRateLimitHeaders(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	got := provider.ParseRateLimitHeaders(http.Header{
		"X-Ratelimit-Limit-Requests": {"500"}, "X-Ratelimit-Remaining-Requests": {"499"},
		"X-Ratelimit-Reset-Requests": {"120ms"}, "X-Ratelimit-Remaining-Tokens": {"149000"},
		"X-Ratelimit-Reset-Tokens": {"6m0s"},
	}, now)
	want := provider.RateLimitInfo{LimitRequests: 500, RemainingRequests: 499, ResetRequests: 120 * time.Millisecond,
		LimitTokens: -1, RemainingTokens: 149000, ResetTokens: 6 * time.Minute}
	if got == nil || *got != want {
		t.Fatalf("openai headers: %+v", got)
	}
	got = provider.ParseRateLimitHeaders(http.Header{
		"Anthropic-Ratelimit-Requests-Remaining": {"0"},
		"Anthropic-Ratelimit-Requests-Reset":     {now.Add(30 * time.Second).Format(time.RFC3339)},
	}, now)
	if got == nil || got.RemainingRequests != 0 || got.ResetRequests != 30*time.Second {
		t.Fatalf("anthropic headers: %+v", got)
	}
	if provider.ParseRateLimitHeaders(http.Header{"Content-Type": {"application/json"}}, now) != nil {
		t.Fatal("no rate-limit headers should give nil")
	}
}

func FuzzParseHeaders(f *testing.F) {
	f.Add("7", "6250", "120ms", "499")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT", "", "2025-05-01T12:00:30Z", "x")
	f.Add("1e309", "NaN", "-5s", "-1")
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, ra, ram, reset, remaining string) {
		h := http.Header{"Retry-After": {ra}, "Retry-After-Ms": {ram},
			"X-Ratelimit-Reset-Requests": {reset}, "X-Ratelimit-Remaining-Requests": {remaining},
			"Anthropic-Ratelimit-Tokens-Reset": {reset}}
		if d := provider.ParseRetryAfter(h, now); d < 0 || d > 24*time.Hour {
			t.Fatalf("retry hint %s out of range", d)
		}
		if info := provider.ParseRateLimitHeaders(h, now); info != nil {
			if info.ResetRequests < 0 || info.ResetRequests > 24*time.Hour || info.ResetTokens < 0 || info.ResetTokens > 24*time.Hour {
				t.Fatalf("reset out of range: %+v", info)
			}
		}
	})
}

// BenchmarkShapedInputTokens reports, for a 24-megapixel photo (6000×4000),
// the input tokens each billing rule charges for the image sent as is and
// shaped by ChooseImage.
func BenchmarkShapedInputTokens(b *testing.B) {
	const w, h = 6000, 4000
	for _, r := range rules {
		b.Run(r.name, func(b *testing.B) {
			var edge int
			var d provider.Detail
			for b.Loop() {
				edge, d = provider.ChooseImage(r.caps, w, h)
			}
			b.ReportMetric(float64(r.caps.ImageCost.Tokens(w, h, provider.DetailAuto)), "tokens-as-is")
			b.ReportMetric(float64(provider.ImageTokens(r.caps, w, h, edge, d)), "tokens-shaped")
		})
	}
}
