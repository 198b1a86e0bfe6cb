// Package memstore is an in-memory ledger store (a driver.Store), for
// tests, examples and programs that need a ledger only for the life of one
// process. Hand it to metering.NewLedger, or use store.Memory; nothing else
// of it is exported, so every call goes through the Ledger's checks.
//
// # Behaviour
//
// It passes the same conformance suite (meteringtest) as the SQL stores:
// the same idempotency rules, hold expiry, rollups on purge and legal
// holds, and it has the optional purge counters and sweep lock (a flag,
// since the lock cannot outlive the process). Invariants the SQL stores
// enforce with CHECK constraints (balance and available credits never
// negative) are checked after every change, and a violation panics, since
// it can only be a bug.
//
// # Concurrency
//
// The store is safe for concurrent use by many goroutines; one mutex
// serialises all operations. Nothing is persisted.
package memstore
