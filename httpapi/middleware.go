package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/picfre/picfre/errcode"
)

// setSecurityHeaders sets the headers of every answer (API13.md, Limits
// and hardening): nothing of an answer is a page, framed, sniffed,
// referred to or cached.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// Errors of the middleware.
var (
	errUnauthenticated = errcode.New(errcode.Unauthenticated, "authentication required")
	errCrossOrigin     = errcode.New(errcode.PermissionDenied, "cross-origin request refused")
	errNoRoute         = errcode.New(errcode.NotFound, "no such endpoint")
	errMethod          = errcode.New(errcode.InvalidArgument, "method not allowed on this endpoint")
	errInternal        = errcode.New(errcode.Internal, "internal error")
	errRateLimited     = errcode.New(errcode.RateLimited, "too many requests; retry later")
)

// serve is the outermost layer: security headers, recovery, the JSON
// answers for unknown routes and methods, and the request log.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	rec := &recorder{ResponseWriter: w}
	setSecurityHeaders(w.Header())
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// The value and the stack may hold anything: a name, a
			// token, content. The route is all that is logged.
			h.log.LogAttrs(r.Context(), slog.LevelError, "httpapi: handler panicked",
				slog.String("route", rec.pattern))
			if !rec.wroteHeader {
				writeError(rec, errInternal)
			}
		}
		h.logRequest(r.Context(), r.Method, rec, h.now().Sub(start))
	}()
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.noRoute(rec, r)
		return
	}
	h.mux.ServeHTTP(rec, r)
}

// noRoute answers a request no route matches: ServeMux's own answer (404,
// 405 with its Allow header, or a redirect to the clean path) with the
// API's JSON error body instead of its text.
func (h *Handler) noRoute(w http.ResponseWriter, r *http.Request) {
	fw := &fallbackWriter{header: http.Header{}}
	h.mux.ServeHTTP(fw, r)
	switch fw.status {
	case http.StatusMethodNotAllowed:
		if allow := fw.header.Values("Allow"); len(allow) > 0 {
			w.Header()["Allow"] = allow
		}
		writeErrorStatus(w, http.StatusMethodNotAllowed, errMethod)
	case http.StatusMovedPermanently, http.StatusPermanentRedirect, http.StatusFound, http.StatusTemporaryRedirect:
		if loc := fw.header.Get("Location"); loc != "" {
			w.Header().Set("Location", loc)
		}
		w.WriteHeader(fw.status)
	default:
		writeError(w, errNoRoute)
	}
}

// writeErrorStatus is writeError with a status other than the code's
// own (405 with invalid_argument, as the contract says).
func writeErrorStatus(w http.ResponseWriter, status int, err error) {
	code := errcode.Of(err)
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: err.Error()}})
}

// route wraps one route's handler: the origin check for state-changing
// browser requests, authentication, and the account's rate limits.
func (h *Handler) route(rt route) http.Handler {
	isPublic, isUpload := rt.flags&public != 0, rt.flags&upload != 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := w.(*recorder); ok {
			rec.pattern = rt.pattern
		}
		if err := h.cop.Check(r); err != nil {
			writeError(w, errCrossOrigin)
			return
		}
		if !isPublic {
			account, err := h.cfg.Auth.Authenticate(r)
			if err == nil && account == "" {
				err = errUnauthenticated
			}
			if err != nil {
				if errcode.Of(err) == errcode.Unauthenticated {
					err = errUnauthenticated // the authenticator's words stay inside
				}
				writeError(w, err)
				return
			}
			now := h.now()
			ok, retry := h.requests.allow(account, now)
			if ok && isUpload {
				ok, retry = h.uploads.allow(account, now)
			}
			if !ok {
				w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(retry.Seconds())), 10))
				writeError(w, errRateLimited)
				return
			}
			r = r.WithContext(withAccount(r.Context(), account))
		}
		rt.fn(w, r)
	})
}

// logRequest writes the one record of a request: nothing a client sent
// but its method, nothing of the answer but its status and code.
func (h *Handler) logRequest(ctx context.Context, method string, rec *recorder, d time.Duration) {
	route := rec.pattern
	if route == "" {
		route = "unmatched"
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", status),
	}
	if code := rec.code(); code != "" {
		attrs = append(attrs, slog.String("code", string(code)))
	}
	attrs = append(attrs, slog.Duration("duration", d))
	h.log.LogAttrs(ctx, slog.LevelInfo, "httpapi: request", attrs...)
}

// recorder is the ResponseWriter every handler writes to: it remembers
// the route, the status and, for an error, the start of the body, for
// the request log. Unwrap lets http.ResponseController reach Flush and
// the deadlines of the connection.
type recorder struct {
	http.ResponseWriter
	pattern     string
	status      int
	wroteHeader bool
	head        []byte // the first bytes of an error body
}

const recordedBytes = 256

func (rec *recorder) WriteHeader(status int) {
	if rec.wroteHeader {
		return
	}
	if status >= 200 {
		rec.wroteHeader = true
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if !rec.wroteHeader {
		rec.WriteHeader(http.StatusOK)
	}
	if rec.status >= 400 && len(rec.head) < recordedBytes {
		rec.head = append(rec.head, b[:min(len(b), recordedBytes-len(rec.head))]...)
	}
	return rec.ResponseWriter.Write(b)
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// code is the error code of an error answer, read back from its body.
func (rec *recorder) code() errcode.Code {
	if rec.status < 400 || len(rec.head) == 0 {
		return ""
	}
	const prefix = `{"error":{"code":"`
	if !bytes.HasPrefix(rec.head, []byte(prefix)) {
		return ""
	}
	rest := rec.head[len(prefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return ""
	}
	var c errcode.Code
	if json.Unmarshal(rec.head[len(prefix)-1:len(prefix)+end+1], &c) != nil {
		return ""
	}
	return c
}

// fallbackWriter takes ServeMux's own answer for a request no route
// matches, so that noRoute can answer it in JSON.
type fallbackWriter struct {
	header http.Header
	status int
}

func (f *fallbackWriter) Header() http.Header { return f.header }
func (f *fallbackWriter) Write(b []byte) (int, error) {
	if f.status == 0 {
		f.status = http.StatusOK
	}
	return len(b), nil
}
func (f *fallbackWriter) WriteHeader(status int) {
	if f.status == 0 {
		f.status = status
	}
}

// limiters holds one token bucket per account. A bucket left alone long
// enough to be full again is the same as a new one, so such idle
// buckets are dropped, at most once a minute, and the map stays as large
// as the set of recently active accounts.
type limiters struct {
	every rate.Limit
	burst int
	idle  time.Duration

	mu        sync.Mutex
	m         map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

// newLimiters returns the limiters for perMinute and burst (the defaults
// when zero); nil, which allows everything, when perMinute is negative.
func newLimiters(perMinute, burst, defPerMinute, defBurst int) *limiters {
	if perMinute < 0 {
		return nil
	}
	if perMinute == 0 {
		perMinute = defPerMinute
	}
	if burst <= 0 {
		burst = defBurst
	}
	every := rate.Limit(float64(perMinute) / 60)
	refill := time.Duration(float64(burst) / float64(every) * float64(time.Second))
	return &limiters{every: every, burst: burst, idle: refill + time.Minute, m: map[string]*bucket{}}
}

// allow takes one token of account's bucket at now; when there is none
// it takes nothing and says how long until there is.
func (l *limiters) allow(account string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= time.Minute {
		for a, b := range l.m {
			if now.Sub(b.last) > l.idle {
				delete(l.m, a)
			}
		}
		l.lastSweep = now
	}
	b := l.m[account]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.m[account] = b
	}
	b.last = now
	res := b.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Minute
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, max(d, time.Second)
	}
	return true, 0
}

// size is the number of buckets held (for tests of the eviction).
func (l *limiters) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
