package metering

import (
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering/driver"
)

// Errors a Ledger, a Hook or a Pricer returns, each wrapped once with the
// operation that failed ("metering: authorize: insufficient credits").
// Branch on them with errors.Is, or on their code with errcode.Of. Every
// comment says what a caller should do.
//
// The outcomes a store reports are the very values of package
// metering/driver, so that they match whichever store produced them.
var (
	// ErrInsufficientCredits: the account's available credits do not
	// cover the hold (or a negative adjustment). The pipeline then fails
	// the file with the insufficient_credits code and never calls the
	// provider for it. Top up, or wait for open holds to settle.
	ErrInsufficientCredits = driver.ErrInsufficientCredits

	// ErrConflict: an idempotency key or payment reference was used again
	// with different parameters (another amount, account or task). The
	// first use stands; retrying the same call cannot succeed.
	ErrConflict = driver.ErrConflict

	// ErrInProgress: Authorize found a live hold for the same idempotency
	// key, so another worker (or an earlier, unsettled attempt) is
	// processing the same file now. The pipeline fails the file without
	// charging; once the other hold is captured a retry is Settled, once
	// it is voided or expired a retry holds anew.
	ErrInProgress = driver.ErrInProgress

	// ErrHoldExpired: Capture came after the hold expired, and the
	// account's available credits no longer cover the charge, or the key
	// was held anew since; nothing was charged.
	ErrHoldExpired = driver.ErrHoldExpired

	// ErrHoldVoided: Capture of a hold that was voided; nothing was
	// charged.
	ErrHoldVoided = driver.ErrHoldVoided

	// ErrUnknownHold: Capture of a hold the ledger has no record of (never
	// authorized here, or purged), or a hold Multi did not make.
	ErrUnknownHold = driver.ErrUnknownHold

	// ErrExceedsHold: Capture asked for more credits than were held;
	// nothing was charged.
	ErrExceedsHold = driver.ErrExceedsHold

	// ErrLegalHold: the account is under a legal hold, so its records
	// cannot be erased until the hold is lifted (Ledger.SetLegalHold).
	ErrLegalHold = driver.ErrLegalHold

	// ErrOverflow: a top-up, refund or positive adjustment would take
	// the account's balance above MaxAmount; nothing was recorded.
	ErrOverflow = driver.ErrOverflow

	// ErrUnknownPayment: Reverse of a payment reference the ledger has
	// no top-up for (never topped up here, or purged by retention).
	// Nothing was reversed; check the reference.
	ErrUnknownPayment = driver.ErrUnknownPayment

	// ErrAccountBlocked: Authorize of more than 0 credits on an account
	// that owes credits (Balance.Owed > 0) because a refund or a lost
	// dispute took back credits already spent. Its code is
	// errcode.InsufficientCredits, so the pipeline fails the file as it
	// does for a lack of credits. A top-up pays what is owed first and
	// unblocks the account.
	ErrAccountBlocked = driver.ErrAccountBlocked

	// ErrInvalid: an argument is malformed (empty account, non-positive
	// top-up, oversized key, a purge without a cutoff ...). Fix the call.
	ErrInvalid = errcode.New(errcode.InvalidArgument, "invalid argument")

	// ErrEventTooOld: Capture of an event whose time lies before the
	// retention window (Options.RefuseBefore). Its usage record, and with
	// it the idempotency key that would recognise a replay, may already
	// be purged, so charging it could charge twice. Nothing was charged;
	// void the hold and do not retry.
	ErrEventTooOld = errcode.New(errcode.BillingFailure, "event older than the retention window")

	// ErrNoPrice: the pricing policy has no rate for the task and media
	// type asked about. Add a rate.
	ErrNoPrice = errcode.New(errcode.InvalidArgument, "no price for this task and media type")

	// ErrClosed: the Ledger was closed. Open a new one.
	ErrClosed = errcode.New(errcode.FailedPrecondition, "ledger is closed")

	// ErrSweepInProgress: Purge found another purge (in this or another
	// process) holding the store's sweep lock, and did nothing. It is not
	// a failure: the other sweep does the work. Try again later.
	ErrSweepInProgress = errcode.New(errcode.Conflict, "another sweep is running")

	// ErrDryRunUnsupported: Purge was asked for a dry run, and the store
	// cannot count what it would delete (it implements neither
	// driver.PurgeCounter nor, for top-ups, driver.TopUpPurgeCounter).
	ErrDryRunUnsupported = errcode.New(errcode.InvalidArgument, "the store cannot do a dry run")
)
