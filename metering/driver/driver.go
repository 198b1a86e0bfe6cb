package driver

import (
	"context"
	"time"

	"github.com/picfre/picfre/errcode"
)

// Outcomes a Store reports. The Ledger hands them to its callers wrapped
// with the operation ("metering: authorize: insufficient credits"), and
// package metering exports the same values under the same names, so that
// errors.Is works on every Ledger error. Each answers errcode.Of with its
// code.
var (
	// ErrConflict: an idempotency key or payment reference came back with
	// different values (another amount, account, task or reason).
	ErrConflict = errcode.New(errcode.Conflict, "idempotency conflict")
	// ErrInProgress: Authorize found a live hold for the same key.
	ErrInProgress = errcode.New(errcode.Conflict, "charge in progress for this idempotency key")
	// ErrInsufficientCredits: the available credits do not cover a hold
	// or a negative adjustment.
	ErrInsufficientCredits = errcode.New(errcode.InsufficientCredits, "insufficient credits")
	// ErrHoldExpired: Capture of an expired hold whose charge no longer
	// fits the available credits, or of a hold superseded by a newer one
	// of the same key.
	ErrHoldExpired = errcode.New(errcode.BillingFailure, "hold expired")
	// ErrHoldVoided: Capture of a voided hold.
	ErrHoldVoided = errcode.New(errcode.BillingFailure, "hold voided")
	// ErrUnknownHold: Capture of a key the store has no hold for.
	ErrUnknownHold = errcode.New(errcode.BillingFailure, "unknown hold")
	// ErrExceedsHold: Capture of more credits than the stored hold.
	ErrExceedsHold = errcode.New(errcode.BillingFailure, "capture exceeds hold")
	// ErrLegalHold: EraseUsage of an account under a legal hold.
	ErrLegalHold = errcode.New(errcode.FailedPrecondition, "account under legal hold")
	// ErrOverflow: a top-up, refund or positive adjustment would take
	// the account's balance above MaxAmount; nothing was recorded.
	ErrOverflow = errcode.New(errcode.InvalidArgument, "the balance would exceed the ledger's maximum")
	// ErrUnknownPayment: Reverse of a payment reference the store has no
	// top-up for (never topped up here, or purged).
	ErrUnknownPayment = errcode.New(errcode.NotFound, "unknown payment")
	// ErrAccountBlocked: Authorize of more than 0 credits on an account
	// that owes credits after a reversal (Balance.Owed > 0).
	ErrAccountBlocked = errcode.New(errcode.InsufficientCredits, "account blocked: credits owed after a refund or dispute")
)

// MaxAmount bounds every amount the Ledger passes (a top-up, hold,
// refund or adjustment, in absolute value) and every balance a store
// keeps: 10^15 credits, far below the int64 and float64 limits, so that
// sums of two never overflow. A store refuses a change that would take a
// balance above it with ErrOverflow.
const MaxAmount int64 = 1_000_000_000_000_000

// EntryKind names what moved credits in an [Entry]. The values are those
// of metering.EntryKind.
type EntryKind string

// Entry kinds.
const (
	KindTopUp        EntryKind = "topup"
	KindUsage        EntryKind = "usage"
	KindRefund       EntryKind = "refund"
	KindAdjust       EntryKind = "adjust"
	KindPurged       EntryKind = "purged"
	KindPurgedTopUps EntryKind = "purged_topups"
	KindReversal     EntryKind = "reversal"
)

// Entry is one movement of credits as a store keeps it.
type Entry struct {
	// Seq orders all entries of the store; 0 for the KindPurged and
	// KindPurgedTopUps summaries.
	Seq     int64
	Account string
	Kind    EntryKind
	// Credits is signed: positive when credits were added.
	Credits int64
	// Time is when the entry was recorded (for a summary, the time of
	// the newest purged record).
	Time time.Time
	// Ref is the payment reference of a top-up, else the idempotency key.
	Ref string
	// Reason is the note of a refund or adjustment.
	Reason string
	// Usage is the usage record of a KindUsage entry, nil otherwise.
	Usage *Event
	// Amount and Currency are the money of a KindTopUp entry (as in its
	// TopUpRequest); 0 and "" otherwise.
	Amount   int64
	Currency string
}

// Event is a usage record: exactly what the Ledger asked the store to
// keep for one captured file.
type Event struct {
	Account        string
	IdempotencyKey string
	File           string
	Time           time.Time
	Task           string
	MediaType      string
	Credits        int64
	Provider       string
	Model          string
	InputTokens    int64
	OutputTokens   int64
}

// Hold is a hold as a store returns it and gets it back.
type Hold struct {
	ID             string
	Account        string
	IdempotencyKey string
	Credits        int64
	// Settled: the key was already captured; this is the original hold.
	Settled bool
}

// Balance is an account's position at one moment; Available is Credits -
// Held, and none is negative. Owed is what reversals could not take
// because the credits were spent; while it is above 0 the account is
// blocked.
type Balance struct {
	Credits   int64
	Held      int64
	Available int64
	Owed      int64
}

// AttemptState is the stored state of a hold that was not captured.
type AttemptState string

// Attempt states.
const (
	AttemptHeld    AttemptState = "held"
	AttemptVoided  AttemptState = "voided"
	AttemptExpired AttemptState = "expired"
)

// Attempt is a hold that was not captured.
type Attempt struct {
	Account        string
	IdempotencyKey string
	State          AttemptState
	Credits        int64
	Task           string
	MediaType      string
	// Reason is the code the hold was voided with; "" unless State is
	// AttemptVoided (and for holds voided without one).
	Reason    errcode.Code
	Time      time.Time
	ExpiresAt time.Time
}

// TopUpRequest is a purchase of credits: Credits > 0, Account and
// PaymentRef valid identifiers, 0 <= Amount <= MaxAmount, and Currency
// three lower-case letters when Amount > 0, "" when Amount is 0.
type TopUpRequest struct {
	Account    string
	Credits    int64
	PaymentRef string
	Amount     int64
	Currency   string
	Now        time.Time
}

// ReverseRequest takes back up to Credits (> 0) of the top-up with
// PaymentRef, once per Key (valid identifiers); Reason is cut.
type ReverseRequest struct {
	PaymentRef string
	Key        string
	Credits    int64
	Reason     string
	Now        time.Time
}

// OwedSuffix makes the Ref of the KindReversal entry with which a
// top-up pays an account's Owed: the top-up's payment reference followed
// by it.
const OwedSuffix = "/owed"

// OwedReason is the Reason of that entry.
const OwedReason = "owed"

// HoldRequest asks for Credits (>= 0) to be held on Account under
// IdempotencyKey, with the hold identifier and expiry the Ledger chose.
type HoldRequest struct {
	Account        string
	IdempotencyKey string
	Credits        int64
	Task           string
	MediaType      string
	// HoldID identifies this attempt; a store keeps it so that a stale
	// hold cannot settle a newer one with the same key.
	HoldID    string
	Now       time.Time
	ExpiresAt time.Time
	// ReplaySince is the start of the replay window: a key captured at
	// or after it is a replay (the original hold, Settled), one captured
	// before it is held anew, a new charge. The Ledger sets it to Now
	// minus its replay window.
	ReplaySince time.Time
}

// CaptureRequest settles Hold with Event. Event.Account and
// Event.IdempotencyKey equal the hold's, 0 <= Event.Credits <= Hold.Credits
// is the amount to charge, and Event.Time is set.
type CaptureRequest struct {
	Hold  Hold
	Event Event
	Now   time.Time
}

// VoidRequest releases Hold; Reason is the failed file's code (possibly
// "", always a valid code otherwise), kept with the voided hold.
type VoidRequest struct {
	Hold   Hold
	Reason errcode.Code
	Now    time.Time
}

// AdjustRequest is a refund (Kind KindRefund, Credits > 0) or an
// adjustment (Kind KindAdjust, Credits != 0).
type AdjustRequest struct {
	Kind           EntryKind
	Account        string
	IdempotencyKey string
	Credits        int64
	Reason         string
	Now            time.Time
}

// Store is a ledger's storage. The Ledger calls each method with checked
// arguments: valid identifiers (non-empty UTF-8 of at most 256 bytes),
// recorded strings cut to 1024 bytes, times in UTC at microsecond
// precision, limits > 0.
//
// Every method is one atomic transaction, safe for concurrent use, also
// by several processes sharing one database, and honours ctx. Errors are
// this package's sentinels where the method names one; anything else is
// reported to the caller as the database being unavailable.
type Store interface {
	// TopUp credits an account once per payment reference. The same
	// reference again returns the first entry if account, credits,
	// amount and currency match, and ErrConflict otherwise. When the
	// account owes credits (Balance.Owed > 0), the same transaction
	// records, after the top-up entry, a KindReversal entry of
	// -min(credits, owed) with Ref PaymentRef+OwedSuffix (Reason
	// OwedReason), and lowers Owed by as much.
	TopUp(ctx context.Context, r TopUpRequest) (Entry, error)

	// Reverse takes credits back from the account of the top-up with
	// r.PaymentRef (ErrUnknownPayment when there is none), in one
	// transaction, expiring the account's stale holds first:
	//   - the request is capped to what the top-up's earlier reversals
	//     left of its credits (asked = min(r.Credits, rest));
	//   - take = min(asked, available credits) is debited as a
	//     KindReversal entry of -take with Ref r.Key and r.Reason (an
	//     entry of 0 credits when nothing is left to reverse);
	//   - asked - take is added to the account's Owed.
	// The same Key again returns the first entry if payment reference,
	// credits and reason match, and ErrConflict otherwise.
	// ErrOverflow when Owed would exceed MaxAmount.
	Reverse(ctx context.Context, r ReverseRequest) (Entry, error)

	// Authorize holds r.Credits if the account's available credits
	// cover them, expiring the account's stale holds first. By the state
	// of r.IdempotencyKey on r.Account:
	//   - unknown, voided or expired: a new hold with r.HoldID;
	//   - captured at or after r.ReplaySince: the original hold with
	//     Settled set, no new hold (ErrConflict if credits, task or media
	//     type differ);
	//   - captured before r.ReplaySince: a new hold with r.HoldID, as for
	//     an unknown key; its capture is a second usage record with the
	//     same key;
	//   - held and live: ErrInProgress.
	// ErrAccountBlocked when r.Credits > 0 and the account owes credits
	// (checked after the key, so a replay is still Settled).
	// ErrInsufficientCredits when the available credits do not cover it
	// (a hold of 0 credits always fits, even on an unknown account).
	Authorize(ctx context.Context, r HoldRequest) (Hold, error)

	// Capture charges r.Event.Credits and records r.Event as a usage
	// record, in the same transaction. An empty Event.Task or MediaType
	// is taken from the stored hold. A hold already captured (by this or
	// a newer hold of the same key) is a no-op. A hold whose expiry has
	// passed is charged only if the available credits, without it, still
	// cover the charge; else ErrHoldExpired. ErrHoldVoided after a void;
	// ErrUnknownHold when there is no such key; ErrExceedsHold when the
	// event asks for more than the stored hold. A hold superseded by a
	// newer one of the same key fails with ErrHoldExpired.
	Capture(ctx context.Context, r CaptureRequest) error

	// Void releases a live hold without charging and keeps r.Reason
	// with it. Unknown, stale (another HoldID), captured and already
	// released holds are a no-op.
	Void(ctx context.Context, r VoidRequest) error

	// Adjust records a refund or an adjustment, once per idempotency
	// key (ErrConflict when the key returns with another kind, amount or
	// reason), expiring the account's stale holds first. A negative
	// adjustment larger than the available credits fails with
	// ErrInsufficientCredits.
	Adjust(ctx context.Context, r AdjustRequest) (Entry, error)

	// Balance returns the account's balance at now, counting only holds
	// that are live at now; an unknown account has a zero balance.
	Balance(ctx context.Context, account string, now time.Time) (Balance, error)

	// History returns every entry of the account in Seq order, preceded
	// by one KindPurged entry when usage records were purged and then one
	// KindPurgedTopUps entry when top-ups were purged, so that the
	// credits of all entries add up to Balance.Credits.
	History(ctx context.Context, account string) ([]Entry, error)

	// ListTopUps returns the account's top-ups in Seq order (not those
	// purged).
	ListTopUps(ctx context.Context, account string) ([]Entry, error)

	// ListUsage returns the account's usage records in the order they
	// were captured.
	ListUsage(ctx context.Context, account string) ([]Event, error)

	// ListAttempts returns the account's holds that were not captured —
	// open ones, and voided or expired ones not yet purged — by creation
	// time, then key.
	ListAttempts(ctx context.Context, account string) ([]Attempt, error)

	// SetLegalHold places or lifts a legal hold on the account (creating
	// it if unknown). While it is on, the purges skip the account and
	// EraseUsage refuses it.
	SetLegalHold(ctx context.Context, account string, on bool) error

	// LegalHold reports whether the account is under a legal hold.
	LegalHold(ctx context.Context, account string) (bool, error)

	// PurgeUsage deletes at most limit usage records recorded before
	// the cutoff, oldest first, of accounts without a legal hold, with
	// the captured holds of the same keys (not a hold captured after the
	// record, when the key was charged again), folding their debits into each
	// account's rollup so that balances do not change. It returns the
	// number of usage records deleted. A batch may delete fewer than
	// limit while more remain (an account put under a legal hold
	// meanwhile); the Ledger calls again until one deletes nothing.
	PurgeUsage(ctx context.Context, before time.Time, limit int) (int, error)

	// PurgeHolds deletes at most limit holds, oldest first, of accounts
	// without a legal hold, that can no longer settle: voided and expired
	// holds created before the cutoff, and holds still marked held whose
	// expiry is before it (left by a crashed worker), whose credits it
	// takes out of the account's held counter in the same transaction.
	PurgeHolds(ctx context.Context, before time.Time, limit int) (int, error)

	// PurgeTopUps deletes at most limit top-ups recorded before
	// paidBefore, oldest first, of accounts without a legal hold, folding
	// their credits into each account's rollup, so that balances do not
	// change and History still adds up. Their payment references are
	// forgotten: TopUp with one afterwards credits again.
	PurgeTopUps(ctx context.Context, paidBefore time.Time, limit int) (int, error)

	// EraseUsage deletes all usage records and settled holds (captured,
	// voided, expired) of the account, folding the debits into its
	// rollup, and returns the number of usage records deleted; open holds
	// are kept. ErrLegalHold when the account is under a legal hold; 0
	// for an unknown account.
	EraseUsage(ctx context.Context, account string) (int, error)

	// Close releases the store's resources. The Ledger calls it once,
	// after its last call of any other method.
	Close() error
}

// PurgeCount is what a purge would delete from one account: the records
// recorded before a cutoff and their credits. An account under a legal
// hold is listed with LegalHold set.
type PurgeCount struct {
	Account   string
	Records   int
	Credits   int64
	LegalHold bool
}

// PurgeCounter is an optional Store interface: a dry run of PurgeUsage.
type PurgeCounter interface {
	// CountPurgeable returns, in account order, one PurgeCount per
	// account with usage records recorded before the cutoff, accounts
	// under a legal hold included (LegalHold set). It reads one snapshot
	// and deletes nothing.
	CountPurgeable(ctx context.Context, before time.Time) ([]PurgeCount, error)
}

// TopUpPurgeCounter is an optional Store interface: a dry run of
// PurgeTopUps.
type TopUpPurgeCounter interface {
	// CountPurgeableTopUps returns, in account order, one PurgeCount per
	// account with top-ups recorded before paidBefore (Records is the
	// number of top-ups, Credits their credits), accounts under a legal
	// hold included. It reads one snapshot and deletes nothing.
	CountPurgeableTopUps(ctx context.Context, paidBefore time.Time) ([]PurgeCount, error)
}

// SweepLocker is an optional Store interface that lets one purge run at a
// time across every process sharing the store.
type SweepLocker interface {
	// WithSweepLock runs fn while holding the store's sweep lock and
	// reports true. When another holder has the lock it returns false and
	// a nil error without calling fn. now and lease (> 0) say when a lock
	// left by a crashed holder may be taken over; stores whose lock dies
	// with its holder ignore them. fn's error is returned as it is.
	WithSweepLock(ctx context.Context, now time.Time, lease time.Duration, fn func(ctx context.Context) error) (bool, error)
}
