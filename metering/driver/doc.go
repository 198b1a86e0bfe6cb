// Package driver is the driver side of the credit ledger: the [Store]
// interface that memstore, sqlitestore and pgstore implement, the records
// it takes and returns, the optional interfaces a store may add, and the
// errors a store reports. Embedders do not use it: they hold a
// metering.Ledger, which validates every argument, reads the clock,
// chooses hold identifiers, runs the retention purge loop and wraps every
// error once, and then calls exactly one Store method per step.
//
// # Writing a driver
//
// Implement [Store]; every method is one atomic transaction and must be
// safe for concurrent use, also by several processes sharing one
// database. Times come from the Ledger, already in UTC at microsecond
// precision; a store never reads a clock. Report the outcomes the method
// documents with this package's sentinels (wrapped with %w, if you add
// detail); any other error is taken as the database failing and reaches
// the caller with the code unavailable. A driver does not import package
// metering.
//
// Run metering/meteringtest's conformance suite against the driver; it
// checks every rule documented here through the Ledger.
//
// # Optional interfaces
//
// [PurgeCounter] and [TopUpPurgeCounter] let the Ledger count what a
// purge would delete (a dry run, and the per-account report of a sweep);
// [SweepLocker] lets one purge run at a time across processes. The Ledger
// finds them by type assertion: without a counter a dry run is refused,
// without a lock purges run unserialised (each batch is still one
// transaction).
package driver
