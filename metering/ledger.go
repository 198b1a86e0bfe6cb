package metering

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"
)

// DefaultHoldTTL is how long a hold lives when Options.HoldTTL is zero.
const DefaultHoldTTL = 15 * time.Minute

// DefaultSettleTimeout bounds Capture and Void when
// Options.SettleTimeout is zero.
const DefaultSettleTimeout = 30 * time.Second

// Limits on identifiers and recorded strings, in bytes.
const (
	// MaxIDLen bounds accounts, idempotency keys and payment references.
	MaxIDLen = 256
	// MaxTextLen bounds the file name, provider, model, task, media
	// type and reason recorded; longer values are cut at a rune
	// boundary rather than refused, so that a capture never fails on a
	// long file name.
	MaxTextLen = 1024
)

// Options configure a Ledger. The zero value means the defaults.
type Options struct {
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// HoldTTL is how long a hold keeps its credits before it expires by
	// itself (a crashed worker's hold returns its credits); DefaultHoldTTL
	// when zero.
	HoldTTL time.Duration
	// SettleTimeout bounds the store work of Capture and Void, which run
	// on a context detached from the caller's cancellation;
	// DefaultSettleTimeout when zero.
	SettleTimeout time.Duration
	// RefuseBefore, when set, returns for the current time the oldest
	// event time Capture accepts; an event timed earlier fails with
	// ErrEventTooOld. Set it to the usage retention cutoff (for example
	// retention.Policy.Cutoff): a usage record older than that may have
	// been purged with its idempotency key, so a late retry of it could
	// otherwise be charged twice. Nil accepts any time.
	RefuseBefore func(now time.Time) time.Time
}

// Ledger is the credit ledger: accounts, top-ups, holds, captures, voids,
// refunds and adjustments over a [Store]. It implements [Hook].
//
// A Ledger is safe for concurrent use, and several Ledgers (in several
// processes) may share one SQL store. It validates every argument, reads
// the clock and chooses hold identifiers, so that each Store method sees
// complete, checked requests.
type Ledger struct {
	store  Store
	clock  func() time.Time
	ttl    time.Duration
	settle time.Duration
	refuse func(now time.Time) time.Time
}

var _ Hook = (*Ledger)(nil)

// NewLedger returns a Ledger over s.
func NewLedger(s Store, opts Options) *Ledger {
	l := &Ledger{store: s, clock: opts.Clock, ttl: opts.HoldTTL, settle: opts.SettleTimeout, refuse: opts.RefuseBefore}
	if l.clock == nil {
		l.clock = time.Now
	}
	if l.ttl <= 0 {
		l.ttl = DefaultHoldTTL
	}
	if l.settle <= 0 {
		l.settle = DefaultSettleTimeout
	}
	return l
}

// Store returns the store the ledger works on.
func (l *Ledger) Store() Store { return l.store }

// now returns the clock's time in UTC at microsecond precision, the
// precision every store keeps.
func (l *Ledger) now() time.Time { return Normalize(l.clock()) }

// Normalize returns t in UTC, without a monotonic reading, truncated to
// the microsecond: the form in which every store keeps times.
func Normalize(t time.Time) time.Time {
	return t.UTC().Round(0).Truncate(time.Microsecond)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("metering: %s: %w", op, err)
}

func invalid(what string) error { return fmt.Errorf("%w: %s", ErrInvalid, what) }

func checkID(what, s string) error {
	switch {
	case s == "":
		return invalid(what + " is empty")
	case len(s) > MaxIDLen:
		return invalid(what + " is too long")
	case !utf8.ValidString(s):
		return invalid(what + " is not UTF-8")
	}
	return nil
}

// clip cuts s to MaxTextLen bytes at a rune boundary and replaces invalid
// UTF-8.
func clip(s string) string {
	if !utf8.ValidString(s) {
		s = string([]rune(s))
	}
	if len(s) <= MaxTextLen {
		return s
	}
	n := MaxTextLen
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func newHoldID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// TopUp credits account with credits bought under paymentRef. It is
// idempotent by paymentRef: the same reference again credits nothing and
// returns the first entry; with another amount or account it fails with
// ErrConflict.
func (l *Ledger) TopUp(ctx context.Context, account string, credits int64, paymentRef string) (Entry, error) {
	if err := checkID("account", account); err != nil {
		return Entry{}, wrap("topup", err)
	}
	if err := checkID("payment reference", paymentRef); err != nil {
		return Entry{}, wrap("topup", err)
	}
	if credits <= 0 {
		return Entry{}, wrap("topup", invalid("credits must be positive"))
	}
	e, err := l.store.TopUp(ctx, TopUpRequest{Account: account, Credits: credits, PaymentRef: paymentRef, Now: l.now()})
	return e, wrap("topup", err)
}

// Balance returns the account's balance now. An unknown account has a
// zero balance.
func (l *Ledger) Balance(ctx context.Context, account string) (Balance, error) {
	if err := checkID("account", account); err != nil {
		return Balance{}, wrap("balance", err)
	}
	b, err := l.store.Balance(ctx, account, l.now())
	return b, wrap("balance", err)
}

// Authorize holds a.Credits on a.Account for the hold TTL.
//
// With an idempotency key that was already captured it returns the
// original hold with Settled set and holds nothing; the caller must not
// charge again (Capture and Void of it are no-ops). With a key that has a
// live hold it fails with ErrInProgress. When the available credits do
// not cover a.Credits it fails with ErrInsufficientCredits.
func (l *Ledger) Authorize(ctx context.Context, a Authorization) (Hold, error) {
	if err := checkID("account", a.Account); err != nil {
		return Hold{}, wrap("authorize", err)
	}
	if err := checkID("idempotency key", a.IdempotencyKey); err != nil {
		return Hold{}, wrap("authorize", err)
	}
	if a.Credits < 0 {
		return Hold{}, wrap("authorize", invalid("credits are negative"))
	}
	if err := ctx.Err(); err != nil {
		return Hold{}, wrap("authorize", err)
	}
	a.Task, a.MediaType = clip(a.Task), clip(a.MediaType)
	now := l.now()
	h, err := l.store.Authorize(ctx, HoldRequest{
		Authorization: a,
		HoldID:        newHoldID(),
		Now:           now,
		ExpiresAt:     now.Add(l.ttl),
	})
	return h, wrap("authorize", err)
}

// settleContext detaches ctx from its cancellation, so that credits are
// settled even when the caller gave up, and bounds the store's time.
func (l *Ledger) settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), l.settle)
}

// Capture charges the hold and records e as its usage event, exactly
// once: capturing the same hold (or a settled one) again is a no-op.
//
// e.Credits is the amount to charge; zero means the full hold, more than
// the hold fails with ErrExceedsHold. Empty e.Account, e.IdempotencyKey
// and e.Time are taken from the hold and the clock; values that differ
// from the hold's fail with ErrConflict; an e.Time before
// Options.RefuseBefore fails with ErrEventTooOld (void the hold). Capture
// runs even when ctx is cancelled. A hold that expired is still captured
// when the account's available credits cover it, else Capture fails with
// ErrHoldExpired.
func (l *Ledger) Capture(ctx context.Context, h Hold, e Event) error {
	if h.Settled {
		return nil
	}
	if err := checkID("account", h.Account); err != nil {
		return wrap("capture", err)
	}
	if err := checkID("idempotency key", h.IdempotencyKey); err != nil {
		return wrap("capture", err)
	}
	switch {
	case e.Account == "":
		e.Account = h.Account
	case e.Account != h.Account:
		return wrap("capture", fmt.Errorf("%w: event account differs from the hold's", ErrConflict))
	}
	switch {
	case e.IdempotencyKey == "":
		e.IdempotencyKey = h.IdempotencyKey
	case e.IdempotencyKey != h.IdempotencyKey:
		return wrap("capture", fmt.Errorf("%w: event key differs from the hold's", ErrConflict))
	}
	switch {
	case e.Credits < 0 || e.InputTokens < 0 || e.OutputTokens < 0:
		return wrap("capture", invalid("negative credits or tokens"))
	case e.Credits == 0:
		e.Credits = h.Credits
	case e.Credits > h.Credits:
		return wrap("capture", ErrExceedsHold)
	}
	now := l.now()
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = Normalize(e.Time)
	if l.refuse != nil && e.Time.Before(l.refuse(now)) {
		return wrap("capture", ErrEventTooOld)
	}
	e.File, e.Task, e.MediaType = clip(e.File), clip(e.Task), clip(e.MediaType)
	e.Provider, e.Model = clip(e.Provider), clip(e.Model)
	ctx, cancel := l.settleContext(ctx)
	defer cancel()
	return wrap("capture", l.store.Capture(ctx, CaptureRequest{Hold: h, Event: e, Now: now}))
}

// Void releases the hold without charging. It runs even when ctx is
// cancelled; voiding a settled, captured, expired or already voided hold
// is a no-op.
func (l *Ledger) Void(ctx context.Context, h Hold) error {
	if h.Settled {
		return nil
	}
	if err := checkID("account", h.Account); err != nil {
		return wrap("void", err)
	}
	if err := checkID("idempotency key", h.IdempotencyKey); err != nil {
		return wrap("void", err)
	}
	ctx, cancel := l.settleContext(ctx)
	defer cancel()
	return wrap("void", l.store.Void(ctx, h, l.now()))
}

// Refund gives credits back to account as a new entry, once per
// idempotency key (the same key with another amount or account fails with
// ErrConflict). credits must be positive.
func (l *Ledger) Refund(ctx context.Context, account string, credits int64, key, reason string) (Entry, error) {
	if credits <= 0 {
		return Entry{}, wrap("refund", invalid("credits must be positive"))
	}
	return l.adjust(ctx, "refund", KindRefund, account, credits, key, reason)
}

// Adjust corrects account's credits by a signed amount as a new entry,
// once per idempotency key. A negative adjustment cannot take more than
// the available credits (ErrInsufficientCredits).
func (l *Ledger) Adjust(ctx context.Context, account string, credits int64, key, reason string) (Entry, error) {
	if credits == 0 {
		return Entry{}, wrap("adjust", invalid("credits are zero"))
	}
	return l.adjust(ctx, "adjust", KindAdjust, account, credits, key, reason)
}

func (l *Ledger) adjust(ctx context.Context, op string, kind EntryKind, account string, credits int64, key, reason string) (Entry, error) {
	if err := checkID("account", account); err != nil {
		return Entry{}, wrap(op, err)
	}
	if err := checkID("idempotency key", key); err != nil {
		return Entry{}, wrap(op, err)
	}
	e, err := l.store.Adjust(ctx, AdjustRequest{
		Kind: kind, Account: account, IdempotencyKey: key, Credits: credits,
		Reason: clip(reason), Now: l.now(),
	})
	return e, wrap(op, err)
}

// History returns the account's entries in the order they were recorded;
// their credits add up to the balance.
func (l *Ledger) History(ctx context.Context, account string) ([]Entry, error) {
	if err := checkID("account", account); err != nil {
		return nil, wrap("history", err)
	}
	h, err := l.store.History(ctx, account)
	return h, wrap("history", err)
}
