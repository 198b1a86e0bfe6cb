package stripe

import (
	"context"
	"errors"
	"io"
	"math/bits"
	"net/http"
	"strconv"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v84"
	"github.com/stripe/stripe-go/v84/webhook"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/payments"
)

// MaxWebhookBody bounds the body of a webhook request; a larger one is
// answered 413. Stripe's events are a few KiB.
const MaxWebhookBody = 64 << 10

// Event types the webhook acts on.
const (
	eventCompleted      = "checkout.session.completed"
	eventAsyncSucceeded = "checkout.session.async_payment_succeeded"
	eventAsyncFailed    = "checkout.session.async_payment_failed"
	eventExpired        = "checkout.session.expired"
	eventRefunded       = "charge.refunded"
	eventDisputeClosed  = "charge.dispute.closed"
)

// outcome is what handling an event comes to.
type outcome int

const (
	applied outcome = iota // done (or already done): 200
	ignored                // nothing to do, ever: 200
	refused                // cannot ever be applied; logged: 200
	retry                  // cannot be applied now: 503
)

// ServeHTTP is the webhook endpoint. It answers:
//   - 405 to a method other than POST;
//   - 413 to a body above MaxWebhookBody;
//   - 400 to a request whose Stripe-Signature is missing, malformed,
//     made with none of the secrets, or older than the tolerance;
//     nothing is applied;
//   - 503 when the event cannot be applied now (the ledger or
//     AccountExists fails, or a refund or dispute names a payment the
//     ledger does not know yet), so that Stripe delivers it again;
//   - 200 with {"received":true} otherwise, including to events it
//     ignores or refuses (see the package documentation).
func (p *Processor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		answer(w, http.StatusMethodNotAllowed, `{"error":"method not allowed"}`)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			p.log.WarnContext(r.Context(), "stripe webhook: body too large")
			answer(w, http.StatusRequestEntityTooLarge, `{"error":"body too large"}`)
			return
		}
		answer(w, http.StatusBadRequest, `{"error":"unreadable body"}`)
		return
	}
	ev, err := p.verify(body, r.Header.Get("Stripe-Signature"))
	if err != nil {
		p.log.WarnContext(r.Context(), "stripe webhook: refused", "reason", err.Error())
		answer(w, http.StatusBadRequest, `{"error":"invalid signature"}`)
		return
	}
	switch p.handle(r.Context(), ev) {
	case retry:
		answer(w, http.StatusServiceUnavailable, `{"error":"try again later"}`)
	default:
		answer(w, http.StatusOK, `{"received":true}`)
	}
}

func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body+"\n")
}

// verify checks the signature with each secret in turn, and the
// timestamp against the tolerance, and parses the event. Its errors are
// stripe-go's sentinels or short descriptions, never the payload.
func (p *Processor) verify(body []byte, header string) (stripego.Event, error) {
	opts := webhook.ConstructEventOptions{
		Tolerance: p.tolerance,
		// Only a few long-stable fields are read (see parse), so an
		// endpoint on another API version than stripe-go's is accepted
		// rather than refused with a 400 Stripe would retry for days.
		IgnoreAPIVersionMismatch: true,
		// With an injected clock, the SDK (which reads the wall clock)
		// checks the signature only, and the window is checked below.
		IgnoreTolerance: p.ownClock,
	}
	var err error
	for _, secret := range p.secrets {
		var ev stripego.Event
		ev, err = webhook.ConstructEventWithOptions(body, header, secret, opts)
		if err == nil {
			if p.ownClock {
				if err := p.checkTimestamp(header); err != nil {
					return stripego.Event{}, err
				}
			}
			if ev.ID == "" || ev.Type == "" || ev.Data == nil {
				return stripego.Event{}, errors.New("event without id, type or data")
			}
			return ev, nil
		}
		if !errors.Is(err, webhook.ErrNoValidSignature) {
			break // the header, not the secret, is wrong
		}
	}
	if errors.Is(err, webhook.ErrNoValidSignature) || errors.Is(err, webhook.ErrNotSigned) ||
		errors.Is(err, webhook.ErrInvalidHeader) || errors.Is(err, webhook.ErrTooOld) {
		return stripego.Event{}, err
	}
	// A signed body that is not an event: do not echo the parser's
	// message, which quotes the payload.
	return stripego.Event{}, errors.New("signed body is not a Stripe event")
}

// checkTimestamp applies the tolerance with the injected clock; the
// signature, which covers the timestamp, has been verified.
func (p *Processor) checkTimestamp(header string) error {
	for _, part := range strings.Split(header, ",") {
		if v, ok := strings.CutPrefix(part, "t="); ok {
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return webhook.ErrInvalidHeader
			}
			if p.now().Sub(time.Unix(sec, 0)) > p.tolerance {
				return webhook.ErrTooOld
			}
			return nil
		}
	}
	return webhook.ErrInvalidHeader
}

func (p *Processor) handle(ctx context.Context, ev stripego.Event) outcome {
	switch string(ev.Type) {
	case eventCompleted, eventAsyncSucceeded:
		return p.checkoutPaid(ctx, ev)
	case eventAsyncFailed, eventExpired:
		return ignored
	case eventRefunded:
		return p.refunded(ctx, ev)
	case eventDisputeClosed:
		return p.disputeClosed(ctx, ev)
	default:
		return ignored
	}
}

// note logs a refused or postponed event by its id and type only.
func (p *Processor) note(ctx context.Context, ev stripego.Event, o outcome, why string, err error) outcome {
	attrs := []any{"event", ev.ID, "type", string(ev.Type), "reason", why}
	if err != nil {
		attrs = append(attrs, "code", string(errcode.Of(err)))
	}
	if o == retry {
		p.log.WarnContext(ctx, "stripe webhook: event postponed", attrs...)
	} else {
		p.log.ErrorContext(ctx, "stripe webhook: event refused", attrs...)
	}
	return o
}

func (p *Processor) checkoutPaid(ctx context.Context, ev stripego.Event) outcome {
	var s stripego.CheckoutSession
	if err := s.UnmarshalJSON(ev.Data.Raw); err != nil {
		return p.note(ctx, ev, refused, "malformed checkout session", nil)
	}
	if s.PaymentStatus != stripego.CheckoutSessionPaymentStatusPaid {
		return ignored // completed but unpaid: async_payment_succeeded follows
	}
	account := s.ClientReferenceID
	if m := s.Metadata[metaAccount]; account == "" {
		account = m
	} else if m != "" && m != account {
		return p.note(ctx, ev, refused, "client_reference_id and metadata name different accounts", nil)
	}
	if account == "" {
		return p.note(ctx, ev, refused, "no account", nil)
	}
	pack, ok := payments.FindPack(p.packs, s.Metadata[metaPack])
	if !ok {
		return p.note(ctx, ev, refused, "no pack on sale by the session's pack name", nil)
	}
	if s.AmountTotal != pack.Amount || string(s.Currency) != pack.Currency {
		return p.note(ctx, ev, refused, "amount or currency differ from the pack's", nil)
	}
	if s.PaymentIntent == nil || s.PaymentIntent.ID == "" {
		return p.note(ctx, ev, refused, "no payment intent", nil)
	}
	if p.accountExists != nil {
		exists, err := p.accountExists(ctx, account)
		if err != nil {
			return p.note(ctx, ev, retry, "account lookup failed", err)
		}
		if !exists {
			return p.note(ctx, ev, refused, "unknown account", nil)
		}
	}
	_, err := p.ledger.TopUp(ctx, metering.TopUp{
		Account:    account,
		Credits:    pack.Credits,
		PaymentRef: s.PaymentIntent.ID,
		Amount:     s.AmountTotal,
		Currency:   string(s.Currency),
	})
	return p.ledgerOutcome(ctx, ev, "top-up", err)
}

// ledgerOutcome maps a ledger error: none is applied; an invalid or
// conflicting request can never succeed and is refused; anything else
// (unavailable, closed, an unknown payment) is retried.
func (p *Processor) ledgerOutcome(ctx context.Context, ev stripego.Event, op string, err error) outcome {
	if err == nil {
		return applied
	}
	switch errcode.Of(err) {
	case errcode.InvalidArgument, errcode.Conflict:
		return p.note(ctx, ev, refused, op+" rejected by the ledger", err)
	}
	return p.note(ctx, ev, retry, op+" failed", err)
}

// refunded takes back the credits of a refunded charge, in proportion
// to the money refunded (see the package documentation).
func (p *Processor) refunded(ctx context.Context, ev stripego.Event) outcome {
	var ch stripego.Charge
	if err := ch.UnmarshalJSON(ev.Data.Raw); err != nil || ch.ID == "" {
		return p.note(ctx, ev, refused, "malformed charge", nil)
	}
	if ch.PaymentIntent == nil || ch.PaymentIntent.ID == "" {
		return ignored // not a Checkout payment
	}
	if ch.Amount <= 0 || ch.AmountRefunded <= 0 {
		return ignored
	}
	ref := ch.PaymentIntent.ID
	credits, known := p.chargeCredits(ch)
	var reversals []metering.Reversal
	if ch.Refunds != nil && len(ch.Refunds.Data) > 0 {
		// Older API versions list the refunds: one reversal per refund,
		// keyed by its id, each rounded up; the ledger caps their sum
		// at the top-up's credits, so refunds adding up to the charge
		// take back exactly all of them.
		for _, re := range ch.Refunds.Data {
			if re == nil || re.ID == "" || re.Status != stripego.RefundStatusSucceeded || re.Amount <= 0 {
				continue
			}
			c := int64(metering.MaxAmount)
			if re.Amount < ch.Amount {
				if !known {
					p.note(ctx, ev, refused, "partial refund of a payment whose credits are unknown", nil)
					continue
				}
				c = share(credits, re.Amount, ch.Amount)
			}
			reversals = append(reversals, metering.Reversal{PaymentRef: ref, Key: re.ID, Credits: c, Reason: "refund"})
		}
	} else {
		// Newer API versions do not list them: the step from the
		// previous refunded total to this one, keyed by the charge and
		// the new total (which only grows), so that the steps add up to
		// the share of the total.
		prev := int64(0)
		if v, ok := ev.Data.PreviousAttributes["amount_refunded"].(float64); ok && v >= 0 && v < float64(ch.AmountRefunded) {
			prev = int64(v)
		}
		key := ch.ID + "/refunded/" + strconv.FormatInt(ch.AmountRefunded, 10)
		switch {
		case ch.AmountRefunded >= ch.Amount && prev == 0:
			reversals = append(reversals, metering.Reversal{PaymentRef: ref, Key: key, Credits: metering.MaxAmount, Reason: "refund"})
		case !known:
			return p.note(ctx, ev, refused, "partial refund of a payment whose credits are unknown", nil)
		default:
			c := cumulative(credits, ch.AmountRefunded, ch.Amount) - cumulative(credits, prev, ch.Amount)
			if c > 0 {
				reversals = append(reversals, metering.Reversal{PaymentRef: ref, Key: key, Credits: c, Reason: "refund"})
			}
		}
	}
	for _, r := range reversals {
		if _, err := p.ledger.Reverse(ctx, r); err != nil {
			if o := p.ledgerOutcome(ctx, ev, "reversal", err); o == retry {
				return o
			}
		}
	}
	return applied
}

// chargeCredits returns the credits the charge bought, from the metadata
// Checkout put on its payment (and Stripe copies to the charge).
func (p *Processor) chargeCredits(ch stripego.Charge) (int64, bool) {
	if c, err := strconv.ParseInt(ch.Metadata[metaCredits], 10, 64); err == nil && c > 0 && c <= metering.MaxAmount {
		return c, true
	}
	if pack, ok := payments.FindPack(p.packs, ch.Metadata[metaPack]); ok {
		return pack.Credits, true
	}
	return 0, false
}

// share is credits × part / whole rounded up, at least 1 and at most
// credits (0 < part < whole).
func share(credits, part, whole int64) int64 {
	hi, lo := bits.Mul64(uint64(credits), uint64(part))
	q, r := bits.Div64(hi, lo, uint64(whole)) // hi < whole since part < whole
	if r != 0 {
		q++
	}
	if q > uint64(credits) {
		q = uint64(credits)
	}
	return int64(q)
}

// cumulative is the credits taken back once amount of whole was
// refunded: rounded up, all of them at (or past) the whole.
func cumulative(credits, amount, whole int64) int64 {
	if amount <= 0 {
		return 0
	}
	if amount >= whole {
		return credits
	}
	return share(credits, amount, whole)
}

func (p *Processor) disputeClosed(ctx context.Context, ev stripego.Event) outcome {
	var d stripego.Dispute
	if err := d.UnmarshalJSON(ev.Data.Raw); err != nil || d.ID == "" {
		return p.note(ctx, ev, refused, "malformed dispute", nil)
	}
	if d.Status != stripego.DisputeStatusLost {
		return ignored // won, or closed with a warning: the money stays
	}
	ref := ""
	if d.PaymentIntent != nil {
		ref = d.PaymentIntent.ID
	}
	if ref == "" {
		return ignored // not a Checkout payment
	}
	// A lost dispute takes back what remains of the top-up (the ledger
	// caps the reversal), whatever part of the money was disputed.
	_, err := p.ledger.Reverse(ctx, metering.Reversal{PaymentRef: ref, Key: d.ID, Credits: metering.MaxAmount, Reason: "dispute"})
	return p.ledgerOutcome(ctx, ev, "reversal", err)
}
