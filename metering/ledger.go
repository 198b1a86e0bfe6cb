package metering

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering/driver"
)

// DefaultHoldTTL is how long a hold lives when Options.HoldTTL is zero.
const DefaultHoldTTL = 15 * time.Minute

// DefaultReplayWindow is how long a captured idempotency key is a free
// replay when Options.ReplayWindow is zero.
const DefaultReplayWindow = 24 * time.Hour

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

// MaxAmount bounds every amount (a top-up, a hold, a refund, an
// adjustment in absolute value: larger ones fail with ErrInvalid) and
// every balance (a change that would take one above it fails with
// ErrOverflow): 10^15 credits, so that no sum overflows in any store.
const MaxAmount = driver.MaxAmount

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
	// ReplayWindow is how long after its capture an idempotency key is
	// a replay: Authorize with the key returns the original hold,
	// Settled, and nothing is charged. After it the same key is a new
	// event, held and charged again (DefaultReplayWindow, 24 hours, when
	// zero). Idempotency stops accidental double charges — retries,
	// crashes, duplicate submissions — not deliberate re-runs.
	ReplayWindow time.Duration
	// RefuseBefore, when set, returns for the current time the oldest
	// event time Capture accepts; an event timed earlier fails with
	// ErrEventTooOld. Set it to the usage retention cutoff (for example
	// retention.Policy.Cutoff): a usage record older than that may have
	// been purged with its idempotency key, so a late retry of it could
	// otherwise be charged twice. Nil accepts any time.
	RefuseBefore func(now time.Time) time.Time
}

// Ledger is the credit ledger: accounts, top-ups, holds, captures, voids,
// refunds, adjustments, legal holds, the listings a data subject's export
// needs, and the retention purge, over a driver.Store (memstore,
// sqlitestore, pgstore; package store opens one by DSN). It implements
// [Hook].
//
// A Ledger validates every argument, reads the clock, chooses hold
// identifiers and wraps every error of its store exactly once, with the
// store's code when it has one; a failure of the database itself is
// errcode.BillingFailure with errcode.Unavailable in its chain
// (errors.Is(err, errcode.Unavailable)), and a cancelled context gives
// errcode.Canceled.
//
// A Ledger is safe for concurrent use, and several Ledgers (in several
// processes) may share one SQL database. Close waits for the calls in
// progress; later calls fail with ErrClosed.
type Ledger struct {
	d      driver.Store
	clock  func() time.Time
	ttl    time.Duration
	settle time.Duration
	replay time.Duration
	refuse func(now time.Time) time.Time

	// mu is held for reading by every call and for writing by Close, so
	// that Close waits for the calls in progress.
	mu     sync.RWMutex
	closed bool
}

var _ Hook = (*Ledger)(nil)

// NewLedger returns a Ledger over the store d, which it owns: Close
// closes d. Embedders usually get their Ledger from package store, which
// opens d by DSN; NewLedger is for driver authors and tests.
func NewLedger(d driver.Store, opts Options) *Ledger {
	l := &Ledger{d: d, clock: opts.Clock, ttl: opts.HoldTTL, settle: opts.SettleTimeout, replay: opts.ReplayWindow, refuse: opts.RefuseBefore}
	if l.clock == nil {
		l.clock = time.Now
	}
	if l.ttl <= 0 {
		l.ttl = DefaultHoldTTL
	}
	if l.settle <= 0 {
		l.settle = DefaultSettleTimeout
	}
	if l.replay <= 0 {
		l.replay = DefaultReplayWindow
	}
	return l
}

// Close waits for the calls in progress, then closes the store. Calls
// after Close, a second Close included, fail with ErrClosed.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return wrap("close", ErrClosed)
	}
	l.closed = true
	return wrap("close", l.d.Close())
}

// enter starts a call: it fails with ErrClosed once the Ledger is closed,
// and otherwise holds mu for reading until leave.
func (l *Ledger) enter() error {
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (l *Ledger) leave() { l.mu.RUnlock() }

// now returns the clock's time in UTC at microsecond precision, the
// precision every store keeps.
func (l *Ledger) now() time.Time { return Normalize(l.clock()) }

// Normalize returns t in UTC, without a monotonic reading, truncated to
// the microsecond: the form in which every store keeps times.
func Normalize(t time.Time) time.Time {
	return t.UTC().Round(0).Truncate(time.Microsecond)
}

// wrap names the operation once and classifies the error: the store's
// own outcomes (the sentinels of package metering/driver) keep their
// codes, an uncoded context error is errcode.Canceled, and anything else —
// the database failed: a dropped connection, a read-only or full disk, a
// statement that timed out — is errcode.BillingFailure with
// errcode.Unavailable in its chain (see storeFailure). This is the one
// place where a store's errors become the Ledger's.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("metering: %s: %w", op, err)
	switch {
	case errcode.Has(err) && !errors.Is(err, errcode.Unavailable):
		return err
	case !errcode.Has(err) && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return errcode.Wrap(errcode.Canceled, err)
	}
	return storeFailure(err)
}

// storeFailure codes err, a failure of the database behind the ledger, as
// errcode.BillingFailure (the file's credits could not be held or
// settled) over errcode.Unavailable (the database failed; retry later,
// every write is idempotent), so that errcode.Of gives billing_failure and
// errors.Is(err, errcode.Unavailable) holds. The message is err's.
func storeFailure(err error) error {
	if !errors.Is(err, errcode.Unavailable) {
		err = errcode.Wrap(errcode.Unavailable, err)
	}
	if errcode.Of(err) == errcode.BillingFailure {
		return err
	}
	return errcode.Wrap(errcode.BillingFailure, err)
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

// TopUp credits t.Account with t.Credits bought under t.PaymentRef, and
// keeps t.Amount and t.Currency, the money paid, with the entry. It is
// idempotent by the payment reference: the same reference again credits
// nothing and returns the first entry; with another account, credits,
// amount or currency it fails with ErrConflict.
//
// When the account owes credits after a reversal (Balance.Owed > 0), the
// top-up pays them first, in the same transaction: a KindReversal entry
// with Ref t.PaymentRef+"/owed" debits min(t.Credits, Owed) and lowers
// Owed by as much; once Owed is 0 the account is no longer blocked. The
// entry returned is the top-up's.
func (l *Ledger) TopUp(ctx context.Context, t TopUp) (Entry, error) {
	const op = "topup"
	if err := checkID("account", t.Account); err != nil {
		return Entry{}, wrap(op, err)
	}
	if err := checkID("payment reference", t.PaymentRef); err != nil {
		return Entry{}, wrap(op, err)
	}
	if t.Credits <= 0 {
		return Entry{}, wrap(op, invalid("credits must be positive"))
	}
	if t.Credits > MaxAmount {
		return Entry{}, wrap(op, invalid("credits exceed MaxAmount"))
	}
	if err := checkMoney(t.Amount, t.Currency); err != nil {
		return Entry{}, wrap(op, err)
	}
	if err := l.enter(); err != nil {
		return Entry{}, wrap(op, err)
	}
	defer l.leave()
	e, err := l.d.TopUp(ctx, driver.TopUpRequest{Account: t.Account, Credits: t.Credits, PaymentRef: t.PaymentRef,
		Amount: t.Amount, Currency: t.Currency, Now: l.now()})
	if err != nil {
		return Entry{}, wrap(op, err)
	}
	return fromDriverEntry(e), nil
}

// checkMoney checks a top-up's amount and currency: 0 and "", or a
// positive amount up to MaxAmount with three lower-case ASCII letters.
func checkMoney(amount int64, currency string) error {
	switch {
	case amount < 0:
		return invalid("amount is negative")
	case amount > MaxAmount:
		return invalid("amount exceeds MaxAmount")
	case amount == 0 && currency != "":
		return invalid("currency without an amount")
	case amount == 0:
		return nil
	case len(currency) != 3:
		return invalid("currency is not a three-letter ISO 4217 code")
	}
	for i := 0; i < len(currency); i++ {
		if c := currency[i]; c < 'a' || c > 'z' {
			return invalid("currency is not a lower-case ISO 4217 code")
		}
	}
	return nil
}

// Reverse takes back r.Credits of the top-up paid under r.PaymentRef,
// from that top-up's account, because its payment was refunded or lost
// in a dispute. It fails with ErrUnknownPayment when the ledger has no
// such top-up (or retention purged it).
//
// In one transaction, and once per r.Key:
//   - The reversals of one top-up never take back more than it
//     credited: a reversal asking for more than its earlier reversals
//     left is cut to what remains, and one that finds nothing left is
//     recorded with 0 credits (so that its key is still recognised).
//   - Of that, what the account has available (its credits less open
//     holds) is debited at once as a KindReversal entry with Ref r.Key
//     and Credits negative: the balance never goes below zero.
//   - The rest, credits already spent, is added to Balance.Owed. While
//     Owed is above zero, Authorize of more than 0 credits fails with
//     ErrAccountBlocked; the next top-ups pay Owed first (see TopUp).
//
// The same r.Key again returns the first entry; with another payment
// reference, credits or reason it fails with ErrConflict.
func (l *Ledger) Reverse(ctx context.Context, r Reversal) (Entry, error) {
	const op = "reverse"
	if err := checkID("payment reference", r.PaymentRef); err != nil {
		return Entry{}, wrap(op, err)
	}
	if err := checkID("idempotency key", r.Key); err != nil {
		return Entry{}, wrap(op, err)
	}
	if r.Credits <= 0 {
		return Entry{}, wrap(op, invalid("credits must be positive"))
	}
	if r.Credits > MaxAmount {
		return Entry{}, wrap(op, invalid("credits exceed MaxAmount"))
	}
	if err := l.enter(); err != nil {
		return Entry{}, wrap(op, err)
	}
	defer l.leave()
	e, err := l.d.Reverse(ctx, driver.ReverseRequest{PaymentRef: r.PaymentRef, Key: r.Key, Credits: r.Credits,
		Reason: clip(r.Reason), Now: l.now()})
	if err != nil {
		return Entry{}, wrap(op, err)
	}
	return fromDriverEntry(e), nil
}

// Balance returns the account's balance now. An unknown account has a
// zero balance.
func (l *Ledger) Balance(ctx context.Context, account string) (Balance, error) {
	const op = "balance"
	if err := checkID("account", account); err != nil {
		return Balance{}, wrap(op, err)
	}
	if err := l.enter(); err != nil {
		return Balance{}, wrap(op, err)
	}
	defer l.leave()
	b, err := l.d.Balance(ctx, account, l.now())
	if err != nil {
		return Balance{}, wrap(op, err)
	}
	return Balance{Credits: b.Credits, Held: b.Held, Available: b.Available, Owed: b.Owed}, nil
}

// Authorize holds a.Credits on a.Account for the hold TTL.
//
// With an idempotency key that was captured within the replay window
// (Options.ReplayWindow, 24 hours by default) it returns the original
// hold with Settled set and holds nothing; the caller must not charge
// again (Capture and Void of it are no-ops). A key captured longer ago is
// held anew: a new event, charged again when captured. With a key that has a
// live hold it fails with ErrInProgress. When the account owes credits
// after a reversal (Balance.Owed > 0) a hold of more than 0 credits fails
// with ErrAccountBlocked. When the available credits do not cover
// a.Credits it fails with ErrInsufficientCredits.
func (l *Ledger) Authorize(ctx context.Context, a Authorization) (Hold, error) {
	const op = "authorize"
	if err := checkID("account", a.Account); err != nil {
		return Hold{}, wrap(op, err)
	}
	if err := checkID("idempotency key", a.IdempotencyKey); err != nil {
		return Hold{}, wrap(op, err)
	}
	if a.Credits < 0 {
		return Hold{}, wrap(op, invalid("credits are negative"))
	}
	if a.Credits > MaxAmount {
		return Hold{}, wrap(op, invalid("credits exceed MaxAmount"))
	}
	if err := ctx.Err(); err != nil {
		return Hold{}, wrap(op, err)
	}
	if err := l.enter(); err != nil {
		return Hold{}, wrap(op, err)
	}
	defer l.leave()
	now := l.now()
	h, err := l.d.Authorize(ctx, driver.HoldRequest{
		Account: a.Account, IdempotencyKey: a.IdempotencyKey, Credits: a.Credits,
		Task: clip(a.Task), MediaType: clip(a.MediaType),
		HoldID: newHoldID(), Now: now, ExpiresAt: now.Add(l.ttl), ReplaySince: now.Add(-l.replay),
	})
	if err != nil {
		return Hold{}, wrap(op, err)
	}
	return Hold(h), nil
}

// settleContext detaches ctx from its cancellation, so that credits are
// settled even when the caller gave up, and bounds the store's time.
func (l *Ledger) settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), l.settle)
}

// settleErr wraps the error of a settling call. Its context is detached
// from the caller's, so a deadline there is the settle timeout: the store
// took too long, which is the store failing, not the caller cancelling.
func settleErr(op string, err error) error {
	if err != nil && !errcode.Has(err) && errors.Is(err, context.DeadlineExceeded) {
		return storeFailure(fmt.Errorf("metering: %s: %w", op, err))
	}
	return wrap(op, err)
}

// checkHold checks the identifiers of a hold passed back to Capture or
// Void.
func checkHold(h Hold) error {
	if err := checkID("account", h.Account); err != nil {
		return err
	}
	return checkID("idempotency key", h.IdempotencyKey)
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
	const op = "capture"
	if h.Settled {
		return nil
	}
	if err := checkHold(h); err != nil {
		return wrap(op, err)
	}
	switch {
	case e.Account == "":
		e.Account = h.Account
	case e.Account != h.Account:
		return wrap(op, fmt.Errorf("%w: event account differs from the hold's", ErrConflict))
	}
	switch {
	case e.IdempotencyKey == "":
		e.IdempotencyKey = h.IdempotencyKey
	case e.IdempotencyKey != h.IdempotencyKey:
		return wrap(op, fmt.Errorf("%w: event key differs from the hold's", ErrConflict))
	}
	switch {
	case e.Credits < 0 || e.InputTokens < 0 || e.OutputTokens < 0:
		return wrap(op, invalid("negative credits or tokens"))
	case e.Credits == 0:
		e.Credits = h.Credits
	case e.Credits > h.Credits:
		return wrap(op, ErrExceedsHold)
	}
	if err := l.enter(); err != nil {
		return wrap(op, err)
	}
	defer l.leave()
	now := l.now()
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = Normalize(e.Time)
	if l.refuse != nil && e.Time.Before(l.refuse(now)) {
		return wrap(op, ErrEventTooOld)
	}
	e.File, e.Task, e.MediaType = clip(e.File), clip(e.Task), clip(e.MediaType)
	e.Provider, e.Model = clip(e.Provider), clip(e.Model)
	ctx, cancel := l.settleContext(ctx)
	defer cancel()
	return settleErr(op, l.d.Capture(ctx, driver.CaptureRequest{Hold: driver.Hold(h), Event: driver.Event(e), Now: now}))
}

// Void releases the hold without charging and records reason, the code
// the file failed with, with the attempt (see Attempts); a reason that is
// not one of errcode's codes is recorded as errcode.Internal. Void runs
// even when ctx is cancelled; voiding a settled, captured, expired or
// already voided hold is a no-op.
func (l *Ledger) Void(ctx context.Context, h Hold, reason errcode.Code) error {
	const op = "void"
	if h.Settled {
		return nil
	}
	if err := checkHold(h); err != nil {
		return wrap(op, err)
	}
	if reason != "" && !reason.Valid() {
		reason = errcode.Internal
	}
	if err := l.enter(); err != nil {
		return wrap(op, err)
	}
	defer l.leave()
	ctx, cancel := l.settleContext(ctx)
	defer cancel()
	return settleErr(op, l.d.Void(ctx, driver.VoidRequest{Hold: driver.Hold(h), Reason: reason, Now: l.now()}))
}

// Refund gives r.Credits (positive) back to r.Account as a new entry,
// once per r.Key: the same key with another amount or reason fails with
// ErrConflict.
func (l *Ledger) Refund(ctx context.Context, r Refund) (Entry, error) {
	if r.Credits <= 0 {
		return Entry{}, wrap("refund", invalid("credits must be positive"))
	}
	return l.adjust(ctx, "refund", driver.KindRefund, Adjustment(r))
}

// Adjust corrects a.Account's credits by a.Credits (signed, not zero) as
// a new entry, once per a.Key. A negative adjustment cannot take more
// than the available credits (ErrInsufficientCredits).
func (l *Ledger) Adjust(ctx context.Context, a Adjustment) (Entry, error) {
	if a.Credits == 0 {
		return Entry{}, wrap("adjust", invalid("credits are zero"))
	}
	return l.adjust(ctx, "adjust", driver.KindAdjust, a)
}

func (l *Ledger) adjust(ctx context.Context, op string, kind driver.EntryKind, a Adjustment) (Entry, error) {
	if a.Credits > MaxAmount || a.Credits < -MaxAmount {
		return Entry{}, wrap(op, invalid("credits exceed MaxAmount"))
	}
	if err := checkID("account", a.Account); err != nil {
		return Entry{}, wrap(op, err)
	}
	if err := checkID("idempotency key", a.Key); err != nil {
		return Entry{}, wrap(op, err)
	}
	if err := l.enter(); err != nil {
		return Entry{}, wrap(op, err)
	}
	defer l.leave()
	e, err := l.d.Adjust(ctx, driver.AdjustRequest{
		Kind: kind, Account: a.Account, IdempotencyKey: a.Key, Credits: a.Credits,
		Reason: clip(a.Reason), Now: l.now(),
	})
	if err != nil {
		return Entry{}, wrap(op, err)
	}
	return fromDriverEntry(e), nil
}

// History returns the account's entries in the order they were recorded,
// preceded by one KindPurged entry when usage records were purged and one
// KindPurgedTopUps entry when top-ups were; their credits add up to the
// balance.
func (l *Ledger) History(ctx context.Context, account string) ([]Entry, error) {
	return list(l, ctx, "history", account, l.d.History, fromDriverEntry)
}

// TopUps returns the account's top-ups (payment records) in the order
// they were recorded, without those purged by retention.
func (l *Ledger) TopUps(ctx context.Context, account string) ([]Entry, error) {
	return list(l, ctx, "topups", account, l.d.ListTopUps, fromDriverEntry)
}

// Usage returns the account's usage records, one per charged file, in
// the order they were captured: what a data subject's export lists.
func (l *Ledger) Usage(ctx context.Context, account string) ([]Event, error) {
	return list(l, ctx, "usage", account, l.d.ListUsage, func(e driver.Event) Event { return Event(e) })
}

// Attempts returns the account's holds that were not captured — files
// being processed, and failed (voided) or expired attempts not yet purged
// — oldest first. Captured holds are usage records (see Usage).
func (l *Ledger) Attempts(ctx context.Context, account string) ([]Attempt, error) {
	return list(l, ctx, "attempts", account, l.d.ListAttempts, func(a driver.Attempt) Attempt {
		return Attempt{Account: a.Account, IdempotencyKey: a.IdempotencyKey, State: AttemptState(a.State),
			Credits: a.Credits, Task: a.Task, MediaType: a.MediaType, Reason: a.Reason, Time: a.Time, ExpiresAt: a.ExpiresAt}
	})
}

// list runs one of the store's per-account listings and converts its
// records.
func list[D, U any](l *Ledger, ctx context.Context, op, account string, f func(context.Context, string) ([]D, error), conv func(D) U) ([]U, error) {
	if err := checkID("account", account); err != nil {
		return nil, wrap(op, err)
	}
	if err := l.enter(); err != nil {
		return nil, wrap(op, err)
	}
	defer l.leave()
	ds, err := f(ctx, account)
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]U, len(ds))
	for i, d := range ds {
		out[i] = conv(d)
	}
	return out, nil
}

// SetLegalHold places (on) or lifts a legal hold on the account. While it
// is on, Purge keeps the account's records and EraseUsage refuses it with
// ErrLegalHold. An unknown account is created, so that a hold can precede
// its first record.
func (l *Ledger) SetLegalHold(ctx context.Context, account string, on bool) error {
	const op = "set legal hold"
	if err := checkID("account", account); err != nil {
		return wrap(op, err)
	}
	if err := l.enter(); err != nil {
		return wrap(op, err)
	}
	defer l.leave()
	return wrap(op, l.d.SetLegalHold(ctx, account, on))
}

// LegalHold reports whether the account is under a legal hold.
func (l *Ledger) LegalHold(ctx context.Context, account string) (bool, error) {
	const op = "legal hold"
	if err := checkID("account", account); err != nil {
		return false, wrap(op, err)
	}
	if err := l.enter(); err != nil {
		return false, wrap(op, err)
	}
	defer l.leave()
	on, err := l.d.LegalHold(ctx, account)
	return on, wrap(op, err)
}

// EraseUsage deletes the account's usage records and the attempts that
// have settled (voided or expired), folding the debits into its rollup so
// that the balance does not change, and returns the number of usage
// records deleted. Holds still open are kept until they settle. It fails
// with ErrLegalHold, deleting nothing, while the account is under a legal
// hold. Erased idempotency keys are forgotten: the same file processed
// again is charged again.
func (l *Ledger) EraseUsage(ctx context.Context, account string) (int, error) {
	const op = "erase usage"
	if err := checkID("account", account); err != nil {
		return 0, wrap(op, err)
	}
	if err := l.enter(); err != nil {
		return 0, wrap(op, err)
	}
	defer l.leave()
	n, err := l.d.EraseUsage(ctx, account)
	return n, wrap(op, err)
}

func fromDriverEntry(e driver.Entry) Entry {
	out := Entry{Seq: e.Seq, Account: e.Account, Kind: EntryKind(e.Kind), Credits: e.Credits, Time: e.Time, Ref: e.Ref, Reason: e.Reason,
		Amount: e.Amount, Currency: e.Currency}
	if e.Usage != nil {
		u := Event(*e.Usage)
		out.Usage = &u
	}
	return out
}
