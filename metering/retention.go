package metering

import (
	"context"
	"time"
)

// PurgeCount is what a purge of usage records would delete from one
// account: the records captured before a cutoff and the credits they
// debited. An account under a legal hold is listed with LegalHold set;
// PurgeUsage skips it.
type PurgeCount struct {
	Account   string
	Records   int
	Credits   int64
	LegalHold bool
}

// PurgeCounter is an optional Store interface for a dry run of retention:
// it reports what PurgeUsage(ctx, before, ...) would delete, without
// deleting anything. memstore, sqlitestore and pgstore implement it.
type PurgeCounter interface {
	// CountPurgeable returns, in account order, one PurgeCount per
	// account that has usage records captured before the cutoff,
	// including accounts under a legal hold (with LegalHold set). It
	// reads one snapshot and is safe for concurrent use.
	CountPurgeable(ctx context.Context, before time.Time) ([]PurgeCount, error)
}

// TopUpPurgeCounter is an optional Store interface for a dry run of the
// retention of top-ups: it reports what PurgeTopUps(ctx, paidBefore, ...)
// would delete, without deleting anything. memstore, sqlitestore and
// pgstore implement it.
type TopUpPurgeCounter interface {
	// CountPurgeableTopUps returns, in account order, one PurgeCount per
	// account that has top-ups paid before paidBefore (Records is the
	// number of top-ups, Credits their credits), including accounts under
	// a legal hold (with LegalHold set). It reads one snapshot and is
	// safe for concurrent use.
	CountPurgeableTopUps(ctx context.Context, paidBefore time.Time) ([]PurgeCount, error)
}

// SweepLocker is an optional Store interface that lets one retention sweep
// run at a time across every process sharing the store. PurgeUsage is safe
// to run concurrently anyway (each batch is one transaction); the lock
// keeps several service instances from all sweeping at once and gives one
// clear report per sweep.
//
// pgstore implements it with a PostgreSQL session advisory lock (released
// when the session ends, so a crashed sweeper never blocks the next one);
// sqlitestore with a lock row claimed in an immediate transaction, which a
// crashed sweeper leaves behind until its lease runs out; memstore with a
// flag.
type SweepLocker interface {
	// WithSweepLock runs fn while holding the store's sweep lock, and
	// reports true. When another sweep holds the lock it returns false
	// and a nil error without calling fn. now and lease say when a lock
	// left by a crashed holder may be taken over (stores whose lock dies
	// with its holder ignore them). fn's error is returned as is. Safe for
	// concurrent use.
	WithSweepLock(ctx context.Context, now time.Time, lease time.Duration, fn func(ctx context.Context) error) (bool, error)
}
