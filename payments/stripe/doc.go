// Package stripe sells credit packs through Stripe Checkout and turns
// Stripe's webhook events into ledger top-ups and reversals. It is built
// on the official SDK, github.com/stripe/stripe-go (v84), and implements
// payments.Processor.
//
// # Checkout
//
// Processor.Checkout creates a Checkout Session in payment mode with one
// line item, the pack's price (price_data: currency, unit_amount, a
// product name) at quantity 1. The account travels as the session's
// client_reference_id, and the account, the pack's name and its credits
// as metadata of the session and of its PaymentIntent (which Stripe copies
// to the charge, where refunds find it). A customer e-mail, when given, is
// sent as customer_email and kept nowhere here. The request carries an
// idempotency key made from the request and the minute, so a retry does
// not open a second session.
//
// # The webhook
//
// Processor.ServeHTTP is the endpoint to register in Stripe's dashboard
// (or with `stripe listen`) for these events:
//
//	checkout.session.completed
//	checkout.session.async_payment_succeeded
//	checkout.session.async_payment_failed
//	checkout.session.expired
//	charge.refunded
//	charge.dispute.closed
//
// Each request is read up to MaxWebhookBody (64 KiB; more is answered
// 413) and its Stripe-Signature header verified with stripe-go's webhook
// package against every configured signing secret in turn (so that a
// secret can be rolled), with the tolerance window (5 minutes by default).
// A missing, malformed, forged or stale signature is answered 400 and
// changes nothing; the log names the reason, never the payload.
//
// Events of an API version other than stripe-go's are accepted: only
// fields that have been stable across versions are read (the ids, the
// session's payment_status, amount_total, currency, client_reference_id
// and metadata, the charge's amounts, refunds and metadata, the dispute's
// status), and refusing them would only make Stripe retry for days.
//
// What happens on each event:
//
//   - checkout.session.completed with payment_status "paid", and
//     checkout.session.async_payment_succeeded: a top-up of the pack named
//     in the metadata, to the account in client_reference_id, keyed by the
//     PaymentIntent id and recording amount_total and the currency. The
//     ledger records a payment id once, so a replayed, duplicated or
//     concurrent delivery, and the async event after a paid completion,
//     credit once.
//   - The same, but with an amount or currency other than the pack's,
//     a pack no longer on sale, no account or no payment: nothing is
//     credited, the event is logged (by id) as refused and answered 200,
//     since delivering it again cannot change it; reconcile it by hand
//     (refund the payment, or top up with the CLI).
//   - The account unknown (Config.AccountExists answers false): nothing
//     is credited, the event is logged by its id only and answered 200.
//   - completed with payment_status "unpaid" (a delayed payment method),
//     async_payment_failed and expired: nothing; 200.
//   - charge.refunded: the refunded share of the payment's credits is
//     taken back with Ledger.Reverse, never by editing the top-up. When the
//     charge lists its refunds (older API versions), each succeeded refund
//     is one reversal keyed by its id (re_...) of its share rounded up;
//     otherwise one reversal per new refunded total, keyed by the charge
//     and that total, of the step from the previous total (from the
//     event's previous_attributes). Either way the ledger caps the sum at
//     the top-up's credits, so a full refund, in one piece or several,
//     takes back exactly all of them. The credits come from the charge's
//     metadata; without it only a full refund can be applied.
//   - charge.dispute.closed with status "lost": everything that remains
//     of the top-up is taken back, keyed by the dispute's id (du_...).
//     "won" and "warning_closed": nothing.
//   - A refund or dispute of a payment the ledger does not know yet (it
//     arrived before the checkout event): 503, so that Stripe delivers it
//     again; once the top-up is recorded it applies.
//   - The ledger or AccountExists failing: 503, and Stripe retries.
//   - Any other event type: 200, ignored.
//
// # Credits already spent
//
// A reversal takes what the account still has, and what it had already
// spent becomes Balance.Owed: the balance never goes negative, the
// account is blocked from new work (Authorize fails with
// metering.ErrAccountBlocked) until the next top-up pays what is owed.
//
// # What is kept
//
// Nothing of the card and nothing of the buyer: a top-up keeps the
// account, the credits, the PaymentIntent id, the amount, the currency
// and the time; a reversal keeps its key, the credits and "refund" or
// "dispute". The e-mail, name and address Stripe sends in its events are
// neither stored nor logged. The secret key appears in no error or log.
package stripe
