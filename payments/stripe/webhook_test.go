package stripe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v84/webhook"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
	"github.com/picfre/picfre/metering/sqlitestore"
	"github.com/picfre/picfre/payments/stripe"
)

const (
	oldSecret = "whsec_old_0123456789"
	newSecret = "whsec_new_9876543210"
)

var t0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// hook is a Processor over a real ledger, with a clock and a log buffer.
type hook struct {
	p      *stripe.Processor
	ledger *metering.Ledger
	clock  *clock
	logs   *testenv.Buffer
	known  map[string]bool // accounts AccountExists knows; nil: no check
}

func newHook(t *testing.T, l *metering.Ledger, known map[string]bool) *hook {
	t.Helper()
	h := &hook{ledger: l, clock: &clock{t: t0}, logs: &testenv.Buffer{}, known: known}
	cfg := stripe.Config{
		SecretKey:      testKey,
		WebhookSecrets: []string{oldSecret, newSecret},
		Packs:          testPacks,
		Ledger:         l,
		Logger:         slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:            h.clock.Now,
		APIBase:        "http://127.0.0.1:1", // the webhook makes no API call
	}
	if known != nil {
		cfg.AccountExists = func(_ context.Context, account string) (bool, error) { return known[account], nil }
	}
	p, err := stripe.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	return h
}

// sign signs body as Stripe does, at the hook's current time.
func (h *hook) sign(body []byte, secret string) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: h.clock.Now()}).Header
}

func (h *hook) deliverSigned(t *testing.T, body []byte, header string) int {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/webhooks/stripe", bytes.NewReader(body))
	if header != "" {
		r.Header.Set("Stripe-Signature", header)
	}
	w := httptest.NewRecorder()
	h.p.ServeHTTP(w, r)
	if w.Code == http.StatusOK && strings.TrimSpace(w.Body.String()) != `{"received":true}` {
		t.Errorf("200 body = %q", w.Body.String())
	}
	return w.Code
}

func (h *hook) deliver(t *testing.T, body []byte) int {
	t.Helper()
	return h.deliverSigned(t, body, h.sign(body, oldSecret))
}

func (h *hook) balance(t *testing.T, account string) metering.Balance {
	t.Helper()
	b, err := h.ledger.Balance(t.Context(), account)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func event(id, typ string, object map[string]any, previous map[string]any) []byte {
	ev := map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": "2024-06-20",
		"created": t0.Unix(), "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": object},
	}
	if previous != nil {
		ev["data"].(map[string]any)["previous_attributes"] = previous
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

type session struct {
	account, pack, status, currency, pi string
	amount                              int64
}

func paidPro(account, pi string) session {
	return session{account: account, pack: "pro", status: "paid", currency: "usd", pi: pi, amount: 1800}
}

func sessionEvent(id, typ string, s session) []byte {
	obj := map[string]any{
		"id": "cs_test_" + id, "object": "checkout.session", "mode": "payment",
		"client_reference_id": s.account, "payment_status": s.status,
		"amount_total": s.amount, "currency": s.currency,
		"customer_details": map[string]any{"email": "buyer@example.com", "name": "Ada Buyer"},
		"metadata":         map[string]any{"account": s.account, "pack": s.pack, "credits": "2000"},
	}
	if s.pi != "" {
		obj["payment_intent"] = s.pi
	}
	return event(id, typ, obj, nil)
}

type refund struct {
	id     string
	amount int64
}

// refundEvent is charge.refunded for a pro purchase (1800 cents, 2000
// credits): with the refunds listed when list is true, else with the
// previous refunded total.
func refundEvent(id, pi string, refunded, previous int64, list bool, refunds ...refund) []byte {
	obj := map[string]any{
		"id": "ch_" + pi, "object": "charge", "amount": 1800, "amount_refunded": refunded,
		"currency": "usd", "payment_intent": pi, "refunded": refunded == 1800,
		"metadata":        map[string]any{"account": "acct", "pack": "pro", "credits": "2000"},
		"billing_details": map[string]any{"email": "buyer@example.com"},
	}
	if list {
		var data []any
		for _, r := range refunds {
			data = append(data, map[string]any{"id": r.id, "object": "refund", "amount": r.amount, "status": "succeeded", "payment_intent": pi})
		}
		obj["refunds"] = map[string]any{"object": "list", "data": data, "has_more": false}
	}
	return event(id, "charge.refunded", obj, map[string]any{"amount_refunded": previous})
}

func disputeEvent(id, du, pi, status string) []byte {
	return event(id, "charge.dispute.closed", map[string]any{
		"id": du, "object": "dispute", "amount": 1800, "currency": "usd", "status": status,
		"charge": "ch_" + pi, "payment_intent": pi,
	}, nil)
}

func wantCredits(t *testing.T, h *hook, account string, credits int64) {
	t.Helper()
	if b := h.balance(t, account); b.Credits != credits {
		t.Fatalf("%s: credits = %d, want %d", account, b.Credits, credits)
	}
}

func TestWebhookPaid(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	if got := h.deliver(t, sessionEvent("evt_1", "checkout.session.completed", paidPro("acct", "pi_1"))); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	wantCredits(t, h, "acct", 2000)
	tops, err := h.ledger.TopUps(t.Context(), "acct")
	if err != nil {
		t.Fatal(err)
	}
	if len(tops) != 1 || tops[0].Ref != "pi_1" || tops[0].Credits != 2000 || tops[0].Amount != 1800 || tops[0].Currency != "usd" {
		t.Fatalf("top-ups = %+v", tops)
	}
	if logs := h.logs.String(); strings.Contains(logs, "buyer@example.com") || strings.Contains(logs, "Ada") {
		t.Errorf("logs show the buyer: %s", logs)
	}
}

func TestWebhookUnpaidThenAsyncSucceeded(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	s := paidPro("acct", "pi_2")
	s.status = "unpaid"
	if got := h.deliver(t, sessionEvent("evt_1", "checkout.session.completed", s)); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	wantCredits(t, h, "acct", 0)
	s.status = "paid"
	if got := h.deliver(t, sessionEvent("evt_2", "checkout.session.async_payment_succeeded", s)); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	wantCredits(t, h, "acct", 2000)
}

func TestWebhookNothingToCredit(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	s := paidPro("acct", "pi_3")
	s.status = "unpaid"
	for i, body := range [][]byte{
		sessionEvent("evt_1", "checkout.session.async_payment_failed", s),
		sessionEvent("evt_2", "checkout.session.expired", session{account: "acct", pack: "pro", status: "unpaid", currency: "usd", amount: 1800}),
		event("evt_3", "customer.created", map[string]any{"id": "cus_1", "object": "customer", "email": "buyer@example.com"}, nil),
		event("evt_4", "payment_intent.succeeded", map[string]any{"id": "pi_3", "object": "payment_intent", "amount": 1800}, nil),
	} {
		if got := h.deliver(t, body); got != http.StatusOK {
			t.Errorf("event %d: status %d", i, got)
		}
	}
	wantCredits(t, h, "acct", 0)
}

func TestWebhookReplayCreditsOnce(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	body := sessionEvent("evt_1", "checkout.session.completed", paidPro("acct", "pi_4"))
	for range 3 {
		if got := h.deliver(t, body); got != http.StatusOK {
			t.Fatalf("status %d", got)
		}
		h.clock.Add(time.Minute) // re-signed later by Stripe's retries
	}
	// The same payment again under another event (async succeeded after
	// a completed+paid one): still once.
	if got := h.deliver(t, sessionEvent("evt_2", "checkout.session.async_payment_succeeded", paidPro("acct", "pi_4"))); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	wantCredits(t, h, "acct", 2000)
}

func TestWebhookSignatures(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	body := sessionEvent("evt_1", "checkout.session.completed", paidPro("acct", "pi_5"))
	forged := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_forger", Timestamp: t0}).Header
	stale := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: oldSecret, Timestamp: t0.Add(-stripe.DefaultTolerance - time.Second)}).Header
	tampered := bytes.Replace(body, []byte(`"amount_total":1800`), []byte(`"amount_total":1801`), 1)
	if bytes.Equal(tampered, body) {
		t.Fatal("the tampering did not apply")
	}
	for name, c := range map[string]struct {
		body   []byte
		header string
	}{
		"missing":   {body, ""},
		"garbage":   {body, "not a signature"},
		"forged":    {body, forged},
		"stale":     {body, stale},
		"tampered":  {tampered, h.sign(body, oldSecret)},
		"no v1":     {body, fmt.Sprintf("t=%d", t0.Unix())},
		"bad time":  {body, "t=soon,v1=00"},
		"v0 scheme": {body, strings.Replace(h.sign(body, oldSecret), "v1=", "v0=", 1)},
	} {
		if got := h.deliverSigned(t, c.body, c.header); got != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, got)
		}
	}
	wantCredits(t, h, "acct", 0)
	if logs := h.logs.String(); strings.Contains(logs, "pi_5") || strings.Contains(logs, "cs_test") {
		t.Errorf("the log shows the payload: %s", logs)
	}
	// Within the window, a signature 4 minutes old is good; so is one
	// made with the second secret.
	h.clock.Add(4 * time.Minute)
	fresh := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: newSecret, Timestamp: t0}).Header
	if got := h.deliverSigned(t, body, fresh); got != http.StatusOK {
		t.Fatalf("rotated secret: status %d", got)
	}
	wantCredits(t, h, "acct", 2000)
}

func TestWebhookWallClockTolerance(t *testing.T) {
	// Without Config.Now the SDK checks the window on the wall clock.
	l := newLedger(t)
	p, err := stripe.New(stripe.Config{SecretKey: testKey, WebhookSecrets: []string{oldSecret}, Ledger: l, Packs: testPacks})
	if err != nil {
		t.Fatal(err)
	}
	body := sessionEvent("evt_1", "checkout.session.completed", paidPro("acct", "pi_6"))
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{time.Now().Add(-10 * time.Minute), http.StatusBadRequest},
		{time.Now(), http.StatusOK},
	} {
		header := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: oldSecret, Timestamp: c.at}).Header
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Stripe-Signature", header)
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("signed at %v: status %d, want %d", c.at, w.Code, c.want)
		}
	}
	if b, _ := l.Balance(t.Context(), "acct"); b.Credits != 2000 {
		t.Fatalf("credits = %d", b.Credits)
	}
}

func TestWebhookUnknownAccount(t *testing.T) {
	h := newHook(t, newLedger(t), map[string]bool{"alice": true})
	if got := h.deliver(t, sessionEvent("evt_gone", "checkout.session.completed", paidPro("mallory-account", "pi_7"))); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	wantCredits(t, h, "mallory-account", 0)
	logs := h.logs.String()
	if !strings.Contains(logs, "evt_gone") || strings.Contains(logs, "mallory") {
		t.Errorf("log = %q, want the event id and not the account", logs)
	}
	if got := h.deliver(t, sessionEvent("evt_ok", "checkout.session.completed", paidPro("alice", "pi_8"))); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	wantCredits(t, h, "alice", 2000)
}

func TestWebhookAccountLookupFails(t *testing.T) {
	l := newLedger(t)
	fail := true
	p, err := stripe.New(stripe.Config{
		SecretKey: testKey, WebhookSecrets: []string{oldSecret}, Ledger: l, Packs: testPacks,
		AccountExists: func(context.Context, string) (bool, error) {
			if fail {
				return false, errors.New("directory down")
			}
			return true, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := sessionEvent("evt_1", "checkout.session.completed", paidPro("acct", "pi_9"))
	send := func() int {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Stripe-Signature", webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: oldSecret}).Header)
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		return w.Code
	}
	if got := send(); got != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", got)
	}
	fail = false
	if got := send(); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	if b, _ := l.Balance(t.Context(), "acct"); b.Credits != 2000 {
		t.Fatalf("credits = %d", b.Credits)
	}
}

func TestWebhookRefusesMismatch(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	for name, s := range map[string]session{
		"amount":   {account: "acct", pack: "pro", status: "paid", currency: "usd", pi: "pi_10", amount: 100},
		"currency": {account: "acct", pack: "pro", status: "paid", currency: "eur", pi: "pi_11", amount: 1800},
		"pack":     {account: "acct", pack: "gold", status: "paid", currency: "usd", pi: "pi_12", amount: 1800},
		"account":  {account: "", pack: "pro", status: "paid", currency: "usd", pi: "pi_13", amount: 1800},
		"payment":  {account: "acct", pack: "pro", status: "paid", currency: "usd", pi: "", amount: 1800},
	} {
		if got := h.deliver(t, sessionEvent("evt_"+name, "checkout.session.completed", s)); got != http.StatusOK {
			t.Errorf("%s: status %d, want 200 (refused, not retried)", name, got)
		}
		if !strings.Contains(h.logs.String(), "evt_"+name) {
			t.Errorf("%s: not logged", name)
		}
	}
	wantCredits(t, h, "acct", 0)
}

func TestWebhookRefundPartialAndFull(t *testing.T) {
	for _, list := range []bool{true, false} {
		t.Run(fmt.Sprintf("listed=%v", list), func(t *testing.T) {
			h := newHook(t, newLedger(t), nil)
			h.deliver(t, sessionEvent("evt_pay", "checkout.session.completed", paidPro("acct", "pi_r")))
			wantCredits(t, h, "acct", 2000)
			// 600 of 1800 cents: a third of 2000 credits, rounded up.
			if got := h.deliver(t, refundEvent("evt_r1", "pi_r", 600, 0, list, refund{"re_1", 600})); got != http.StatusOK {
				t.Fatalf("status %d", got)
			}
			wantCredits(t, h, "acct", 2000-667)
			// Replayed: nothing more.
			h.deliver(t, refundEvent("evt_r1", "pi_r", 600, 0, list, refund{"re_1", 600}))
			wantCredits(t, h, "acct", 2000-667)
			// The rest: all credits are back.
			if got := h.deliver(t, refundEvent("evt_r2", "pi_r", 1800, 600, list, refund{"re_2", 1200}, refund{"re_1", 600})); got != http.StatusOK {
				t.Fatalf("status %d", got)
			}
			wantCredits(t, h, "acct", 0)
			if b := h.balance(t, "acct"); b.Owed != 0 {
				t.Fatalf("owed = %d", b.Owed)
			}
		})
	}
}

func TestWebhookFullRefund(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	h.deliver(t, sessionEvent("evt_pay", "checkout.session.completed", paidPro("acct", "pi_f")))
	h.deliver(t, sessionEvent("evt_pay2", "checkout.session.completed", paidPro("acct", "pi_g")))
	if got := h.deliver(t, refundEvent("evt_r", "pi_f", 1800, 0, true, refund{"re_f", 1800})); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	wantCredits(t, h, "acct", 2000) // the other purchase stays
}

func TestWebhookRefundBeforePayment(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	refundBody := refundEvent("evt_r", "pi_o", 900, 0, true, refund{"re_o", 900})
	if got := h.deliver(t, refundBody); got != http.StatusServiceUnavailable {
		t.Fatalf("refund first: status %d, want 503", got)
	}
	h.deliver(t, sessionEvent("evt_pay", "checkout.session.completed", paidPro("acct", "pi_o")))
	if got := h.deliver(t, refundBody); got != http.StatusOK {
		t.Fatalf("refund again: status %d", got)
	}
	wantCredits(t, h, "acct", 1000)
}

func TestWebhookDispute(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	h.deliver(t, sessionEvent("evt_pay", "checkout.session.completed", paidPro("acct", "pi_d")))
	if got := h.deliver(t, disputeEvent("evt_won", "du_won", "pi_d", "won")); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	wantCredits(t, h, "acct", 2000)
	for range 2 {
		if got := h.deliver(t, disputeEvent("evt_lost", "du_lost", "pi_d", "lost")); got != http.StatusOK {
			t.Fatalf("status %d", got)
		}
	}
	wantCredits(t, h, "acct", 0)
	if got := h.deliver(t, disputeEvent("evt_early", "du_x", "pi_unknown", "lost")); got != http.StatusServiceUnavailable {
		t.Fatalf("dispute of an unknown payment: status %d, want 503", got)
	}
}

func TestWebhookRefundAfterSpending(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	ctx := t.Context()
	h.deliver(t, sessionEvent("evt_pay", "checkout.session.completed", paidPro("acct", "pi_s")))
	if _, err := h.ledger.Adjust(ctx, metering.Adjustment{Account: "acct", Credits: -1500, Key: "spent", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	if got := h.deliver(t, refundEvent("evt_r", "pi_s", 1800, 0, true, refund{"re_s", 1800})); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	b := h.balance(t, "acct")
	if b.Credits != 0 || b.Owed != 1500 {
		t.Fatalf("balance = %+v, want 0 credits, 1500 owed", b)
	}
	_, err := h.ledger.Authorize(ctx, metering.Authorization{Account: "acct", IdempotencyKey: "f1", Credits: 1, Task: "metadata", MediaType: "image"})
	if !errors.Is(err, metering.ErrAccountBlocked) {
		t.Fatalf("Authorize = %v, want ErrAccountBlocked", err)
	}
	// The next purchase pays what is owed first.
	h.deliver(t, sessionEvent("evt_pay2", "checkout.session.completed", paidPro("acct", "pi_s2")))
	b = h.balance(t, "acct")
	if b.Credits != 500 || b.Owed != 0 {
		t.Fatalf("after a new purchase: %+v, want 500 credits, 0 owed", b)
	}
}

func TestWebhookLedgerUnavailable(t *testing.T) {
	l := metering.NewLedger(sqliteStore(t), metering.Options{})
	h := newHook(t, l, nil)
	l.Close()
	if got := h.deliver(t, sessionEvent("evt_1", "checkout.session.completed", paidPro("acct", "pi_u"))); got != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", got)
	}
}

func TestWebhookRequestLimits(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	big := bytes.Repeat([]byte(" "), stripe.MaxWebhookBody+1)
	if got := h.deliver(t, big); got != http.StatusRequestEntityTooLarge {
		t.Errorf("big body: status %d", got)
	}
	w := httptest.NewRecorder()
	h.p.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d", w.Code)
	}
	// Signed, but not an event.
	if got := h.deliver(t, []byte(`{"object":"charge"}`)); got != http.StatusBadRequest {
		t.Errorf("signed non-event: status %d", got)
	}
	for _, body := range []string{
		`{"object":"event","id":"evt_x","type":"charge.refunded"}`,
		`{"object":"event","id":"evt_x","type":"charge.refunded","data":null}`,
		`{"object":"event","type":"charge.refunded","data":{"object":{}}}`,
	} {
		if got := h.deliver(t, []byte(body)); got != http.StatusBadRequest {
			t.Errorf("signed %s: status %d, want 400", body, got)
		}
	}
	if got := h.deliver(t, []byte(`{"object":"event","id":"evt_x","type":"charge.refunded","data":{"object":{"id":5}}}`)); got != http.StatusOK {
		t.Errorf("malformed object: status %d, want 200 (refused)", got)
	}
}

func sqliteStore(t *testing.T) driver.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "ledger.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Concurrent deliveries of one event credit once, over both stores.
func TestWebhookConcurrentDeliveries(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *metering.Ledger{
		"memstore": newLedger,
		"sqlite": func(t *testing.T) *metering.Ledger {
			l := metering.NewLedger(sqliteStore(t), metering.Options{})
			t.Cleanup(func() { l.Close() })
			return l
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHook(t, open(t), nil)
			body := sessionEvent("evt_c", "checkout.session.completed", paidPro("acct", "pi_c"))
			header := h.sign(body, oldSecret)
			refundBody := refundEvent("evt_cr", "pi_c", 900, 0, true, refund{"re_c", 900})
			refundHeader := h.sign(refundBody, oldSecret)
			var wg sync.WaitGroup
			codes := make(chan int, 10)
			for range 5 {
				wg.Go(func() { codes <- h.deliverSigned(t, body, header) })
			}
			wg.Wait()
			for range 5 {
				wg.Go(func() { codes <- h.deliverSigned(t, refundBody, refundHeader) })
			}
			wg.Wait()
			close(codes)
			for c := range codes {
				if c != http.StatusOK {
					t.Errorf("status %d", c)
				}
			}
			wantCredits(t, h, "acct", 1000)
			tops, err := h.ledger.TopUps(t.Context(), "acct")
			if err != nil || len(tops) != 1 {
				t.Fatalf("top-ups = %+v, %v", tops, err)
			}
		})
	}
}

// A charge without our metadata (its credits unknown): a full refund
// still takes everything back, a partial one is refused and logged.
func TestWebhookRefundWithoutMetadata(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	h.deliver(t, sessionEvent("evt_pay", "checkout.session.completed", paidPro("acct", "pi_m")))
	strip := func(body []byte) []byte {
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatal(err)
		}
		delete(ev["data"].(map[string]any)["object"].(map[string]any), "metadata")
		out, _ := json.Marshal(ev)
		return out
	}
	if got := h.deliver(t, strip(refundEvent("evt_p", "pi_m", 900, 0, false))); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	wantCredits(t, h, "acct", 2000)
	if !strings.Contains(h.logs.String(), "evt_p") {
		t.Errorf("the refused partial refund is not logged")
	}
	if got := h.deliver(t, strip(refundEvent("evt_f", "pi_m", 1800, 0, false))); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	wantCredits(t, h, "acct", 0)
}

// Two refunds whose events arrive in the wrong order add up the same.
func TestWebhookRefundsOutOfOrder(t *testing.T) {
	h := newHook(t, newLedger(t), nil)
	h.deliver(t, sessionEvent("evt_pay", "checkout.session.completed", paidPro("acct", "pi_x")))
	h.deliver(t, refundEvent("evt_2", "pi_x", 1500, 600, false))
	wantCredits(t, h, "acct", 2000-(1667-667))
	h.deliver(t, refundEvent("evt_1", "pi_x", 600, 0, false))
	wantCredits(t, h, "acct", 2000-1667)
}
