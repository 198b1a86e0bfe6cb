package metering

import (
	"time"

	"github.com/picfre/picfre/errcode"
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
	// were purged by retention (Purge with TopUpsBefore); it keeps the
	// history adding up to the balance.
	KindPurgedTopUps EntryKind = "purged_topups"
	// KindReversal: credits taken back because a top-up's payment was
	// refunded or disputed (Ledger.Reverse), or a later top-up paying
	// what such a reversal could not take.
	KindReversal EntryKind = "reversal"
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
	// Amount and Currency are the money paid for a KindTopUp entry
	// (see TopUp); 0 and "" otherwise.
	Amount   int64
	Currency string
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
	// Owed is what reversals could not take back because the credits
	// were already spent. While it is above zero the account is blocked
	// (Authorize fails with ErrAccountBlocked); the next top-ups pay it
	// first.
	Owed int64
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
// the media type, the credits, its times and, once voided, the code the
// file failed with.
type Attempt struct {
	Account        string
	IdempotencyKey string
	State          AttemptState
	Credits        int64
	Task           string
	MediaType      string
	// Reason is the code passed to Void (why the file failed); empty
	// unless State is AttemptVoided.
	Reason errcode.Code
	// Time is when the hold was made; ExpiresAt when it runs out.
	Time      time.Time
	ExpiresAt time.Time
}

// TopUp is a purchase of credits, for [Ledger.TopUp].
type TopUp struct {
	// Account receives the credits.
	Account string
	// Credits is the amount bought; positive.
	Credits int64
	// PaymentRef identifies the payment (a payment provider's id): the
	// same reference credits once.
	PaymentRef string
	// Amount is the money paid, in the currency's minor unit (cents);
	// 0 when not known (a top-up entered by an operator). Kept with
	// the entry, with Currency, as the bookkeeping record of the sale.
	Amount int64
	// Currency is the ISO 4217 code of Amount in lower case ("usd");
	// "" exactly when Amount is 0.
	Currency string
}

// Reversal takes back the credits of a top-up whose payment was
// refunded or lost in a dispute, for [Ledger.Reverse].
type Reversal struct {
	// PaymentRef is the top-up's payment reference; the account is
	// the top-up's.
	PaymentRef string
	// Key makes the reversal idempotent (the processor's refund or
	// dispute id): the same key records it once.
	Key string
	// Credits is the amount to take back; positive. The reversals of
	// one top-up never take back more than it credited.
	Credits int64
	// Reason is a short note kept with the entry ("refund", "dispute").
	Reason string
}

// Refund gives credits back, for [Ledger.Refund].
type Refund struct {
	Account string
	// Credits is the amount given back; positive.
	Credits int64
	// Key makes the refund idempotent: the same key records it once.
	Key string
	// Reason is the operator's note, kept with the entry.
	Reason string
}

// Adjustment corrects an account's credits, for [Ledger.Adjust].
type Adjustment struct {
	Account string
	// Credits is signed and not zero.
	Credits int64
	// Key makes the adjustment idempotent: the same key records it once.
	Key string
	// Reason is the operator's note, kept with the entry.
	Reason string
}
