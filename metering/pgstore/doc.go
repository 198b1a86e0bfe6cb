// Package pgstore keeps the credit ledger in PostgreSQL through pgx/v5,
// for many service instances sharing one ledger. [Open] connects by DSN
// and [New] uses a pool the caller owns (so that one pool serves the
// ledger and the other stores of the database); both return a
// driver.Store to hand to metering.NewLedger (package store does this from
// a postgres:// DSN). Nothing else is exported, so every call goes through
// the Ledger's checks.
//
// # Transactions
//
// Every operation is one READ COMMITTED transaction that first locks the
// account's row (SELECT ... FOR UPDATE), then touches the rows below it;
// an operation over several accounts (a purge batch) locks them in name
// order. Operations on one account therefore queue instead of racing,
// and lock order rules out deadlocks; a serialisation failure or deadlock
// reported anyway is retried a few times. The debit is one conditional
// UPDATE (balance - held >= credits) in the same transaction as the
// ledger entry, behind CHECK constraints that refuse a negative balance
// or negative available credits.
//
// # Schema
//
// Migrations are embedded SQL files applied at Open and New under an
// advisory lock and recorded in schema_version. Tables are created in the
// first schema of the search_path, which a DSN can set
// (postgres://host/db?search_path=billing). One sequence orders every
// entry for History. A Reverse locks the account's row before it looks
// its key up again, so concurrent reversals with one key record it once.
//
// # Retention
//
// The store counts what a purge would delete (driver.PurgeCounter,
// driver.TopUpPurgeCounter) and has a sweep lock (driver.SweepLocker): a
// session advisory lock keyed by the schema (pg_try_advisory_lock), held
// on a connection set aside for the purge and released when the session
// ends, so a crashed sweeper never blocks the next one.
//
// # Concurrency
//
// The store is safe for concurrent use; any number of processes may share
// the database.
//
// # Tests
//
// The tests use the server named by PICFRE_TEST_POSTGRES, creating and
// dropping a schema of their own; without it they skip, unless CI=true.
package pgstore
