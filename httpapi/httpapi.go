package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/payments"
	"github.com/picfre/picfre/privacy"
)

// Authenticator tells which account a request is for. It is the
// embedder's: a session cookie, a JWT or the API tokens of Tokens.
// Authenticate returns the account, or an error: one with code
// errcode.Unauthenticated (401) when the request carries no credentials
// the service accepts, any other coded error (errcode.Unavailable when
// the session store is down) as that code. It must be safe for
// concurrent use and must not read the body.
type Authenticator interface {
	Authenticate(r *http.Request) (account string, err error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (string, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (string, error) { return f(r) }

// Estimator gives the input tokens an image is expected to cost:
// a *picfre.Pipeline.
type Estimator interface {
	EstimateSize(ctx context.Context, name string, width, height int, o picfre.Options) (*picfre.Estimate, error)
}

// Config configures a Handler. Jobs and Auth are required; an endpoint
// whose part is missing (no Ledger, no Subjects, no Payments) answers 404
// not_found, and the OpenAPI document still lists it.
type Config struct {
	// Jobs is the job service the API submits to and reads from.
	Jobs *jobs.Service
	// Auth authenticates every request but the OpenAPI document, the
	// session sign-in and the payment webhook.
	Auth Authenticator
	// Ledger answers balance and history; Pricer prices estimates.
	Ledger *metering.Ledger
	Pricer metering.Pricer
	// Estimator estimates tokens (the pipeline); without it estimates
	// give credits only.
	Estimator Estimator
	// Subjects answers the data-subject rights and consent.
	Subjects *privacy.Subjects
	// Payments is the payment processor (payments/stripe): its packs at
	// GET /v1/credits/packs, its hosted checkout at POST
	// /v1/credits/checkout, and its ServeHTTP as the webhook at POST
	// /v1/payments/webhook, served unauthenticated (the processor checks
	// its own signature).
	Payments payments.Processor
	// PublicURL is the absolute http(s) URL buyers come back to from the
	// processor's checkout page, the web app's ("https://picfre.example.com/"):
	// the success and cancel URLs are it with checkout=success or
	// checkout=cancel added to the query. Without it they are built from
	// the request's Origin header when that is one of TrustedOrigins
	// (exactly as written there), and a checkout from any other origin is
	// refused (400); they are never built from the Host header.
	PublicURL string
	// Defaults are the job options a request's own options start from
	// (Account is always the authenticated account).
	Defaults picfre.Options

	// MaxFiles and MaxFileBytes bound one upload's files and each file
	// (the job service's own limits when zero); MaxRequestBytes bounds a
	// whole upload request (MaxFiles × MaxFileBytes when zero, plus the
	// multipart framing). MaxJSONBytes bounds any other request body
	// (DefaultMaxJSONBytes when zero).
	MaxFiles        int
	MaxFileBytes    int64
	MaxRequestBytes int64
	MaxJSONBytes    int64
	// UploadsPerMinute and UploadBurst limit each account's uploads
	// (DefaultUploadsPerMinute, DefaultUploadBurst when zero; negative:
	// no limit). RequestsPerMinute and RequestBurst limit all of an
	// account's requests the same way.
	UploadsPerMinute, UploadBurst   int
	RequestsPerMinute, RequestBurst int
	// TrustedOrigins are origins besides the API's own that may send
	// state-changing browser requests (http.CrossOriginProtection),
	// e.g. "https://app.example.com".
	TrustedOrigins []string
	// Logger receives one record per request: method, route pattern,
	// status, code, duration; never a body, a file name, an account or
	// a token. Nil discards.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Limits used when the Config leaves them at zero.
const (
	DefaultMaxJSONBytes      = 1 << 20
	DefaultUploadsPerMinute  = 30
	DefaultUploadBurst       = 10
	DefaultRequestsPerMinute = 1200
	DefaultRequestBurst      = 200
)

// ErrConfig is returned by New for a Config without Jobs or Auth, with
// a TrustedOrigins entry that is not an origin, or with a PublicURL that
// is not an absolute http(s) URL.
var ErrConfig = errcode.New(errcode.InvalidArgument, "httpapi: Config.Jobs and Config.Auth are required, TrustedOrigins must be origins and PublicURL an http(s) URL")

// Handler is the HTTP API: an http.Handler for everything under /v1.
// It is safe for concurrent use.
type Handler struct {
	cfg      Config
	mux      *http.ServeMux
	doc      []byte // the OpenAPI document
	cop      *http.CrossOriginProtection
	log      *slog.Logger
	now      func() time.Time
	requests *limiters // every authenticated request, per account
	uploads  *limiters // uploads, per account
	// publicURL is Config.PublicURL, parsed (nil when empty).
	publicURL *url.URL
}

// New returns the API over cfg. It fails with ErrConfig when Jobs or
// Auth is missing, a TrustedOrigins entry is not an origin
// ("scheme://host[:port]") or PublicURL is set but not an absolute http(s)
// URL without a query, and with ErrDocument if the embedded OpenAPI
// fragments do not merge.
func New(cfg Config) (*Handler, error) {
	if cfg.Jobs == nil || cfg.Auth == nil {
		return nil, ErrConfig
	}
	doc, err := buildOpenAPI()
	if err != nil {
		return nil, err
	}
	h := &Handler{
		cfg:      cfg,
		mux:      http.NewServeMux(),
		doc:      doc,
		cop:      http.NewCrossOriginProtection(),
		log:      cfg.Logger,
		now:      cfg.Now,
		requests: newLimiters(cfg.RequestsPerMinute, cfg.RequestBurst, DefaultRequestsPerMinute, DefaultRequestBurst),
		uploads:  newLimiters(cfg.UploadsPerMinute, cfg.UploadBurst, DefaultUploadsPerMinute, DefaultUploadBurst),
	}
	if cfg.PublicURL != "" {
		u, ok := parsePublicURL(cfg.PublicURL)
		if !ok {
			return nil, ErrConfig
		}
		h.publicURL = u
	}
	for _, o := range cfg.TrustedOrigins {
		if err := h.cop.AddTrustedOrigin(o); err != nil {
			return nil, ErrConfig
		}
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.routes()
	return h, nil
}

// ServeHTTP serves the API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.serve(w, r) }
