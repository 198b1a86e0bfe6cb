// Package metering bills processed files: the [Hook] the pipeline calls to
// authorize, capture and void credits, the [Event] recorded for each file,
// prices, and the credit [Ledger] behind them.
//
// # The billing cycle
//
// For each file the pipeline calls Authorize before any provider is
// called, then exactly one of Capture (the file succeeded) or Void (it
// failed, was cancelled or panicked; Void gets the failure's errcode.Code
// as its reason). A file that fails therefore costs nothing, and an
// idempotency key makes a re-run within the replay window charge nobody
// twice.
//
// [Discard] bills nothing (the default); [Multi] fans one file out to
// several hooks; [Ledger] is the credit ledger.
//
// # What is recorded
//
// An [Event] holds the account, the file's name, the time, the task, the
// credits, and the provider's model and token counts. Content and
// generated metadata are never part of it. A hold that was not captured
// (an [Attempt]) names no file; a voided one keeps the code the file
// failed with.
//
// # The ledger
//
// A [Ledger] is the one type embedders hold. It runs over a store — a
// driver.Store from metering/memstore (tests, one process),
// metering/sqlitestore (the embedded default, one file shared by the
// processes of one machine) or metering/pgstore (PostgreSQL, many service
// instances) — which package store opens by DSN. The stores are drivers:
// they export nothing but their constructor, so every call passes the
// Ledger's checks. The same conformance suite, meteringtest, runs through
// the Ledger against all three, including 16 goroutines and 4 OS processes
// racing for one balance, and processes killed between authorize and
// capture.
//
//   - Top-ups are idempotent by payment reference: the same reference
//     credits once; with another amount or account it is [ErrConflict].
//   - Authorize holds credits for a TTL (Options.HoldTTL, 15 minutes by
//     default). Expired holds stop counting against the balance by
//     themselves, so a crashed worker's credits come back.
//   - Capture charges at most the amount held, exactly once per
//     idempotency key; Void releases; both run even when the caller's
//     context is cancelled.
//   - Refunds and adjustments are new entries; entries are never edited.
//   - The balance never goes negative: the code checks, and the SQL
//     stores debit with one conditional statement in the same transaction
//     as the entry, behind CHECK constraints.
//
// # Errors
//
// Every error of a Ledger names the operation once ("metering: authorize:
// insufficient credits") and answers errcode.Of: the outcomes above with
// their own codes and sentinels (errors.Is(err, ErrInsufficientCredits)),
// bad arguments with invalid_argument ([ErrInvalid]), a cancelled context
// with canceled, and a database that failed or timed out (a dropped
// connection, a read-only or full disk, a server that does not answer)
// with billing_failure, errcode.Unavailable in its chain
// (errors.Is(err, errcode.Unavailable)) — retry later; every write is
// idempotent. The pipeline passes these codes on unchanged.
//
// # Idempotency keys
//
// One key, one outcome, for a while. Authorize with a key that was
// captured within the replay window (Options.ReplayWindow, 24 hours by
// default) returns the original hold with Settled set: the caller does
// the work again (its result was not kept) but is not charged. After the
// window the same key is a new event, held and charged again, with a
// usage record of its own: idempotency stops accidental double charges
// (retries, crashes, duplicate submissions), not deliberate re-runs. A
// key with a live hold fails with [ErrInProgress] (another worker, or a
// crashed one whose hold has not yet expired, has it); the pipeline fails
// that file without charging, and a later run succeeds once the hold is
// settled or expired.
// A key whose hold was voided or expired can be held anew.
//
// Holds that were not captured — failed (voided), expired, or still open
// — are kept, naming no file, until a purge deletes them (which also
// releases holds a crashed worker left open on an account that never
// authorized again); [Ledger.Attempts] lists them for a data subject's
// export.
//
// A hold that expired before Capture is still captured if the account's
// available credits cover the charge (the work was done); otherwise
// Capture fails with [ErrHoldExpired] and charges nothing. A hold whose key
// was re-authorized after it expired can no longer void or capture the
// newer hold.
//
// # Refunds and disputes
//
// A top-up keeps the money paid for it ([TopUp].Amount and Currency, in
// the currency's minor unit) as the bookkeeping record of the sale. When
// that payment is refunded, or lost in a dispute, [Ledger.Reverse] takes
// its credits back as a [KindReversal] entry, once per refund or dispute
// id (Reversal.Key), and never more in total than the top-up credited: a
// reversal asking for more is cut to what is left, one finding nothing
// left is recorded with 0 credits.
//
// The balance is never negative. A reversal takes only what the account
// has available (its credits less open holds); what was already spent is
// added to Balance.Owed. While Owed is above zero the account is blocked:
// Authorize of more than 0 credits fails with [ErrAccountBlocked] (code
// insufficient_credits, like a lack of credits), so nothing more is
// spent on credits that were not paid for. The account stays blocked
// until settled: each later top-up first pays what is owed, in the same
// transaction as the top-up, with a KindReversal entry whose Ref is the top-up's
// payment reference followed by "/owed", and only the rest becomes
// available. Purges and EraseUsage keep Owed and the reversal entries;
// the history still adds up to the balance. A reversal of a top-up that
// retention purged fails with [ErrUnknownPayment].
//
// # Pricing
//
// Prices are a policy the embedder sets: a [Pricer], usually a [Pricing]
// table of per-task and per-media-type base prices plus a rate per started
// minute (or other unit) of video and audio, all in whole credits.
//
// # Retention, legal holds and erasure
//
// Usage records and top-ups are kept apart. [Ledger.Purge] deletes old
// usage records, dead holds and, when asked, old top-ups, in batches (one
// transaction each), folding what it deletes into a per-account rollup so
// that the history still adds up to the balance; package retention turns a
// policy into its cutoffs. One purge runs at a time across the processes
// sharing a database ([ErrSweepInProgress] for the others), and a dry run
// counts instead of deleting. Accounts under a legal hold
// ([Ledger.SetLegalHold]) are skipped by purges and refused by
// [Ledger.EraseUsage] ([ErrLegalHold]).
//
// Once a usage record is purged its idempotency key is forgotten, so a
// replay of a purged key would be charged again: set Options.RefuseBefore
// to the retention cutoff (retention.Policy.Cutoff) and Capture refuses
// events older than the window with [ErrEventTooOld]. A purged top-up's
// payment reference is forgotten too, so a payment redelivered after the
// purge would credit again; the Ledger stamps top-ups with its own clock,
// so it cannot tell such a replay by its time, and the period (at least
// seven full calendar years) must outlast any redelivery window of the
// payment provider.
//
// # Concurrency
//
// A Ledger, Discard, Multi over safe hooks and Pricing are safe for
// concurrent use. Close a Ledger once, after its last call.
package metering
