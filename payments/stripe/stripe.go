package stripe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	stripego "github.com/stripe/stripe-go/v84"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/payments"
)

// DefaultTolerance is how old a webhook's signature timestamp may be when
// Config.Tolerance is zero: five minutes, as Stripe's own libraries use.
const DefaultTolerance = 5 * time.Minute

// Config configures a Processor. SecretKey, WebhookSecrets and Ledger are
// required; every other field has a default.
type Config struct {
	// SecretKey is the Stripe API key (sk_test_... or sk_live_..., or
	// a restricted rk_ key allowed to create Checkout Sessions). It is
	// sent to Stripe only and never appears in an error or a log.
	SecretKey string
	// WebhookSecrets are the signing secrets (whsec_...) of the webhook
	// endpoint. A request signed with any of them is accepted, so that
	// a secret can be rolled: list the new one beside the old one until
	// Stripe stops signing with the old. At least one is required.
	WebhookSecrets []string
	// Tolerance is how old a signed webhook may be; older ones are
	// refused as replays. DefaultTolerance when zero.
	Tolerance time.Duration
	// Packs are the packs on sale; payments.DefaultPacks() when empty.
	Packs []payments.Pack
	// Ledger receives the top-ups and reversals; *metering.Ledger
	// implements it.
	Ledger payments.Ledger
	// APIBase is the base URL of Stripe's API, for tests against
	// stripe-mock ("http://127.0.0.1:12111"); "" means Stripe itself.
	APIBase string
	// HTTPClient makes the API calls; stripe-go's default client when
	// nil.
	HTTPClient *http.Client
	// Logger receives one line per webhook event that is refused or
	// cannot be applied, with the event's id and type and never its
	// payload; nothing is logged when nil.
	Logger *slog.Logger
	// Now returns the current time, for the webhook's tolerance window
	// and for checkout idempotency keys; time.Now when nil.
	Now func() time.Time
	// AccountExists, when not nil, is asked before a top-up whether the
	// account a payment names still exists; a payment for an account
	// that does not is not credited (see the package documentation).
	AccountExists func(ctx context.Context, account string) (bool, error)
}

// Processor sells credit packs through Stripe Checkout and applies
// Stripe's webhook events to a ledger. It implements payments.Processor
// and is safe for concurrent use.
type Processor struct {
	client        *stripego.Client
	secrets       []string
	tolerance     time.Duration
	ownClock      bool
	packs         []payments.Pack
	ledger        payments.Ledger
	log           *slog.Logger
	now           func() time.Time
	accountExists func(ctx context.Context, account string) (bool, error)
}

var _ payments.Processor = (*Processor)(nil)

// ErrConfig is the error New returns for an unusable Config; errors.Is
// matches it and its code is errcode.InvalidArgument.
var ErrConfig = errcode.New(errcode.InvalidArgument, "invalid stripe configuration")

// ErrUnknownPack is the error Checkout returns when the request names no
// pack on sale; its code is errcode.InvalidArgument.
var ErrUnknownPack = errcode.New(errcode.InvalidArgument, "unknown credit pack")

func configErr(msg string) error { return errors.Join(ErrConfig, errors.New(msg)) }

// New returns a Processor for cfg. It makes no API call.
func New(cfg Config) (*Processor, error) {
	if cfg.SecretKey == "" {
		return nil, configErr("stripe: the secret key is empty")
	}
	var secrets []string
	for _, s := range cfg.WebhookSecrets {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) == 0 {
		return nil, configErr("stripe: no webhook signing secret")
	}
	if cfg.Ledger == nil {
		return nil, configErr("stripe: no ledger")
	}
	if cfg.Tolerance < 0 {
		return nil, configErr("stripe: negative tolerance")
	}
	packs := cfg.Packs
	if len(packs) == 0 {
		packs = payments.DefaultPacks()
	}
	if err := payments.Validate(packs); err != nil {
		return nil, errors.Join(ErrConfig, err)
	}
	if cfg.APIBase != "" {
		u, err := url.Parse(cfg.APIBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, configErr("stripe: the API base is not an http(s) URL")
		}
	}
	p := &Processor{
		secrets:       secrets,
		tolerance:     cfg.Tolerance,
		packs:         append([]payments.Pack(nil), packs...),
		ledger:        cfg.Ledger,
		log:           cfg.Logger,
		now:           cfg.Now,
		accountExists: cfg.AccountExists,
	}
	if p.tolerance == 0 {
		p.tolerance = DefaultTolerance
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	} else {
		p.ownClock = true
	}
	bc := &stripego.BackendConfig{
		HTTPClient: cfg.HTTPClient,
		// stripe-go logs failed requests itself; ours are logged by
		// the caller without request details.
		LeveledLogger: &stripego.LeveledLogger{Level: stripego.LevelNull},
	}
	if cfg.APIBase != "" {
		bc.URL = stripego.String(cfg.APIBase)
	}
	backends := &stripego.Backends{
		API:         stripego.GetBackendWithConfig(stripego.APIBackend, bc),
		Connect:     stripego.GetBackendWithConfig(stripego.ConnectBackend, bc),
		Uploads:     stripego.GetBackendWithConfig(stripego.UploadsBackend, bc),
		MeterEvents: stripego.GetBackendWithConfig(stripego.MeterEventsBackend, bc),
	}
	p.client = stripego.NewClient(cfg.SecretKey, stripego.WithBackends(backends))
	return p, nil
}

// Packs returns the packs on sale, in the configured order.
func (p *Processor) Packs() []payments.Pack { return append([]payments.Pack(nil), p.packs...) }

// Checkout creates a Stripe Checkout Session (mode payment) selling the
// pack req.Pack to req.Account, and returns its id and URL.
//
// The session carries the account as client_reference_id and, in its
// metadata and its payment's metadata, the account, the pack's name and
// its credits, which the webhook reads back. req.Email, when not empty,
// is sent as customer_email to prefill the form; it is not kept.
//
// The call is made with an idempotency key derived from the request and
// the current minute, so a request retried within that minute (a double
// click, a client's retry) returns the same session instead of opening a
// second one.
//
// Errors: ErrUnknownPack or another errcode.InvalidArgument error for a
// bad request; errcode.Unavailable when Stripe cannot be reached or
// fails, errcode.RateLimited when it throttles,
// errcode.ProviderUnauthenticated when it refuses the key, and
// errcode.ProviderFailure when it refuses the request. Error messages
// never contain the key, the e-mail or Stripe's own message (which may
// echo parameters).
func (p *Processor) Checkout(ctx context.Context, req payments.CheckoutRequest) (payments.Checkout, error) {
	pack, ok := payments.FindPack(p.packs, req.Pack)
	if !ok {
		return payments.Checkout{}, ErrUnknownPack
	}
	// The ledger's limits, and Stripe's for client_reference_id, checked
	// now rather than after the buyer paid.
	if req.Account == "" || len(req.Account) > maxAccount || !utf8.ValidString(req.Account) {
		return payments.Checkout{}, errcode.New(errcode.InvalidArgument, "stripe: checkout: the account must be 1 to 200 bytes of UTF-8")
	}
	if !absoluteHTTP(req.SuccessURL) || !absoluteHTTP(req.CancelURL) {
		return payments.Checkout{}, errcode.New(errcode.InvalidArgument, "stripe: checkout: the success and cancel URLs must be absolute http(s) URLs")
	}
	credits := strconv.FormatInt(pack.Credits, 10)
	meta := map[string]string{metaAccount: req.Account, metaPack: pack.Name, metaCredits: credits}
	params := &stripego.CheckoutSessionCreateParams{
		Mode:              stripego.String(string(stripego.CheckoutSessionModePayment)),
		ClientReferenceID: stripego.String(req.Account),
		SuccessURL:        stripego.String(req.SuccessURL),
		CancelURL:         stripego.String(req.CancelURL),
		LineItems: []*stripego.CheckoutSessionCreateLineItemParams{{
			Quantity: stripego.Int64(1),
			PriceData: &stripego.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:   stripego.String(pack.Currency),
				UnitAmount: stripego.Int64(pack.Amount),
				ProductData: &stripego.CheckoutSessionCreateLineItemPriceDataProductDataParams{
					Name: stripego.String(credits + " credits (" + pack.Name + ")"),
				},
			},
		}},
		Metadata: meta,
		PaymentIntentData: &stripego.CheckoutSessionCreatePaymentIntentDataParams{
			Metadata: map[string]string{metaAccount: req.Account, metaPack: pack.Name, metaCredits: credits},
		},
	}
	if req.Email != "" {
		params.CustomerEmail = stripego.String(req.Email)
	}
	params.SetIdempotencyKey(p.checkoutKey(req))
	params.Context = ctx
	s, err := p.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return payments.Checkout{}, apiError("create checkout session", err)
	}
	return payments.Checkout{ID: s.ID, URL: s.URL}, nil
}

// maxAccount is the longest account a checkout takes: Stripe's limit
// for client_reference_id, within the ledger's MaxIDLen.
const maxAccount = min(200, metering.MaxIDLen)

// Metadata keys of a session and its payment.
const (
	metaAccount = "account"
	metaPack    = "pack"
	metaCredits = "credits"
)

// checkoutKey derives the idempotency key of a checkout from its request
// and the minute; it is a hash, so the e-mail is not sent in it.
func (p *Processor) checkoutKey(req payments.CheckoutRequest) string {
	h := sha256.New()
	minute := p.now().Unix() / 60
	for _, s := range []string{req.Account, req.Pack, req.SuccessURL, req.CancelURL, req.Email, strconv.FormatInt(minute, 10)} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	return "picfre-checkout-" + hex.EncodeToString(h.Sum(nil)[:16])
}

func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// apiError classifies an error of stripe-go without its message.
func apiError(op string, err error) error {
	var se *stripego.Error
	if errors.As(err, &se) {
		code := errcode.ProviderFailure
		switch {
		case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden:
			code = errcode.ProviderUnauthenticated
		case se.HTTPStatusCode == http.StatusTooManyRequests:
			code = errcode.RateLimited
		case se.HTTPStatusCode >= 500 || se.HTTPStatusCode == 0:
			code = errcode.Unavailable
		}
		msg := "stripe: " + op + ": status " + strconv.Itoa(se.HTTPStatusCode)
		if se.Type != "" {
			msg += " " + string(se.Type)
		}
		if se.Code != "" {
			msg += " " + string(se.Code)
		}
		if se.RequestID != "" {
			msg += " (request " + se.RequestID + ")"
		}
		return errcode.New(code, msg)
	}
	if errors.Is(err, context.Canceled) {
		return errcode.New(errcode.Canceled, "stripe: "+op+": canceled")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errcode.New(errcode.DeadlineExceeded, "stripe: "+op+": deadline exceeded")
	}
	return errcode.New(errcode.Unavailable, "stripe: "+op+": Stripe could not be reached")
}
