package metering

import (
	"github.com/picfre/picfre/errcode"
)

// Errors a Ledger or a Store returns, each wrapped once with the operation
// that failed. Branch on them with errors.Is. Every comment says what a
// caller should do.
var (
	// ErrConflict: an idempotency key or payment reference was used again
	// with different parameters (another amount, account or task). The
	// first use stands; retrying the same call cannot succeed.
	ErrConflict = errcode.New(errcode.Conflict, "metering: idempotency conflict")

	// ErrInProgress: Authorize found a live hold for the same idempotency
	// key, so another worker (or an earlier, unsettled attempt) is
	// processing the same file now. The pipeline fails the file without
	// charging; once the other hold is captured a retry is Settled, once
	// it is voided or expired a retry holds anew.
	ErrInProgress = errcode.New(errcode.Conflict, "metering: charge in progress for this idempotency key")

	// ErrHoldExpired: Capture came after the hold expired, and the
	// account's available credits no longer cover the charge; nothing was
	// charged. (An expired hold whose charge still fits is captured.)
	ErrHoldExpired = errcode.New(errcode.BillingFailure, "metering: hold expired")

	// ErrHoldVoided: Capture of a hold that was voided; nothing was
	// charged.
	ErrHoldVoided = errcode.New(errcode.BillingFailure, "metering: hold voided")

	// ErrUnknownHold: Capture of a hold the ledger has no record of (never
	// authorized here, or purged).
	ErrUnknownHold = errcode.New(errcode.BillingFailure, "metering: unknown hold")

	// ErrExceedsHold: Capture asked for more credits than were held;
	// nothing was charged.
	ErrExceedsHold = errcode.New(errcode.BillingFailure, "metering: capture exceeds hold")

	// ErrInvalid: an argument is malformed (empty account, non-positive
	// top-up, oversized key ...). Fix the call.
	ErrInvalid = errcode.New(errcode.InvalidArgument, "metering: invalid argument")

	// ErrLegalHold: the account is under a legal hold, so its records
	// cannot be erased until the hold is lifted.
	ErrLegalHold = errcode.New(errcode.FailedPrecondition, "metering: account under legal hold")

	// ErrEventTooOld: Capture of an event whose time lies before the
	// retention window (Options.RefuseBefore). Its usage record, and with
	// it the idempotency key that would recognise a replay, may already
	// be purged, so charging it could charge twice. Nothing was charged;
	// void the hold and do not retry.
	ErrEventTooOld = errcode.New(errcode.BillingFailure, "metering: event older than the retention window")

	// ErrNoPrice: the pricing policy has no rate for the task and media
	// type asked about.
	ErrNoPrice = errcode.New(errcode.InvalidArgument, "metering: no price for this task and media type")
)
