package metering

import (
	"context"
	"time"
)

// EntryKind names what moved credits in a ledger [Entry].
type EntryKind string

// Entry kinds, as they appear in History and in the CLI's output.
const (
	// KindTopUp: credits bought, identified by a payment reference.
	KindTopUp EntryKind = "topup"
	// KindUsage: credits captured for one processed file.
	KindUsage EntryKind = "usage"
	// KindRefund: credits given back, a new entry beside the usage.
	KindRefund EntryKind = "refund"
	// KindAdjust: an operator's correction, positive or negative.
	KindAdjust EntryKind = "adjust"
	// KindPurged: the sum of usage debits whose records were purged by
	// retention; it keeps the history adding up to the balance.
	KindPurged EntryKind = "purged"
	// KindPurgedTopUps: the sum of the credits of top-ups whose records
	// were purged by retention (Store.PurgeTopUps); it keeps the history
	// adding up to the balance.
	KindPurgedTopUps EntryKind = "purged_topups"
)

// Entry is one movement of credits. Entries are never edited: a mistake is
// corrected by a refund or an adjustment.
type Entry struct {
	// Seq orders entries in the order the ledger recorded them. It is 0
	// for the KindPurged and KindPurgedTopUps summaries.
	Seq     int64
	Account string
	Kind    EntryKind
	// Credits is signed: positive for credits added, negative for
	// credits spent.
	Credits int64
	// Time is when the ledger recorded the entry (for KindPurged and
	// KindPurgedTopUps, the time of the newest purged record).
	Time time.Time
	// Ref is the payment reference of a top-up, or the idempotency key
	// of any other entry.
	Ref string
	// Reason is the operator's note on a refund or adjustment.
	Reason string
	// Usage is the usage event of a KindUsage entry, nil otherwise.
	Usage *Event
}

// Balance is an account's position at one moment.
type Balance struct {
	// Credits is what the account owns: top-ups, refunds and adjustments
	// less captured usage. Never negative.
	Credits int64
	// Held is the sum of live (unexpired, unsettled) holds.
	Held int64
	// Available is Credits - Held: what a new Authorize can hold. Never
	// negative.
	Available int64
}

// AttemptState is the stored state of a hold that was not captured.
type AttemptState string

// Attempt states.
const (
	// AttemptHeld: the hold is open (the file is being processed), or
	// its worker vanished and it has expired without being swept yet
	// (see Attempt.ExpiresAt).
	AttemptHeld AttemptState = "held"
	// AttemptVoided: the file failed and the hold was released.
	AttemptVoided AttemptState = "voided"
	// AttemptExpired: the hold ran out before it was settled.
	AttemptExpired AttemptState = "expired"
)

// Attempt is a hold the ledger keeps that was not captured. It names no
// file: a hold records only the account, the idempotency key, the task,
// the media type, the credits and its times.
type Attempt struct {
	Account        string
	IdempotencyKey string
	State          AttemptState
	Credits        int64
	Task           string
	MediaType      string
	// Time is when the hold was made; ExpiresAt when it runs out.
	Time      time.Time
	ExpiresAt time.Time
}

// HoldRequest is what a Ledger asks a Store to hold: the authorization,
// plus the hold identifier and times the Ledger chose.
type HoldRequest struct {
	Authorization
	// HoldID identifies this attempt; a store keeps it so that a stale
	// hold cannot settle a newer one with the same key.
	HoldID    string
	Now       time.Time
	ExpiresAt time.Time
}

// CaptureRequest is what a Ledger asks a Store to capture. Event.Account
// and Event.IdempotencyKey equal the hold's, Event.Credits is the amount to
// charge (0 <= Credits <= Hold.Credits) and Event.Time is set.
type CaptureRequest struct {
	Hold  Hold
	Event Event
	Now   time.Time
}

// TopUpRequest is a purchase of credits.
type TopUpRequest struct {
	Account    string
	Credits    int64
	PaymentRef string
	Now        time.Time
}

// AdjustRequest is a refund (Kind KindRefund, Credits > 0) or an
// adjustment (Kind KindAdjust, Credits != 0, either sign).
type AdjustRequest struct {
	Kind           EntryKind
	Account        string
	IdempotencyKey string
	Credits        int64
	Reason         string
	Now            time.Time
}

// Store is the driver side of the ledger: memstore, sqlitestore and
// pgstore implement it, and meteringtest checks that they behave alike.
// Embedders use [Ledger], which validates arguments, reads the clock and
// chooses hold identifiers, then calls exactly one Store method.
//
// Every method is one atomic transaction and must be safe for concurrent
// use, also by several processes sharing one database. Times come from
// the caller; a store never reads a clock. Errors wrap the sentinels of
// this package where one applies.
type Store interface {
	// TopUp credits an account once per payment reference. The same
	// reference again returns the first entry if account and credits
	// match, and ErrConflict otherwise.
	TopUp(ctx context.Context, r TopUpRequest) (Entry, error)

	// Authorize holds r.Credits if the account's available credits
	// cover them, expiring the account's stale holds first. By the state
	// of r.IdempotencyKey on r.Account:
	//   - unknown, voided or expired: a new hold with r.HoldID;
	//   - captured: the original hold with Settled set, no new hold
	//     (ErrConflict if credits, task or media type differ);
	//   - held and live: ErrInProgress.
	// ErrInsufficientCredits when the available credits do not cover it.
	Authorize(ctx context.Context, r HoldRequest) (Hold, error)

	// Capture charges r.Event.Credits and records r.Event as a usage
	// record, in the same transaction. A hold already captured (by this
	// or a newer hold of the same key) is a no-op. A hold whose expiry
	// has passed is charged only if the available credits, without it,
	// still cover the charge; else ErrHoldExpired. ErrHoldVoided after a
	// void; ErrUnknownHold when there is no such key; ErrExceedsHold
	// when the event asks for more than the stored hold. A hold superseded
	// by a newer one of the same key fails with ErrHoldExpired.
	Capture(ctx context.Context, r CaptureRequest) error

	// Void releases a live hold without charging. Unknown, stale,
	// captured and already released holds are a no-op.
	Void(ctx context.Context, h Hold, now time.Time) error

	// Adjust records a refund or an adjustment, once per idempotency
	// key (ErrConflict when the key returns with other values). A
	// negative adjustment larger than the available credits fails with
	// ErrInsufficientCredits.
	Adjust(ctx context.Context, r AdjustRequest) (Entry, error)

	// Balance returns the account's balance at now; an unknown account
	// has a zero balance.
	Balance(ctx context.Context, account string, now time.Time) (Balance, error)

	// History returns every entry of the account in Seq order, preceded
	// by one KindPurged entry when usage records were purged and then one
	// KindPurgedTopUps entry when top-ups were purged, so that the
	// credits of all entries add up to Balance.Credits.
	History(ctx context.Context, account string) ([]Entry, error)

	// ListTopUps returns the account's top-ups in Seq order (not those
	// purged by PurgeTopUps).
	ListTopUps(ctx context.Context, account string) ([]Entry, error)

	// ListUsage returns the account's usage records in the order they
	// were captured.
	ListUsage(ctx context.Context, account string) ([]Event, error)

	// SetLegalHold places or lifts a legal hold on the account. While it
	// is on, PurgeUsage and PurgeTopUps skip the account and EraseUsage
	// refuses it.
	SetLegalHold(ctx context.Context, account string, on bool) error

	// LegalHold reports whether the account is under a legal hold.
	LegalHold(ctx context.Context, account string) (bool, error)

	// PurgeUsage deletes at most limit usage records captured before
	// the cutoff, of accounts without a legal hold, folding their debits
	// into each account's rollup so that balances do not change, with
	// the captured holds of the same keys. It returns the number of usage
	// records deleted; call it again until it returns 0 (a batch may
	// delete fewer than limit while more remain, for example when an
	// account is put under a legal hold meanwhile). Holds that were never
	// captured are purged by PurgeHolds.
	PurgeUsage(ctx context.Context, before time.Time, limit int) (int, error)

	// PurgeHolds deletes at most limit holds, of accounts without a
	// legal hold, that can no longer settle: voided and expired holds
	// created before the cutoff, and holds still marked held whose
	// expiry is before the cutoff (left by a crashed worker on an account
	// that never authorized again), whose credits it takes out of the
	// account's held counter in the same transaction. It returns the
	// number of holds deleted; call it again until it returns 0.
	PurgeHolds(ctx context.Context, before time.Time, limit int) (int, error)

	// PurgeTopUps deletes at most limit top-ups paid (recorded) before
	// paidBefore, of accounts without a legal hold, oldest first, folding
	// their credits into each account's rollup in the same transaction,
	// so that balances do not change and top-ups + purged top-up credits
	// + refunds and adjustments - usage - purged debits still equals the
	// balance. It returns the number of top-ups deleted; call it again
	// until it returns 0.
	//
	// A purged top-up's payment reference is forgotten: TopUp with that
	// reference afterwards credits the account again. The Ledger stamps
	// top-ups with its own clock, so there is no payment time by which a
	// replay could be told apart; the retention period (at least seven
	// full calendar years, see retention.Policy.TopUpYears) must outlast
	// any window in which a payment provider may redeliver a payment.
	PurgeTopUps(ctx context.Context, paidBefore time.Time, limit int) (int, error)

	// ListAttempts returns the account's holds that were not captured —
	// files being processed, and failed attempts (voided or expired)
	// not yet purged — oldest first. Captured holds are listed by
	// ListUsage as usage records.
	ListAttempts(ctx context.Context, account string) ([]Attempt, error)

	// EraseUsage deletes all usage records and settled holds (captured,
	// voided and expired) of the account, folding their debits into its rollup. ErrLegalHold when
	// the account is under a legal hold.
	EraseUsage(ctx context.Context, account string) (int, error)
}
