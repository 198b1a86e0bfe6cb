package retention

import (
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
)

// Errors of this package; branch on them with errors.Is.
var (
	// ErrInvalidPolicy: a Policy or Sweeper field is out of range. Fix
	// the configuration.
	ErrInvalidPolicy = errcode.New(errcode.InvalidArgument, "retention: invalid policy")

	// ErrBelowLegalFloor: the policy would delete top-ups before the law
	// allows (see LegalTopUpYears). Fix the configuration.
	ErrBelowLegalFloor = errcode.New(errcode.InvalidArgument, "retention: top-up retention below the legal floor")

	// ErrFutureAsOf: a sweep that deletes was asked to run as of a time
	// after the clock's now. It would purge records whose idempotency
	// keys a ledger still accepts, so a replay could be charged twice. Use
	// a dry run, or set SweepOptions.AllowFuture when no ledger is live
	// (tests, a copy of the data).
	ErrFutureAsOf = errcode.New(errcode.InvalidArgument, "retention: sweep as of a future time")
)

// Conditions the Ledger detects, under the names this package has always
// used; they are the same values as metering's, so errors.Is matches
// either name.
var (
	// ErrSweepInProgress: another sweep (in this or another process)
	// holds the database's sweep lock; this one did nothing. It is not a
	// failure: the other sweep does the work. Try again later. The same
	// value as metering.ErrSweepInProgress.
	ErrSweepInProgress = metering.ErrSweepInProgress

	// ErrDryRunUnsupported: the ledger's store cannot count what it would
	// purge. The same value as metering.ErrDryRunUnsupported.
	ErrDryRunUnsupported = metering.ErrDryRunUnsupported
)
