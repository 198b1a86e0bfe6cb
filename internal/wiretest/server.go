package wiretest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/providertest"
)

// Kind names a wire protocol.
type Kind string

// The protocols a Server speaks.
const (
	OpenAI    Kind = "openai"
	Gemini    Kind = "gemini"
	Anthropic Kind = "anthropic"
)

// maxBody bounds a request body the servers read (real APIs accept about
// 20–50 MB of inline media).
const maxBody = 64 << 20

// Options configure a Server. The zero value answers every request with a
// valid answer built from the request's schema, without faults or limits.
type Options struct {
	// Key is the credential the server accepts; default a fixed test key
	// per kind (see Server.Secret).
	Key string
	// Respond decides unscripted requests; default Answer. It must be
	// safe for concurrent use.
	Respond func(r *Request) providertest.Outcome
	// FailRate is the fraction of unscripted requests answered with a
	// rate-limit failure carrying a FailRetryAfter hint (default 1s),
	// drawn from a generator seeded with Seed.
	FailRate       float64
	FailRetryAfter time.Duration
	Seed           uint64
	// RequestsPerMinute enforces a request limit the way providers do:
	// a token bucket of Burst (default 1) refilled at the per-minute rate;
	// a request that finds it empty gets the kind's 429 with a retry hint
	// of when the next request would be admitted.
	RequestsPerMinute int
	Burst             int
	// WindowRequests and Window enforce a fixed-window limit instead, as
	// some providers and gateways count: at most WindowRequests requests
	// are admitted in each Window (default one minute), windows counted
	// from the server's start. Answers carry x-ratelimit-limit-requests
	// (WindowRequests), x-ratelimit-remaining-requests (what is left in
	// this window) and x-ratelimit-reset-requests (the time to the
	// window's end), the kind's equivalents for Anthropic; a request
	// beyond the count gets the kind's 429 with a retry hint of the time
	// to the window's end. Refused requests are not counted. It takes
	// the place of RequestsPerMinute when both are set.
	WindowRequests int
	Window         time.Duration
	// RateHeadersOnlyOn429 leaves the rate-limit headers off successful
	// answers, as some OpenAI-compatible servers and gateways do: a
	// client learns of the limit only from the 429s.
	RateHeadersOnlyOn429 bool
	// MinLatency and MaxLatency delay each answer by a uniform draw
	// between them (from the seeded generator), after any Outcome.Delay.
	MinLatency, MaxLatency time.Duration
	// ProcessingPolls is how many files.get calls of the Gemini Files API
	// see an uploaded video or audio file PROCESSING before it turns
	// ACTIVE; 0 means 1. Images are ACTIVE at once, as on the real
	// service.
	ProcessingPolls int
	// FailProcessing makes uploaded video and audio files end in state
	// FAILED instead of ACTIVE.
	FailProcessing bool
}

// Request is what a server understood of one request, in a form common to
// all kinds.
type Request struct {
	Kind            Kind
	Path            string
	Header          http.Header
	Model           string
	Instructions    string
	Texts           []string // user text parts, in order
	Media           []Media  // image, audio and video parts, in order
	Schema          json.RawMessage
	SchemaName      string
	MaxOutputTokens int
	// MediaResolution is Gemini's generationConfig.mediaResolution.
	MediaResolution string
	// Raw is the request as it crossed the wire: headers and body.
	Raw []byte
}

// Media is one media part of a request: inline, or a reference to a file
// uploaded through the Gemini Files API (FileURI set, Data the uploaded
// bytes).
type Media struct {
	MIMEType string
	Data     []byte
	// FileURI is the fileData.fileUri of a Gemini part, "" for inline
	// data.
	FileURI string
	// Detail is OpenAI's image_url.detail, or Gemini's per-part media
	// resolution, "" when absent.
	Detail string
}

// Images returns the image parts of r.
func (r *Request) Images() []Media {
	var out []Media
	for _, m := range r.Media {
		if len(m.MIMEType) > 6 && m.MIMEType[:6] == "image/" {
			out = append(out, m)
		}
	}
	return out
}

// Server is an in-process HTTP server that speaks one provider's real wire
// protocol: its paths, authentication headers, JSON bodies, answers, error
// bodies and rate-limit headers. It is safe for concurrent use.
type Server struct {
	*httptest.Server
	kind Kind
	opts Options

	mu       sync.Mutex
	script   []providertest.Outcome
	wire     [][]byte
	requests []*Request
	served   int
	rng      *rand.Rand
	tokens   float64
	tokensAt time.Time
	start    time.Time // of the first fixed window
	windows  []int     // requests admitted in each fixed window
	files    geminiFiles
}

// NewOpenAI starts a server speaking OpenAI's chat-completions protocol
// (POST /v1/chat/completions, Authorization: Bearer). BaseURL gives the
// base URL the SDK wants ("http://127.0.0.1:port/v1"). It closes when t
// ends.
func NewOpenAI(t testing.TB) *Server { return New(t, OpenAI, Options{}) }

// NewGemini starts a server speaking the Gemini API protocol
// (POST /v1beta/models/{model}:generateContent, x-goog-api-key).
func NewGemini(t testing.TB) *Server { return New(t, Gemini, Options{}) }

// NewAnthropic starts a server speaking Anthropic's Messages protocol
// (POST /v1/messages, x-api-key, anthropic-version).
func NewAnthropic(t testing.TB) *Server { return New(t, Anthropic, Options{}) }

// New starts a server of the given kind with opts. It closes when t ends.
func New(t testing.TB, kind Kind, opts Options) *Server {
	t.Helper()
	s := Start(kind, opts)
	t.Cleanup(s.Close)
	return s
}

// Start starts a server without a test; the caller must Close it.
func Start(kind Kind, opts Options) *Server {
	if opts.Key == "" {
		opts.Key = "sk-wiretest-" + string(kind) + "-7c1d9e2f"
	}
	if opts.Respond == nil {
		opts.Respond = func(r *Request) providertest.Outcome { return providertest.Outcome{Text: Answer(r)} }
	}
	if opts.FailRetryAfter <= 0 {
		opts.FailRetryAfter = time.Second
	}
	if opts.Burst <= 0 {
		opts.Burst = 1
	}
	if opts.WindowRequests > 0 && opts.Window <= 0 {
		opts.Window = time.Minute
	}
	s := &Server{kind: kind, opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))}
	s.tokens = float64(opts.Burst)
	s.tokensAt = time.Now()
	s.start = s.tokensAt
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Kind returns the protocol the server speaks.
func (s *Server) Kind() Kind { return s.kind }

// BaseURL returns what the kind's SDK calls its base URL: the URL with
// "/v1" for OpenAI, the host root for Gemini and Anthropic.
func (s *Server) BaseURL() string {
	if s.kind == OpenAI {
		return s.URL + "/v1"
	}
	return s.URL
}

// Secret returns the credential the server accepts.
func (s *Server) Secret() string { return s.opts.Key }

// Enqueue scripts the outcome of the next request; scripted outcomes are
// used before FailRate, the limit and Respond.
func (s *Server) Enqueue(o providertest.Outcome) {
	s.mu.Lock()
	s.script = append(s.script, o)
	s.mu.Unlock()
}

// Wire returns every request received so far as raw bytes (request line,
// headers and body).
func (s *Server) Wire() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.wire...)
}

// Requests returns the parsed requests received so far (those that
// parsed), in arrival order.
func (s *Server) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.requests...)
}

// Served returns how many requests were answered successfully.
func (s *Server) Served() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served
}

// Reset forgets recorded requests and the script.
func (s *Server) Reset() {
	s.mu.Lock()
	s.script, s.wire, s.requests, s.served = nil, nil, nil, 0
	s.files = geminiFiles{}
	s.mu.Unlock()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	dump, _ := httputil.DumpRequest(r, true)
	s.mu.Lock()
	s.wire = append(s.wire, dump)
	s.mu.Unlock()

	p := protocols[s.kind]
	if len(body) > maxBody {
		p.fault(w, provider.InvalidRequest, 0, "request too large")
		return
	}
	if s.kind == Gemini && s.serveFiles(w, r, body, dump) {
		return
	}
	model, ok := p.route(r)
	if !ok {
		p.notFound(w, r)
		return
	}
	if !p.authorized(r, s.opts.Key) {
		p.fault(w, provider.Unauthenticated, 0, "")
		return
	}
	req, perr := p.parse(body)
	if perr != nil {
		p.fault(w, provider.InvalidRequest, 0, perr.Error())
		return
	}
	req.Kind, req.Path, req.Header, req.Raw = s.kind, r.URL.Path, r.Header.Clone(), dump
	if s.kind == Gemini && !s.resolveFiles(w, req) {
		return
	}
	if req.Model == "" {
		req.Model = model
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	var o providertest.Outcome
	scripted := len(s.script) > 0
	if scripted {
		o, s.script = s.script[0], s.script[1:]
	}
	var limited time.Duration
	if !scripted {
		limited = s.admitLocked(time.Now())
	}
	failed := !scripted && limited == 0 && s.opts.FailRate > 0 && s.rng.Float64() < s.opts.FailRate
	latency := s.latencyLocked()
	s.mu.Unlock()

	switch {
	case limited > 0:
		o = providertest.Outcome{Fault: provider.RateLimited, RetryAfter: limited}
		latency = 0
		limit, _, _ := s.bucket()
		setRateHeaders(s.kind, w.Header(), limit, 0, limited)
	case failed:
		o = providertest.Outcome{Fault: provider.RateLimited, RetryAfter: s.opts.FailRetryAfter}
	case !scripted:
		o = s.opts.Respond(req)
	}
	if d := o.Delay + latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if o.Fault != "" && o.Fault != provider.Refused && o.Fault != provider.Truncated && o.Fault != provider.BadOutput {
		p.fault(w, o.Fault, o.RetryAfter, "")
		return
	}
	text := o.Text
	if o.Fault == provider.BadOutput && text == "" {
		text = "Sure! Here is a description of the image: a gradient."
	}
	usage := o.Usage
	if usage == (provider.Usage{}) {
		usage = estimateUsage(s.kind, req, text)
	}
	w.Header().Set("Content-Type", "application/json")
	if !s.opts.RateHeadersOnlyOn429 {
		limit, remaining, reset := s.bucket()
		setRateHeaders(s.kind, w.Header(), limit, remaining, reset)
	}
	if o.Fault == "" || o.Fault == provider.BadOutput {
		s.mu.Lock()
		s.served++
		s.mu.Unlock()
	}
	p.answer(w, req, text, usage, o.Fault)
}

// admitLocked takes a token from the request bucket, or returns how long
// until one is there. s.mu must be held.
func (s *Server) admitLocked(now time.Time) time.Duration {
	if s.opts.WindowRequests > 0 {
		i, end := s.windowAt(now)
		for len(s.windows) <= i {
			s.windows = append(s.windows, 0)
		}
		if s.windows[i] >= s.opts.WindowRequests {
			return max(end.Sub(now), time.Millisecond)
		}
		s.windows[i]++
		return 0
	}
	rpm := s.opts.RequestsPerMinute
	if rpm <= 0 {
		return 0
	}
	perSec := float64(rpm) / 60
	s.tokens = min(float64(s.opts.Burst), s.tokens+now.Sub(s.tokensAt).Seconds()*perSec)
	s.tokensAt = now
	if s.tokens >= 1 {
		s.tokens--
		return 0
	}
	wait := time.Duration((1 - s.tokens) / perSec * float64(time.Second))
	return max(wait, time.Millisecond)
}

// windowAt returns the index of the fixed window now falls in and the
// time that window ends.
func (s *Server) windowAt(now time.Time) (int, time.Time) {
	i := int(now.Sub(s.start) / s.opts.Window)
	return i, s.start.Add(time.Duration(i+1) * s.opts.Window)
}

// Windows returns, with a fixed-window limit (Options.WindowRequests),
// how many requests were admitted in each window since the server
// started, the current window last; nil without one.
func (s *Server) Windows() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.WindowRequests <= 0 {
		return nil
	}
	i, _ := s.windowAt(time.Now())
	out := make([]int, i+1)
	copy(out, s.windows)
	return out
}

// bucket returns the limit the rate headers announce (0: none), the whole
// requests left and the time until the limit is back to its initial
// state (OpenAI's meaning of x-ratelimit-reset-requests): for the token
// bucket, until it is full again; for a fixed window, until the window
// ends.
func (s *Server) bucket() (int, int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if n := s.opts.WindowRequests; n > 0 {
		i, end := s.windowAt(now)
		used := 0
		if i < len(s.windows) {
			used = s.windows[i]
		}
		return n, max(n-used, 0), end.Sub(now)
	}
	rpm := s.opts.RequestsPerMinute
	if rpm <= 0 {
		return 0, 0, 0
	}
	perSec := float64(rpm) / 60
	tokens := min(float64(s.opts.Burst), s.tokens+now.Sub(s.tokensAt).Seconds()*perSec)
	return rpm, int(tokens), time.Duration((float64(s.opts.Burst) - tokens) / perSec * float64(time.Second))
}

func (s *Server) latencyLocked() time.Duration {
	lo, hi := s.opts.MinLatency, s.opts.MaxLatency
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)))
}

// protocol is one provider's side of the wire.
type protocol interface {
	route(r *http.Request) (model string, ok bool)
	authorized(r *http.Request, key string) bool
	parse(body []byte) (*Request, error)
	notFound(w http.ResponseWriter, r *http.Request)
	// fault writes the provider's real failure for code.
	fault(w http.ResponseWriter, code provider.Code, retryAfter time.Duration, detail string)
	// answer writes a success; fault is "", Refused, Truncated or
	// BadOutput.
	answer(w http.ResponseWriter, req *Request, text string, usage provider.Usage, fault provider.Code)
}

var protocols = map[Kind]protocol{
	OpenAI:    openaiProtocol{},
	Gemini:    geminiProtocol{},
	Anthropic: anthropicProtocol{},
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func setRateHeaders(kind Kind, h http.Header, limit, remaining int, reset time.Duration) {
	if limit <= 0 {
		return
	}
	switch kind {
	case OpenAI:
		h.Set("x-ratelimit-limit-requests", fmt.Sprint(limit))
		h.Set("x-ratelimit-remaining-requests", fmt.Sprint(remaining))
		h.Set("x-ratelimit-reset-requests", reset.Round(time.Millisecond).String())
	case Anthropic:
		h.Set("anthropic-ratelimit-requests-limit", fmt.Sprint(limit))
		h.Set("anthropic-ratelimit-requests-remaining", fmt.Sprint(remaining))
		h.Set("anthropic-ratelimit-requests-reset", time.Now().Add(reset).UTC().Format(time.RFC3339))
	}
}

func retrySeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return fmt.Sprint(max(s, 1))
}
