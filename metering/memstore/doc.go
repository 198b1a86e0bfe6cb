// Package memstore is an in-memory [metering.Store], for tests and for
// programs that need a ledger only for the life of one process.
//
// # Behaviour
//
// It passes the same conformance suite (meteringtest) as the SQL stores:
// the same idempotency rules, hold expiry, rollups on purge and legal
// holds. Invariants the SQL stores enforce with CHECK constraints
// (balance and available credits never negative) are checked after every
// change, and a violation panics, since it can only be a bug.
//
// # Concurrency
//
// A Store is safe for concurrent use by many goroutines; one mutex
// serialises all operations. Nothing is persisted.
package memstore
