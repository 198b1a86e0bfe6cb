package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v84/webhook"

	"github.com/picfre/picfre/internal/stripemock"
	"github.com/picfre/picfre/store"
)

const testWebhookSecret = "whsec_test_picfre_serve"

// signedEvent is a checkout.session.completed event for a paid session
// of the default pack, signed with secret now.
func signedEvent(t *testing.T, secret, account, paymentIntent string) (body []byte, header string) {
	t.Helper()
	ev := map[string]any{
		"id": "evt_" + paymentIntent, "object": "event", "type": "checkout.session.completed",
		"api_version": "2025-09-30.clover", "created": time.Now().Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": "cs_test_" + paymentIntent, "object": "checkout.session",
			"client_reference_id": account, "payment_status": "paid", "status": "complete",
			"amount_total": 500, "currency": "usd", "mode": "payment",
			"payment_intent": paymentIntent,
			"metadata":       map[string]string{"account": account, "pack": "starter", "credits": "500"},
		}},
	}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()})
	return sp.Payload, sp.Header
}

func postHook(t *testing.T, base string, body []byte, header string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/payments/webhook", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", header)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b, res.Status)
	return res.StatusCode, b.String()
}

func balanceOf(t *testing.T, dsn, account string) int64 {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := db.Ledger().Balance(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}
	return b.Credits
}

// TestServePayments: serve against stripe-mock with a webhook secret
// from the environment: a checkout over HTTP answers a session URL; a
// signed completed checkout posted five times at once credits the
// account once; a forged one is refused with 400 and credits nothing.
func TestServePayments(t *testing.T) {
	mock := stripemock.Start(t)
	je := newJobsEnv(t)
	alice, aliceTok := newAccount(t, je.dsn, 0)
	je.vars[stripeKeyEnv] = "sk_test_123"
	je.vars[stripeWebhookEnv] = "whsec_old_one, " + testWebhookSecret
	s := startServe(t, je.vars, "--addr", "127.0.0.1:0", "--auth", "tokens", "--ledger", je.dsn, "--workers", "1",
		"--stripe-api", mock, "--public-url", "https://picfre.example.com/")
	log := s.stderr.String()
	if !strings.Contains(log, "payments on") || !strings.Contains(log, "starter") {
		t.Errorf("startup log: %s", log)
	}
	for _, secret := range []string{"sk_test_123", testWebhookSecret, "whsec_old_one"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds a secret: %s", log)
		}
	}

	// The packs, and a checkout.
	code, body := s.do(t, http.MethodGet, "/v1/credits/packs", aliceTok, nil, "")
	if code != http.StatusOK || !strings.Contains(string(body), `"name":"starter"`) || !strings.Contains(string(body), `"amount":500`) {
		t.Fatalf("GET /v1/credits/packs: %d %s", code, body)
	}
	code, body = s.do(t, http.MethodPost, "/v1/credits/checkout", aliceTok, strings.NewReader(`{"pack":"starter"}`), "application/json")
	var c struct{ ID, URL string }
	if code != http.StatusOK || json.Unmarshal(body, &c) != nil || c.ID == "" || !strings.HasPrefix(c.URL, "https://") {
		t.Fatalf("POST /v1/credits/checkout: %d %s", code, body)
	}
	code, _ = s.do(t, http.MethodPost, "/v1/credits/checkout", aliceTok, strings.NewReader(`{"pack":"gold"}`), "application/json")
	if code != http.StatusBadRequest {
		t.Errorf("an unknown pack: %d", code)
	}

	// The same event five times, concurrently: credited once.
	ev, sig := signedEvent(t, testWebhookSecret, alice, "pi_test_serve_1")
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Go(func() { codes[i], _ = postHook(t, s.base, ev, sig) })
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("delivery %d: %d", i, c)
		}
	}
	if got := balanceOf(t, je.dsn, alice); got != 500 {
		t.Errorf("balance after five deliveries: %d, want 500", got)
	}

	// A paid checkout naming an account this server never made (in tokens
	// mode, not one of `picfre accounts create`): acknowledged, credited
	// to nobody.
	const stranger = "acct_00000000000000000000000000"
	sev, ssig := signedEvent(t, testWebhookSecret, stranger, "pi_test_stranger")
	if c, st := postHook(t, s.base, sev, ssig); c != http.StatusOK {
		t.Errorf("unknown account: %s", st)
	}
	if got := balanceOf(t, je.dsn, stranger); got != 0 {
		t.Errorf("an account the server does not know was credited %d", got)
	}

	// Forged: signed with another secret, or the body changed after signing.
	forged, fsig := signedEvent(t, "whsec_attacker", alice, "pi_test_forged")
	if c, st := postHook(t, s.base, forged, fsig); c != http.StatusBadRequest {
		t.Errorf("forged signature: %s", st)
	}
	tampered := []byte(strings.Replace(string(ev), `"amount_total":500`, `"amount_total":501`, 1))
	if c, st := postHook(t, s.base, tampered, sig); c != http.StatusBadRequest {
		t.Errorf("tampered body: %s", st)
	}
	if c, st := postHook(t, s.base, ev, ""); c != http.StatusBadRequest {
		t.Errorf("no signature: %s", st)
	}
	if got := balanceOf(t, je.dsn, alice); got != 500 {
		t.Errorf("balance after the forged events: %d, want 500", got)
	}

	// The CLI, with the same environment: prints a session URL.
	out, errOut, exit := runCLI(t, je.vars, "credits", "checkout", "--ledger", je.dsn, "--stripe-api", mock,
		"--account", alice, "--pack", "starter", "--success-url", "https://picfre.example.com/")
	if exit != exitOK || !strings.HasPrefix(strings.TrimSpace(out), "https://") || strings.Contains(errOut, "sk_test_123") {
		t.Errorf("credits checkout: exit %d, %q, %q", exit, out, errOut)
	}
	_, errOut, exit = runCLI(t, je.vars, "credits", "checkout", "--ledger", je.dsn, "--stripe-api", mock,
		"--account", alice, "--pack", "gold", "--success-url", "https://picfre.example.com/")
	if exit == exitOK || !strings.Contains(errOut, "starter") {
		t.Errorf("credits checkout of an unknown pack: exit %d, %q", exit, errOut)
	}
}

// TestServePaymentsOff: without a key, payments are off (and the log
// says so), and the payment routes answer 404; a key without a webhook
// secret, or payments with --auth tokens and no --public-url, refuse to
// start.
func TestServePaymentsOff(t *testing.T) {
	je := newJobsEnv(t)
	_, tok := newAccount(t, je.dsn, 0)
	s := startServe(t, je.vars, "--addr", "127.0.0.1:0", "--auth", "tokens", "--ledger", je.dsn, "--workers", "1")
	if !strings.Contains(s.stderr.String(), "payments off") {
		t.Errorf("startup log: %s", s.stderr.String())
	}
	if code, _ := s.do(t, http.MethodGet, "/v1/credits/packs", tok, nil, ""); code != http.StatusNotFound {
		t.Errorf("packs without payments: %d", code)
	}
	if code, _ := postHook(t, s.base, []byte(`{}`), "t=1,v1=00"); code != http.StatusNotFound {
		t.Errorf("webhook without payments: %d", code)
	}
	s.stop()

	keyFile := filepath.Join(je.dir, "key")
	if err := os.WriteFile(keyFile, []byte("sk_test_from_file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--stripe-secret-key-file", keyFile},                     // no webhook secret
		{"--stripe-secret-key-file", keyFile, "--auth", "tokens"}, // no --public-url
		{"--packs", "starter=0:1:usd"},
		{"--packs", "a=1:1:usd", "--packs-file", keyFile},
		{"--stripe-secret-key-file", filepath.Join(je.dir, "missing")},
	} {
		vars := map[string]string{sealKeysEnv: je.vars[sealKeysEnv]}
		if args[len(args)-1] == "tokens" {
			vars[stripeWebhookEnv] = testWebhookSecret
		}
		_, errOut, code := runCLI(t, vars, append([]string{"serve", "--addr", "127.0.0.1:0", "--ledger", je.dsn}, args...)...)
		if code == exitOK || strings.Contains(errOut, "sk_test_from_file") {
			t.Errorf("serve %v: exit %d: %s", args, code, errOut)
		}
	}
}
