package retention

import (
	"github.com/picfre/picfre/errcode"
)

// Errors of this package; branch on them with errors.Is.
var (
	// ErrInvalidPolicy: a Policy or Sweeper field is out of range. Fix
	// the configuration.
	ErrInvalidPolicy = errcode.New(errcode.InvalidArgument, "retention: invalid policy")

	// ErrBelowLegalFloor: the policy would delete top-ups before the law
	// allows (see LegalTopUpYears). Fix the configuration.
	ErrBelowLegalFloor = errcode.New(errcode.InvalidArgument, "retention: top-up retention below the legal floor")

	// ErrSweepInProgress: another sweep (in this or another process)
	// holds the store's sweep lock; this one did nothing. It is not a
	// failure: the other sweep does the work. Try again later.
	ErrSweepInProgress = errcode.New(errcode.Conflict, "retention: another sweep is running")

	// ErrFutureAsOf: a sweep that deletes was asked to run as of a time
	// after the clock's now. It would purge records whose idempotency
	// keys a ledger still accepts, so a replay could be charged twice. Use
	// a dry run, or set SweepOptions.AllowFuture when no ledger is live
	// (tests, a copy of the data).
	ErrFutureAsOf = errcode.New(errcode.InvalidArgument, "retention: sweep as of a future time")

	// ErrDryRunUnsupported: the store cannot count what it would purge
	// (it does not implement metering.PurgeCounter).
	ErrDryRunUnsupported = errcode.New(errcode.InvalidArgument, "retention: the store cannot do a dry run")
)
