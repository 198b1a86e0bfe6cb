// Package payments connects the credit ledger to a payment processor:
// credit packs sold through the processor's hosted checkout, and the
// processor's webhook turned into ledger top-ups and reversals.
//
// The processor-neutral parts live here — [Pack], [Processor], [Ledger],
// [CheckoutRequest] — and each processor has its own subpackage
// (payments/stripe). An HTTP API mounts a Processor's webhook and offers
// its packs; package httpapi does both.
//
// # What is kept
//
// Nothing of the card. A top-up records the processor's payment id, the
// credits, the amount in minor units, the currency and the time
// (metering.TopUp), and a refund or a lost dispute records a reversal
// keyed by the processor's refund or dispute id. A customer e-mail given in
// a CheckoutRequest goes to the processor only; it is not copied into any
// of our stores.
//
// # Exactly once
//
// Processors deliver webhooks at least once, in any order, and retry on
// any answer that is not 2xx. A top-up is keyed by the processor's payment
// id and a reversal by the refund's or dispute's id, and the ledger records
// each key once, so replays, duplicates and concurrent deliveries credit or
// take back exactly once. An event that cannot be applied yet (a refund
// that arrives before its payment) is answered with an error status so the
// processor delivers it again later.
package payments

import (
	"context"
	"net/http"

	"github.com/picfre/picfre/metering"
)

// Pack is a credit pack on sale: Credits for Amount of Currency.
// Packs are the embedder's configuration.
type Pack struct {
	// Name identifies the pack in requests ("starter"); a short token
	// of lower-case letters, digits, '-' and '_'.
	Name string `json:"name"`
	// Credits is what the pack adds to the ledger; positive.
	Credits int64 `json:"credits"`
	// Amount is the price in the currency's minor unit (cents for
	// "usd"); positive.
	Amount int64 `json:"amount"`
	// Currency is the ISO 4217 code in lower case ("usd", "eur").
	Currency string `json:"currency"`
}

// CheckoutRequest asks a processor for a hosted checkout page selling one
// pack to one account.
type CheckoutRequest struct {
	// Account receives the credits once the payment succeeds.
	Account string
	// Pack is the Name of one of the processor's packs.
	Pack string
	// SuccessURL and CancelURL are where the processor sends the buyer
	// afterwards; absolute http(s) URLs.
	SuccessURL string
	CancelURL  string
	// Email, when not empty, is handed to the processor to prefill its
	// form. It is not stored by this package.
	Email string
}

// Checkout is a hosted checkout page created by a processor.
type Checkout struct {
	// ID is the processor's id of the checkout session.
	ID string `json:"id"`
	// URL is the page to send the buyer to.
	URL string `json:"url"`
}

// Processor is one payment processor: its packs, its hosted checkout and
// its webhook. ServeHTTP is the webhook endpoint: it verifies the
// processor's signature (an unsigned, forged or stale request is answered
// 400 and changes nothing) and applies the event to the Ledger.
type Processor interface {
	// Packs returns the packs on sale, in the configured order.
	Packs() []Pack
	// Checkout creates a hosted checkout page for req.
	Checkout(ctx context.Context, req CheckoutRequest) (Checkout, error)
	http.Handler
}

// Ledger is what a Processor needs of the credit ledger;
// *metering.Ledger implements it.
type Ledger interface {
	// TopUp credits a payment once per payment reference.
	TopUp(ctx context.Context, t metering.TopUp) (metering.Entry, error)
	// Reverse takes back the credits of a refunded or disputed payment,
	// once per key.
	Reverse(ctx context.Context, r metering.Reversal) (metering.Entry, error)
}
