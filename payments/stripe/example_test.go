package stripe_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/stripe/stripe-go/v84/webhook"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/payments"
	"github.com/picfre/picfre/payments/stripe"
)

func ExampleNew() {
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	defer ledger.Close()
	p, err := stripe.New(stripe.Config{
		SecretKey:      "sk_test_123",                  // STRIPE_SECRET_KEY, in cmd/
		WebhookSecrets: []string{"whsec_1", "whsec_2"}, // the old and the new during a rotation
		Ledger:         ledger,
		// Packs empty: payments.DefaultPacks()
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Packs())
	// Output:
	// [{starter 500 500 usd}]
}

func ExampleProcessor_Checkout() {
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	defer ledger.Close()
	p, _ := stripe.New(stripe.Config{SecretKey: "sk_test_123", WebhookSecrets: []string{"whsec_1"}, Ledger: ledger})
	// With a pack on sale ("starter") this returns the session whose URL
	// the buyer is sent to; here the pack does not exist, so no call is
	// made.
	_, err := p.Checkout(context.Background(), payments.CheckoutRequest{
		Account:    "acct-1",
		Pack:       "gold",
		SuccessURL: "https://app.example/credits?paid=1",
		CancelURL:  "https://app.example/credits",
	})
	fmt.Println(errors.Is(err, stripe.ErrUnknownPack), err)
	// Output:
	// true unknown credit pack
}

func ExampleProcessor_ServeHTTP() {
	ctx := context.Background()
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	defer ledger.Close()
	p, _ := stripe.New(stripe.Config{SecretKey: "sk_test_123", WebhookSecrets: []string{"whsec_1"}, Ledger: ledger})

	// What Stripe posts once the buyer paid a "starter" checkout.
	body := []byte(`{"id":"evt_1","object":"event","type":"checkout.session.completed","api_version":"2024-06-20",
	"data":{"object":{"id":"cs_1","object":"checkout.session","payment_status":"paid","amount_total":500,"currency":"usd",
	"client_reference_id":"acct-1","payment_intent":"pi_1","metadata":{"account":"acct-1","pack":"starter","credits":"500"}}}}`)
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_1"})

	for range 2 { // delivered twice: credited once
		req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", signed.Header)
		w := httptest.NewRecorder()
		p.ServeHTTP(w, req)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	forged := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(body))
	forged.Header.Set("Stripe-Signature", "t=1,v1=00")
	w := httptest.NewRecorder()
	p.ServeHTTP(w, forged)
	fmt.Print(w.Code, " ", w.Body.String())

	b, _ := ledger.Balance(ctx, "acct-1")
	fmt.Println("credits:", b.Credits)
	// Output:
	// 200 {"received":true}
	// 200 {"received":true}
	// 400 {"error":"invalid signature"}
	// credits: 500
}
