package wire

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/picfre/picfre/provider"
)

func TestTransportFiltersHeadersAndRecordsFailures(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":"slow down"}`)
	}))
	defer srv.Close()
	c := Client(nil, AllowPrefixes([]string{"Authorization", "Content-Type"}, []string{"X-Stainless-"}),
		http.Header{"Authorization": {"Bearer right"}})
	ctx, ex := Record(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer from-env")
	req.Header.Set("OpenAI-Organization", "org-account")
	req.Header.Set("X-Stainless-Os", "Linux")
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got.Get("OpenAI-Organization") != "" || got.Get("Authorization") != "Bearer right" || got.Get("X-Stainless-Os") != "Linux" {
		t.Fatalf("headers on the wire: %v", got)
	}
	if req.Header.Get("OpenAI-Organization") == "" {
		t.Fatal("the caller's request was changed in place")
	}
	sent, status, h, eb := ex.Result()
	if sent != 1 || status != 429 || h.Get("Retry-After") != "3" || string(eb) != `{"error":"slow down"}` || string(body) != string(eb) {
		t.Fatalf("recorded %d %d %v %q (body %q)", sent, status, h, eb, body)
	}
}

func TestSafe(t *testing.T) {
	long := strings.Repeat("é", 300)
	if s := Safe(long); len(s) > 210 || !strings.HasSuffix(s, "…") {
		t.Fatalf("not cut: %d bytes", len(s))
	}
	if s := Safe("key sk-abcdef in\nmessage", "sk-abcdef"); s != "key [redacted] in message" {
		t.Fatalf("got %q", s)
	}
}

func TestTransportError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := TransportError("x", ctx, errors.New("boom")); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 0)
	defer dcancel()
	<-dctx.Done()
	if err := TransportError("x", dctx, errors.New("boom")); provider.Classify(err) != provider.Timeout {
		t.Fatalf("deadline: %v", err)
	}
	err := TransportError("x", context.Background(), errors.New(`Post "http://secret-host/v1?key=abc": connection refused`))
	if provider.Classify(err) != provider.Unavailable || strings.Contains(err.Error(), "key=abc") {
		t.Fatalf("network: %v", err)
	}
	for status, want := range map[int]provider.Code{429: provider.RateLimited, 401: provider.Unauthenticated, 402: provider.QuotaExhausted, 400: provider.InvalidRequest, 503: provider.Unavailable, 504: provider.Timeout} {
		if got := StatusCode(status); got != want {
			t.Errorf("%d: %s, want %s", status, got, want)
		}
	}
}

func TestResolve(t *testing.T) {
	def := Settings{Name: "x", BaseURL: "https://api.example", Model: "m1", MaxItems: 8}
	got, err := Resolve(Settings{Model: "m2"}, def)
	if err != nil || got != (Settings{Name: "x", BaseURL: "https://api.example", Model: "m2", MaxItems: 8}) {
		t.Fatalf("Resolve = %+v, %v", got, err)
	}
	if _, err := Resolve(Settings{BaseURL: "ftp://secret@host"}, def); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("bad scheme: %v", err)
	}
}
