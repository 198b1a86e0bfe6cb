package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v84/webhook"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/internal/stripemock"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/payments"
	"github.com/picfre/picfre/payments/stripe"
)

// fakeProcessor is a payments.Processor that records what it is asked:
// the API's side of the contract is under test here, the processors'
// own (payments/stripe) against stripe-mock in their package.
type fakeProcessor struct {
	packs []payments.Pack
	err   error // what Checkout fails with, when set

	mu        sync.Mutex
	checkouts []payments.CheckoutRequest
	hooks     []string
}

func newFakeProcessor() *fakeProcessor {
	return &fakeProcessor{packs: []payments.Pack{
		{Name: "starter", Credits: 100, Amount: 500, Currency: "usd"},
		{Name: "pro", Credits: 1000, Amount: 4000, Currency: "eur"},
	}}
}

func (p *fakeProcessor) Packs() []payments.Pack { return p.packs }

func (p *fakeProcessor) Checkout(_ context.Context, req payments.CheckoutRequest) (payments.Checkout, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return payments.Checkout{}, p.err
	}
	p.checkouts = append(p.checkouts, req)
	id := "cs_test_" + req.Account + "_" + req.Pack
	return payments.Checkout{ID: id, URL: "https://checkout.example.com/pay/" + id}, nil
}

// ServeHTTP records the body and answers 200, or 400 when the body says
// "forged".
func (p *fakeProcessor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = io.WriteString(w, `{"error":{"code":"too_large","message":"body too large"}}`)
		return
	}
	if strings.Contains(string(b), "forged") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"code":"invalid_argument","message":"bad signature"}}`)
		return
	}
	p.mu.Lock()
	p.hooks = append(p.hooks, string(b))
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"received":true}`)
}

func (p *fakeProcessor) requests() []payments.CheckoutRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]payments.CheckoutRequest(nil), p.checkouts...)
}

const publicURL = "https://picfre.example.com/app/"

func withPayments(p *fakeProcessor) apiOption {
	return withConfig(func(c *httpapi.Config) { c.Payments = p; c.PublicURL = publicURL })
}

func TestPaymentsWithoutProcessor(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	api.a.do(t, "GET", "/v1/credits/packs", nil).want(t, http.StatusNotFound, "not_found")
	api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`).want(t, http.StatusNotFound, "not_found")
	api.anon.do(t, "POST", "/v1/payments/webhook", `{"id":"evt_1"}`).want(t, http.StatusNotFound, "not_found")
}

func TestPacks(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withPayments(newFakeProcessor()))
	var got struct{ Packs []payments.Pack }
	api.a.do(t, "GET", "/v1/credits/packs", nil).decode(t, &got)
	want := newFakeProcessor().packs
	if len(got.Packs) != len(want) {
		t.Fatalf("packs %+v, want %+v", got.Packs, want)
	}
	for i := range want {
		if got.Packs[i] != want[i] {
			t.Errorf("pack %d: %+v, want %+v", i, got.Packs[i], want[i])
		}
	}
	// Authenticated, like the balance.
	api.anon.invalid().do(t, "GET", "/v1/credits/packs", nil).want(t, http.StatusUnauthorized, "unauthenticated")
}

func TestCheckout(t *testing.T) {
	p := newFakeProcessor()
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) {
		c.Payments, c.PublicURL, c.UploadBurst = p, publicURL, 100
	}))
	var c payments.Checkout
	api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"pro"}`).decode(t, &c)
	if c.ID != "cs_test_acct_a_pro" || c.URL != "https://checkout.example.com/pay/cs_test_acct_a_pro" {
		t.Errorf("checkout %+v", c)
	}
	api.b.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`).want(t, http.StatusOK, "")
	reqs := p.requests()
	if len(reqs) != 2 {
		t.Fatalf("the processor got %d checkouts, want 2", len(reqs))
	}
	// The account is the authenticated one; the return URLs the public URL's.
	if r := reqs[0]; r.Account != accountA || r.Pack != "pro" ||
		r.SuccessURL != publicURL+"?checkout=success" || r.CancelURL != publicURL+"?checkout=cancel" || r.Email != "" {
		t.Errorf("checkout request %+v", r)
	}
	if r := reqs[1]; r.Account != accountB || r.Pack != "starter" {
		t.Errorf("B's checkout request %+v", r)
	}

	// A Host header of the client's choosing (sent outside the harness,
	// whose client sets the server's) changes nothing.
	req, err := http.NewRequest("POST", api.srv.URL+"/v1/credits/checkout", strings.NewReader(`{"pack":"pro"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "evil.example.net"
	req.Header.Set("Authorization", "Bearer "+tokenA)
	req.Header.Set("Origin", "https://evil.example.net") // same-origin as the Host claims
	req.Header.Set("Content-Type", "application/json")
	res, err := api.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("checkout with a forged Host: %d", res.StatusCode)
	}
	if r := p.requests()[2]; !strings.HasPrefix(r.SuccessURL, publicURL) || !strings.HasPrefix(r.CancelURL, publicURL) {
		t.Errorf("return URLs from the Host header: %+v", r)
	}

	// Hostile and wrong bodies: typed answers, nothing sent to the processor.
	for _, body := range []string{
		`{"pack":"nope"}`,
		`{"pack":""}`,
		`{"pack":"starter\u0000"}`,
		`{"pack":"../starter"}`,
	} {
		r := api.a.do(t, "POST", "/v1/credits/checkout", body)
		r.want(t, http.StatusBadRequest, "invalid_argument")
		if strings.Contains(string(r.body), "nope") || strings.Contains(string(r.body), "../") {
			t.Errorf("the answer repeats the request: %s", r.body)
		}
	}
	for _, body := range []string{`{}`, `{"pack":"starter","account":"acct_b"}`, `[]`, `{"pack":1}`} {
		api.a.invalid().do(t, "POST", "/v1/credits/checkout", body).want(t, http.StatusBadRequest, "invalid_argument")
	}
	api.a.unchecked().do(t, "POST", "/v1/credits/checkout", `{"pack":"`+strings.Repeat("a", 2<<20)+`"}`).want(t, http.StatusRequestEntityTooLarge, "too_large")
	api.anon.invalid().do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`).want(t, http.StatusUnauthorized, "unauthenticated")
	if n := len(p.requests()); n != 3 {
		t.Errorf("the processor got %d checkouts, want 3", n)
	}

	// The processor's failure, as its code; its words stay inside.
	p.mu.Lock()
	p.err = errcode.New(errcode.Unavailable, "stripe: connection refused to 10.0.0.1")
	p.mu.Unlock()
	r := api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"pro"}`)
	r.want(t, http.StatusServiceUnavailable, "unavailable")
	if strings.Contains(string(r.body), "10.0.0.1") {
		t.Errorf("the processor's error reached the client: %s", r.body)
	}
	p.mu.Lock()
	p.err = io.ErrUnexpectedEOF // no code of its own
	p.mu.Unlock()
	api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"pro"}`).want(t, http.StatusServiceUnavailable, "unavailable")
}

// TestCheckoutReturnURL: without a PublicURL the return URLs come from a
// trusted Origin only.
func TestCheckoutReturnURL(t *testing.T) {
	p := newFakeProcessor()
	const app = "https://app.example.com"
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) {
		c.Payments = p
		c.TrustedOrigins = []string{app}
	}))
	api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`, "Origin", app).want(t, http.StatusOK, "")
	if r := p.requests(); len(r) != 1 || r[0].SuccessURL != app+"/?checkout=success" || r[0].CancelURL != app+"/?checkout=cancel" {
		t.Fatalf("checkout requests %+v", r)
	}
	// No Origin (not a browser), or the API's own origin as the Host
	// header claims it: no trusted address to return to.
	api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`).want(t, http.StatusBadRequest, "invalid_argument")
	api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`, "Origin", api.srv.URL).want(t, http.StatusBadRequest, "invalid_argument")
	// Another origin is refused before anything else.
	api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`, "Origin", "https://evil.example.net").want(t, http.StatusForbidden, "permission_denied")
	if n := len(p.requests()); n != 1 {
		t.Errorf("the processor got %d checkouts, want 1", n)
	}
}

func TestPublicURLConfig(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	for _, bad := range []string{"picfre.example.com", "ftp://x.example.com/", "https://", "https://x.example.com/?a=b",
		"https://u:p@x.example.com/", "https://x.example.com/#f", "javascript:alert(1)"} {
		cfg := api.cfg
		cfg.PublicURL = bad
		if _, err := httpapi.New(cfg); errcode.Of(err) != errcode.InvalidArgument {
			t.Errorf("PublicURL %q: %v", bad, err)
		}
	}
	p := newFakeProcessor()
	api = newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.Payments = p; c.PublicURL = "http://127.0.0.1:8080" }))
	api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`).want(t, http.StatusOK, "")
	if r := p.requests()[0]; r.SuccessURL != "http://127.0.0.1:8080/?checkout=success" {
		t.Errorf("success URL %q", r.SuccessURL)
	}
}

// TestCheckoutRateLimit: a checkout calls the processor, so it counts
// against the upload limit as well as the request limit.
func TestCheckoutRateLimit(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)}
	p := newFakeProcessor()
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) {
		c.Payments, c.PublicURL, c.Now = p, publicURL, clk.now
		c.UploadsPerMinute, c.UploadBurst = 6, 2
	}))
	for range 2 {
		api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`).want(t, http.StatusOK, "")
	}
	r := api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`)
	r.want(t, http.StatusTooManyRequests, "rate_limited")
	if r.header.Get("Retry-After") != "10" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	api.b.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`).want(t, http.StatusOK, "")
	if n := len(p.requests()); n != 3 {
		t.Errorf("the processor got %d checkouts, want 3", n)
	}
}

func TestWebhook(t *testing.T) {
	p := newFakeProcessor()
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.Payments = p; c.MaxJSONBytes = 1024 }))
	api.anon.do(t, "POST", "/v1/payments/webhook", `{"id":"evt_1"}`).want(t, http.StatusOK, "")
	p.mu.Lock()
	if len(p.hooks) != 1 || p.hooks[0] != `{"id":"evt_1"}` {
		t.Errorf("the webhook got %q", p.hooks)
	}
	p.mu.Unlock()
	// The processor's own refusal goes through.
	api.anon.do(t, "POST", "/v1/payments/webhook", `{"id":"forged"}`).want(t, http.StatusBadRequest, "invalid_argument")
	// Its body is bounded too.
	r := api.anon.unchecked().do(t, "POST", "/v1/payments/webhook", `{"id":"`+strings.Repeat("x", 4096)+`"}`)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("an over-size webhook body: %d", r.status)
	}
	// It needs no credentials, and a cross-origin browser cannot post to it.
	api.anon.do(t, "POST", "/v1/payments/webhook", `{"id":"evt_2"}`, "Origin", "https://evil.example.net").want(t, http.StatusForbidden, "permission_denied")
}

// TestBalanceOwed: the balance always says what is owed and whether the
// account is blocked.
func TestBalanceOwed(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	var a struct {
		Balance map[string]any
	}
	api.a.do(t, "GET", "/v1/account", nil).decode(t, &a)
	if a.Balance["owed"] != float64(0) || a.Balance["blocked"] != false || a.Balance["credits"] != float64(1000) {
		t.Errorf("balance %v", a.Balance)
	}
	// A's credits spent, then its top-up refunded: owed, blocked; B is not.
	ctx := context.Background()
	if _, err := api.ledger.Adjust(ctx, metering.Adjustment{Account: accountA, Credits: -900, Key: "spent", Reason: "spent"}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.ledger.Reverse(ctx, metering.Reversal{PaymentRef: "pay-" + accountA, Key: "re_1", Credits: 1000, Reason: "refund"}); err != nil {
		t.Fatal(err)
	}
	api.a.do(t, "GET", "/v1/account", nil).decode(t, &a)
	if a.Balance["owed"] != float64(900) || a.Balance["blocked"] != true || a.Balance["credits"] != float64(0) {
		t.Errorf("A's balance after the refund %v", a.Balance)
	}
	api.b.do(t, "GET", "/v1/account", nil).decode(t, &a)
	if a.Balance["owed"] != float64(0) || a.Balance["blocked"] != false {
		t.Errorf("B's balance %v", a.Balance)
	}
}

// TestWebhookStripe: the Stripe processor (against stripe-mock) behind
// the API, through the harness, so that its answers are checked against
// the document: a checkout, a signed completed checkout delivered five
// times at once credits once, a forged one is 400 and credits nothing.
func TestWebhookStripe(t *testing.T) {
	mock := stripemock.Start(t)
	const secret = "whsec_httpapi_test"
	var proc *stripe.Processor
	api := newTestAPI(t, withWorkers(-1), withCredits(-1), withConfig(func(c *httpapi.Config) {
		var err error
		proc, err = stripe.New(stripe.Config{SecretKey: "sk_test_123", WebhookSecrets: []string{secret},
			Ledger: c.Ledger, APIBase: mock})
		if err != nil {
			t.Fatal(err)
		}
		c.Payments, c.PublicURL = proc, publicURL
	}))
	var c payments.Checkout
	api.a.do(t, "POST", "/v1/credits/checkout", `{"pack":"starter"}`).decode(t, &c)
	if c.ID == "" || c.URL == "" {
		t.Fatalf("checkout %+v", c)
	}

	event := func(secret, pi string) (string, string) {
		body, err := json.Marshal(map[string]any{
			"id": "evt_" + pi, "object": "event", "type": "checkout.session.completed", "created": time.Now().Unix(),
			"data": map[string]any{"object": map[string]any{
				"id": "cs_test_" + pi, "object": "checkout.session", "client_reference_id": accountA,
				"payment_status": "paid", "status": "complete", "amount_total": 500, "currency": "usd",
				"payment_intent": pi, "metadata": map[string]string{"account": accountA, "pack": "starter", "credits": "500"},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()})
		return string(sp.Payload), sp.Header
	}
	body, sig := event(secret, "pi_test_httpapi")
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			api.anon.do(t, "POST", "/v1/payments/webhook", body, "Stripe-Signature", sig).want(t, http.StatusOK, "")
		})
	}
	wg.Wait()
	forged, fsig := event("whsec_forger", "pi_test_forged")
	api.anon.do(t, "POST", "/v1/payments/webhook", forged, "Stripe-Signature", fsig).want(t, http.StatusBadRequest, "")
	api.anon.do(t, "POST", "/v1/payments/webhook", body).want(t, http.StatusBadRequest, "")
	var a struct {
		Balance struct{ Credits, Owed int64 }
	}
	api.a.do(t, "GET", "/v1/account", nil).decode(t, &a)
	if a.Balance.Credits != 500 || a.Balance.Owed != 0 {
		t.Errorf("balance after five deliveries and two forgeries: %+v", a.Balance)
	}
}

// FuzzCheckout sends arbitrary bodies to POST /v1/credits/checkout: the
// answer is 200 only for a pack on sale, otherwise a coded 4xx, it
// validates against the document, and the processor is asked only for
// packs it sells.
func FuzzCheckout(f *testing.F) {
	p := newFakeProcessor()
	api := newTestAPI(f, withWorkers(-1), withConfig(func(c *httpapi.Config) {
		c.Payments, c.PublicURL = p, publicURL
		c.RequestsPerMinute, c.UploadsPerMinute = -1, -1
	}))
	for _, s := range []string{`{"pack":"starter"}`, `{"pack":"pro "}`, `{"pack":null}`, `{"pack":"\ud800"}`, `{`, `{"pack":"starter"}{}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := api.a.unchecked().do(t, "POST", "/v1/credits/checkout", rawBody{body, "application/json"})
		switch {
		case r.status == http.StatusOK:
		case r.status >= 400 && r.status < 500 && r.code(t) != "":
		default:
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		for _, req := range p.requests() {
			if req.Pack != "starter" && req.Pack != "pro" {
				t.Fatalf("the processor was asked for pack %q", req.Pack)
			}
		}
	})
}
