package wire

import (
	"net/http"
	"testing"
	"time"

	"github.com/picfre/picfre/provider"
)

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
		if got := ParseRetryAfter(c.h, now); got != c.want {
			t.Errorf("%v: got %s, want %s", c.h, got, c.want)
		}
	}
}

func TestParseRateLimitHeaders(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	got := ParseRateLimitHeaders(http.Header{
		"X-Ratelimit-Limit-Requests": {"500"}, "X-Ratelimit-Remaining-Requests": {"499"},
		"X-Ratelimit-Reset-Requests": {"120ms"}, "X-Ratelimit-Remaining-Tokens": {"149000"},
		"X-Ratelimit-Reset-Tokens": {"6m0s"},
	}, now)
	want := provider.RateLimitInfo{LimitRequests: 500, RemainingRequests: 499, ResetRequests: 120 * time.Millisecond,
		LimitTokens: -1, RemainingTokens: 149000, ResetTokens: 6 * time.Minute}
	if got == nil || *got != want {
		t.Fatalf("openai headers: %+v", got)
	}
	got = ParseRateLimitHeaders(http.Header{
		"Anthropic-Ratelimit-Requests-Remaining": {"0"},
		"Anthropic-Ratelimit-Requests-Reset":     {now.Add(30 * time.Second).Format(time.RFC3339)},
	}, now)
	if got == nil || got.RemainingRequests != 0 || got.ResetRequests != 30*time.Second {
		t.Fatalf("anthropic headers: %+v", got)
	}
	if ParseRateLimitHeaders(http.Header{"Content-Type": {"application/json"}}, now) != nil {
		t.Fatal("no rate-limit headers should give nil")
	}
}

// TestRateLimitHint: a 429 without Retry-After is waited out until the
// reset of what its rate-limit headers say is exhausted.
func TestRateLimitHint(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"7"}, "X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"20s"}}, 7 * time.Second},
		{http.Header{"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"1m0s"}}, time.Minute},
		{http.Header{"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"2s"},
			"X-Ratelimit-Remaining-Tokens": {"0"}, "X-Ratelimit-Reset-Tokens": {"6m0s"}}, 6 * time.Minute},
		{http.Header{"X-Ratelimit-Remaining-Requests": {"3"}, "X-Ratelimit-Reset-Requests": {"2s"},
			"X-Ratelimit-Remaining-Tokens": {"0"}, "X-Ratelimit-Reset-Tokens": {"1.5s"}}, 1500 * time.Millisecond},
		{http.Header{"Anthropic-Ratelimit-Requests-Remaining": {"0"},
			"Anthropic-Ratelimit-Requests-Reset": {now.Add(30 * time.Second).Format(time.RFC3339)}}, 30 * time.Second},
		{http.Header{"X-Ratelimit-Remaining-Requests": {"5"}, "X-Ratelimit-Reset-Requests": {"2s"}}, 0},
		{http.Header{}, 0},
	}
	for _, c := range cases {
		if got := RateLimitHint(c.h, now); got != c.want {
			t.Errorf("%v: got %s, want %s", c.h, got, c.want)
		}
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
		if d := ParseRetryAfter(h, now); d < 0 || d > 24*time.Hour {
			t.Fatalf("retry hint %s out of range", d)
		}
		if d := RateLimitHint(h, now); d < 0 || d > 24*time.Hour {
			t.Fatalf("rate-limit hint %s out of range", d)
		}
		if info := ParseRateLimitHeaders(h, now); info != nil {
			if info.ResetRequests < 0 || info.ResetRequests > 24*time.Hour || info.ResetTokens < 0 || info.ResetTokens > 24*time.Hour {
				t.Fatalf("reset out of range: %+v", info)
			}
		}
	})
}
