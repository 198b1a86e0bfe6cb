package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/picfre/picfre/provider"
)

// maxErrorBody bounds how much of a failure body is kept for
// classification.
const maxErrorBody = 64 << 10

// Exchange records one HTTP answer. Safe for concurrent use.
type Exchange struct {
	mu     sync.Mutex
	sent   int
	status int
	header http.Header
	body   []byte
}

// Result returns what was recorded: how many requests were sent, the last
// status and headers, and the failure body (nil for successes).
func (e *Exchange) Result() (sent, status int, header http.Header, body []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sent, e.status, e.header, e.body
}

type ctxKey struct{}

// Record returns a context whose requests the Transport records into the
// returned Exchange.
func Record(ctx context.Context) (context.Context, *Exchange) {
	ex := &Exchange{}
	return context.WithValue(ctx, ctxKey{}, ex), ex
}

// Transport is an http.RoundTripper that strips every request header
// whose canonical name Allow rejects, sets the headers in Set (the
// credential, so that no ambient SDK configuration can replace it), and
// records answers into the Exchange of the request's context.
type Transport struct {
	Base  http.RoundTripper
	Allow func(canonicalName string) bool
	Set   http.Header
}

// RoundTrip implements http.RoundTripper. It clones the request before
// changing its headers, as RoundTrippers must.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	for name := range r.Header {
		if t.Allow != nil && !t.Allow(http.CanonicalHeaderKey(name)) {
			r.Header.Del(name)
		}
	}
	for name, vals := range t.Set {
		r.Header[http.CanonicalHeaderKey(name)] = append([]string(nil), vals...)
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	ex, _ := req.Context().Value(ctxKey{}).(*Exchange)
	if ex != nil {
		ex.mu.Lock()
		ex.sent++
		ex.mu.Unlock()
	}
	resp, err := base.RoundTrip(r)
	if err != nil || ex == nil {
		return resp, err
	}
	var body []byte
	if resp.StatusCode >= 400 {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
		if rerr != nil && len(b) == 0 {
			return nil, rerr
		}
		body = b
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
	}
	ex.mu.Lock()
	ex.status = resp.StatusCode
	ex.header = resp.Header.Clone()
	ex.body = body
	ex.mu.Unlock()
	return resp, nil
}

// Client returns a copy of base (http.DefaultClient's settings when nil)
// whose transport is wrapped in a Transport with allow and set. Redirects
// are refused: an API endpoint has no reason to redirect, and following one
// could carry the credential elsewhere.
func Client(base *http.Client, allow func(string) bool, set http.Header) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.Transport = &Transport{Base: c.Transport, Allow: allow, Set: set}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// AllowPrefixes returns an Allow function that keeps the named headers and
// any header starting with one of the prefixes (all canonical form).
func AllowPrefixes(names []string, prefixes []string) func(string) bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[http.CanonicalHeaderKey(n)] = true
	}
	return func(name string) bool {
		if set[name] {
			return true
		}
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
}

// Safe returns s cut to about 200 characters with secrets replaced, for
// use in an error message. Control characters are replaced by spaces.
func Safe(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	const limit = 200
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// TransportError turns an error from the SDK call that produced no HTTP
// answer into a classified error with a safe message: context errors keep
// their identity (Canceled wrapped; deadline as Timeout), network errors
// become Unavailable or Timeout. The SDK's text is not kept, since it
// quotes URLs.
func TransportError(name string, ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(cerr, context.Canceled) {
			return fmt.Errorf("%s: request canceled: %w", name, context.Canceled)
		}
		return &provider.Error{Code: provider.Timeout, Provider: name, Message: "deadline exceeded", Err: context.DeadlineExceeded}
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: request canceled: %w", name, context.Canceled)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &provider.Error{Code: provider.Timeout, Provider: name, Message: "deadline exceeded", Err: context.DeadlineExceeded}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return &provider.Error{Code: provider.Timeout, Provider: name, Message: "network timeout"}
		}
		return &provider.Error{Code: provider.Unavailable, Provider: name, Message: "network error"}
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return &provider.Error{Code: provider.Unavailable, Provider: name, Message: "network error: " + oe.Op}
	}
	return &provider.Error{Code: provider.Unavailable, Provider: name, Message: "request failed before an answer arrived"}
}

// StatusCode maps an HTTP status without a more specific body to a code.
func StatusCode(status int) provider.Code {
	switch {
	case status == http.StatusTooManyRequests:
		return provider.RateLimited
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return provider.Unauthenticated
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return provider.Timeout
	case status == http.StatusPaymentRequired:
		return provider.QuotaExhausted
	case status >= 500:
		return provider.Unavailable
	case status >= 400:
		return provider.InvalidRequest
	}
	return provider.Unknown
}

// Settings are the options every model driver shares.
type Settings struct {
	Name, BaseURL, Model string
	MaxItems             int
}

// Resolve fills each zero field of s from def and checks the base URL's
// scheme. Errors name the driver, never the URL (it may hold a key).
func Resolve(s, def Settings) (Settings, error) {
	if s.Name == "" {
		s.Name = def.Name
	}
	if s.BaseURL == "" {
		s.BaseURL = def.BaseURL
	}
	if s.Model == "" {
		s.Model = def.Model
	}
	if s.MaxItems <= 0 {
		s.MaxItems = def.MaxItems
	}
	if !strings.HasPrefix(s.BaseURL, "http://") && !strings.HasPrefix(s.BaseURL, "https://") {
		return s, fmt.Errorf("%s: base URL must start with http:// or https://", s.Name)
	}
	return s, nil
}
