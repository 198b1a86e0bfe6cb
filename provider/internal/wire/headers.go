package wire

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/picfre/picfre/provider"
)

// ParseRetryAfter returns the retry hint of an HTTP answer: retry-after-ms
// (milliseconds, OpenAI) wins over retry-after, which may be a number of
// seconds (fractions allowed) or an HTTP date, taken relative to now.
// It returns 0 when there is no usable hint. Hints are capped at one day so
// that a hostile header cannot park a batch forever.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	const maxHint = 24 * time.Hour
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && !math.IsInf(ms, 0) {
			return min(time.Duration(ms*float64(time.Millisecond)), maxHint)
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 || math.IsNaN(s) {
			return 0
		}
		if s > maxHint.Seconds() {
			return maxHint
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxHint)
		}
	}
	return 0
}

// RateLimitHint returns the retry hint of a rate-limited answer: the
// Retry-After hint (ParseRetryAfter) when there is one, else the reset of
// each limit the rate-limit headers (ParseRateLimitHeaders) report as
// exhausted, the longest of them, else 0.
func RateLimitHint(h http.Header, now time.Time) time.Duration {
	if d := ParseRetryAfter(h, now); d > 0 {
		return d
	}
	info := ParseRateLimitHeaders(h, now)
	if info == nil {
		return 0
	}
	var d time.Duration
	if info.RemainingRequests == 0 {
		d = max(d, info.ResetRequests)
	}
	if info.RemainingTokens == 0 {
		d = max(d, info.ResetTokens)
	}
	return d
}

// ParseRateLimitHeaders reads the rate-limit headers of an answer in the
// two common forms: OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,
// tokens} (resets as durations such as "6m0s" or "120ms") and Anthropic's
// anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset} (resets as
// RFC 3339 times, taken relative to now). It returns nil when none is set.
func ParseRateLimitHeaders(h http.Header, now time.Time) *provider.RateLimitInfo {
	info := provider.RateLimitInfo{LimitRequests: -1, RemainingRequests: -1, LimitTokens: -1, RemainingTokens: -1}
	found := false
	count := func(dst *int, names ...string) {
		for _, n := range names {
			if v := strings.TrimSpace(h.Get(n)); v != "" {
				if c, err := strconv.Atoi(v); err == nil && c >= 0 {
					*dst = c
					found = true
					return
				}
			}
		}
	}
	reset := func(dst *time.Duration, names ...string) {
		for _, n := range names {
			if d := parseReset(h.Get(n), now); d > 0 {
				*dst = d
				found = true
				return
			}
		}
	}
	count(&info.LimitRequests, "X-Ratelimit-Limit-Requests", "Anthropic-Ratelimit-Requests-Limit")
	count(&info.RemainingRequests, "X-Ratelimit-Remaining-Requests", "Anthropic-Ratelimit-Requests-Remaining")
	reset(&info.ResetRequests, "X-Ratelimit-Reset-Requests", "Anthropic-Ratelimit-Requests-Reset")
	count(&info.LimitTokens, "X-Ratelimit-Limit-Tokens", "Anthropic-Ratelimit-Tokens-Limit")
	count(&info.RemainingTokens, "X-Ratelimit-Remaining-Tokens", "Anthropic-Ratelimit-Tokens-Remaining")
	reset(&info.ResetTokens, "X-Ratelimit-Reset-Tokens", "Anthropic-Ratelimit-Tokens-Reset")
	if !found {
		return nil
	}
	return &info
}

func parseReset(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if d, err := time.ParseDuration(v); err == nil {
		return min(max(d, 0), 24*time.Hour)
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 && s < 86400 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return min(max(t.Sub(now), 0), 24*time.Hour)
	}
	return 0
}
