// Package store opens picfre's databases by DSN: the credit ledger
// ([DB.Ledger]) and the privacy contact store ([DB.Contacts]) over one
// database. The job queue (package jobs: jobs.Open) takes the same DSN and
// keeps River's tables and its own in the same database. An embedder names
// one database and gets the portable types over it; no store driver is
// imported, no DSN written by hand twice.
//
// # DSNs
//
//   - sqlite:PATH (also sqlite://PATH): an SQLite file, created if
//     missing, through modernc.org/sqlite (pure Go, no cgo); the embedded
//     default, shared by the processes of one machine;
//   - postgres://... or postgresql://...: a PostgreSQL database through
//     one pgx connection pool, shared by any number of service
//     instances. The tables live in the first schema of the search_path,
//     which the URL may set (?search_path=billing).
//
// A DSN of any other form, or one that does not parse, fails with
// errcode.InvalidArgument ([ErrInvalidDSN]); a database that cannot be
// reached or migrated with errcode.Unavailable. Every PostgreSQL
// connection and operation has a deadline (Options.Postgres: by default
// 10 seconds to connect, 30 for an operation), so that a server that
// accepts TCP but never answers fails instead of hanging. No message
// repeats the DSN, which may hold a password.
//
// [Memory] gives the same API over memory, for tests and examples.
//
// # Accounts and API tokens
//
// [DB.Accounts] keeps the accounts and API tokens of the reference server
// (picfre serve --auth tokens, picfre accounts create|token) in the tables
// picfre_accounts and picfre_api_tokens of the same database. A token's
// secret ("pfr_" and 256 random bits) is returned once; only its SHA-256
// is stored. Erasing a person's data keeps the account and its tokens:
// they are credentials, not personal data.
//
// # Concurrency
//
// A DB and the types it returns are safe for concurrent use. Close it once,
// after the last call; it waits for the calls in progress.
package store
