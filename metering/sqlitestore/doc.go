// Package sqlitestore keeps the credit ledger in one SQLite file through
// modernc.org/sqlite (pure Go, no cgo): picfre's embedded default. [Open]
// returns a driver.Store to hand to metering.NewLedger (package store does
// both from a "sqlite:PATH" DSN); nothing else is exported, so every call
// goes through the Ledger's checks.
//
// # Transactions
//
// Every write is one BEGIN IMMEDIATE transaction, so a writer takes
// SQLite's single write lock before it reads, and two writers never both
// decide from the same balance. The debit is one conditional UPDATE
// (balance - held >= credits) in the same transaction as the ledger entry,
// and CHECK constraints refuse a negative balance or negative available
// credits. The database runs in WAL mode, so readers (Balance, History) do
// not block writers, with a busy timeout (10 s by default) for writers of
// other processes. Within one process writers queue on a semaphore that
// honours their contexts. The connection settings are those every picfre
// store opens the file with (internal/sqlitedb), so other stores may share
// the file.
//
// # Durability
//
// synchronous=FULL by default: a capture that returned survives a power
// cut. Options.Synchronous "NORMAL" is faster and still survives a
// process crash (SIGKILL), but may lose the last commits on power loss.
//
// # Schema
//
// Migrations are embedded SQL files applied in order at Open and recorded
// in a schema_version table, in one write transaction, so processes
// opening a new file at once apply them exactly once. Usage records,
// top-ups (with the money paid), adjustments, reversals and holds are
// separate tables; account_rollup keeps the credits of purged records, and
// accounts the balance, the held credits and what is owed after
// reversals. Times are Unix microseconds.
//
// # Retention
//
// The store counts what a purge would delete (driver.PurgeCounter,
// driver.TopUpPurgeCounter) and has a sweep lock (driver.SweepLocker): a
// row of the sweep_lock table claimed in an immediate transaction with a
// lease, which a crashed sweeper leaves behind until the lease runs out.
//
// # Concurrency
//
// The store is safe for concurrent use, and several processes may open
// the same file (on a local file system; not over NFS).
package sqlitestore
