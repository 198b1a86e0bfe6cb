package stripe_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/stripemock"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/payments"
	"github.com/picfre/picfre/payments/stripe"
)

const testKey = "sk_test_picfre0123456789abcdef"

// recorder is an http.RoundTripper that keeps the form and headers of
// every request it passes on.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path string
	header       http.Header
	form         url.Values
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body.Close()
	}
	form, _ := url.ParseQuery(string(body))
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.Path, r.Header.Clone(), form})
	rec.mu.Unlock()
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	return http.DefaultTransport.RoundTrip(r2)
}

func (rec *recorder) all() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newLedger(t *testing.T) *metering.Ledger {
	t.Helper()
	l := metering.NewLedger(memstore.New(), metering.Options{})
	t.Cleanup(func() { l.Close() })
	return l
}

var testPacks = []payments.Pack{
	{Name: "starter", Credits: 500, Amount: 500, Currency: "usd"},
	{Name: "pro", Credits: 2000, Amount: 1800, Currency: "usd"},
}

func newCheckoutProcessor(t *testing.T, rec *recorder, now func() time.Time) *stripe.Processor {
	t.Helper()
	base := stripemock.Start(t)
	p, err := stripe.New(stripe.Config{
		SecretKey:      testKey,
		WebhookSecrets: []string{"whsec_test"},
		Packs:          testPacks,
		Ledger:         newLedger(t),
		APIBase:        base,
		HTTPClient:     &http.Client{Transport: rec, Timeout: 30 * time.Second},
		Now:            now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func checkoutRequest() payments.CheckoutRequest {
	return payments.CheckoutRequest{
		Account: "acct-42", Pack: "pro",
		SuccessURL: "https://app.example/credits?ok=1", CancelURL: "https://app.example/credits",
	}
}

func TestCheckoutSendsTheSession(t *testing.T) {
	rec := &recorder{}
	clk := &clock{t: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	p := newCheckoutProcessor(t, rec, clk.Now)
	co, err := p.Checkout(t.Context(), checkoutRequest())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(co.ID, "cs_") || co.URL == "" {
		t.Fatalf("checkout = %+v", co)
	}
	reqs := rec.all()
	if len(reqs) != 1 || reqs[0].method != http.MethodPost || reqs[0].path != "/v1/checkout/sessions" {
		t.Fatalf("requests = %+v", reqs)
	}
	f := reqs[0].form
	want := map[string]string{
		"mode":                                   "payment",
		"client_reference_id":                    "acct-42",
		"success_url":                            "https://app.example/credits?ok=1",
		"cancel_url":                             "https://app.example/credits",
		"line_items[0][quantity]":                "1",
		"line_items[0][price_data][currency]":    "usd",
		"line_items[0][price_data][unit_amount]": "1800",
		"line_items[0][price_data][product_data][name]": "2000 credits (pro)",
		"metadata[account]":                             "acct-42",
		"metadata[pack]":                                "pro",
		"metadata[credits]":                             "2000",
		"payment_intent_data[metadata][account]":        "acct-42",
		"payment_intent_data[metadata][pack]":           "pro",
		"payment_intent_data[metadata][credits]":        "2000",
	}
	for k, v := range want {
		if got := f.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if _, ok := f["customer_email"]; ok {
		t.Errorf("customer_email sent without an e-mail")
	}
	if reqs[0].header.Get("Idempotency-Key") == "" {
		t.Errorf("no Idempotency-Key")
	}
	if got := reqs[0].header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization = %q", got)
	}
}

func TestCheckoutEmailAndIdempotencyKey(t *testing.T) {
	rec := &recorder{}
	clk := &clock{t: time.Date(2026, 12, 2, 12, 0, 10, 0, time.UTC)}
	p := newCheckoutProcessor(t, rec, clk.Now)
	req := checkoutRequest()
	req.Email = "buyer@example.com"
	for range 2 {
		if _, err := p.Checkout(t.Context(), req); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(time.Minute)
	if _, err := p.Checkout(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	req.Pack = "starter"
	if _, err := p.Checkout(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	reqs := rec.all()
	if len(reqs) != 4 {
		t.Fatalf("%d requests", len(reqs))
	}
	if got := reqs[0].form.Get("customer_email"); got != "buyer@example.com" {
		t.Errorf("customer_email = %q", got)
	}
	k := func(i int) string { return reqs[i].header.Get("Idempotency-Key") }
	if k(0) != k(1) {
		t.Errorf("a retry in the same minute has another key: %q, %q", k(0), k(1))
	}
	if k(1) == k(2) || k(2) == k(3) {
		t.Errorf("keys repeat across minutes or packs: %q %q %q", k(1), k(2), k(3))
	}
	if strings.Contains(k(0), "buyer") || strings.Contains(k(0), "acct-42") {
		t.Errorf("the key %q shows the request", k(0))
	}
}

func TestCheckoutRejectsBadRequests(t *testing.T) {
	rec := &recorder{}
	p := newCheckoutProcessor(t, rec, nil)
	for name, mutate := range map[string]func(*payments.CheckoutRequest){
		"unknown pack":     func(r *payments.CheckoutRequest) { r.Pack = "gold" },
		"no account":       func(r *payments.CheckoutRequest) { r.Account = "" },
		"long account":     func(r *payments.CheckoutRequest) { r.Account = strings.Repeat("a", 201) },
		"invalid account":  func(r *payments.CheckoutRequest) { r.Account = "acct\xff" },
		"relative success": func(r *payments.CheckoutRequest) { r.SuccessURL = "/credits" },
		"ftp cancel":       func(r *payments.CheckoutRequest) { r.CancelURL = "ftp://x.example/" },
	} {
		req := checkoutRequest()
		mutate(&req)
		_, err := p.Checkout(t.Context(), req)
		if errcode.Of(err) != errcode.InvalidArgument {
			t.Errorf("%s: err = %v, want invalid_argument", name, err)
		}
		if name == "unknown pack" && !errors.Is(err, stripe.ErrUnknownPack) {
			t.Errorf("unknown pack: err = %v", err)
		}
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("%d requests sent for bad requests", n)
	}
}

func TestCheckoutProcessorDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	p, err := stripe.New(stripe.Config{
		SecretKey: testKey, WebhookSecrets: []string{"whsec_test"}, Ledger: newLedger(t), APIBase: base,
	})
	if err != nil {
		t.Fatal(err)
	}
	req := checkoutRequest()
	req.Pack = "starter" // the default packs
	req.Email = "buyer@example.com"
	_, err = p.Checkout(t.Context(), req)
	if errcode.Of(err) != errcode.Unavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	for _, secret := range []string{testKey, "buyer@example.com", "acct-42"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error %q contains %q", err, secret)
		}
	}
}

func TestCheckoutRefusedKey(t *testing.T) {
	base := stripemock.Start(t)
	p, err := stripe.New(stripe.Config{
		SecretKey: "not-a-stripe-key", WebhookSecrets: []string{"whsec_test"}, Ledger: newLedger(t), APIBase: base,
	})
	if err != nil {
		t.Fatal(err)
	}
	req := checkoutRequest()
	req.Pack = "starter"
	_, err = p.Checkout(t.Context(), req)
	if errcode.Of(err) != errcode.ProviderUnauthenticated {
		t.Fatalf("err = %v, want provider_unauthenticated", err)
	}
	if strings.Contains(err.Error(), "not-a-stripe-key") {
		t.Errorf("the error %q contains the key", err)
	}
}

func TestNewRejectsConfig(t *testing.T) {
	l := newLedger(t)
	good := stripe.Config{SecretKey: testKey, WebhookSecrets: []string{"whsec_a"}, Ledger: l}
	if _, err := stripe.New(good); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*stripe.Config){
		"no key":        func(c *stripe.Config) { c.SecretKey = "" },
		"no secret":     func(c *stripe.Config) { c.WebhookSecrets = []string{""} },
		"no ledger":     func(c *stripe.Config) { c.Ledger = nil },
		"bad tolerance": func(c *stripe.Config) { c.Tolerance = -time.Second },
		"bad pack":      func(c *stripe.Config) { c.Packs = []payments.Pack{{Name: "x", Credits: 0, Amount: 1, Currency: "usd"}} },
		"bad base":      func(c *stripe.Config) { c.APIBase = "localhost:12111" },
	} {
		c := good
		mutate(&c)
		_, err := stripe.New(c)
		if !errors.Is(err, stripe.ErrConfig) || errcode.Of(err) != errcode.InvalidArgument {
			t.Errorf("%s: err = %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), testKey) {
			t.Errorf("%s: the error shows the key", name)
		}
	}
	p, _ := stripe.New(good)
	if got := p.Packs(); len(got) != 1 || got[0] != payments.DefaultPacks()[0] {
		t.Errorf("default packs = %+v", got)
	}
}
