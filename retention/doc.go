// Package retention keeps the service's promises about how long records
// live: usage records and job records three calendar months, top-ups
// (payment records) kept, content and generated metadata not kept after
// processing (a job's results only until fetched, at most for the job
// service's result lifetime).
//
// # Policy
//
// A [Policy] holds the period of each kind of record. Usage records are
// kept [DefaultUsageMonths] calendar months; top-ups indefinitely, or, when
// Policy.TopUpYears is set, until the end of that many calendar years after
// the year of payment, which may not be less than the legal floor
// [LegalTopUpYears] (Swedish bookkeeping law: the end of the seventh year
// after the calendar year). The records of jobs ([KindJob]: names, times,
// states, codes) are kept like usage records. Content has no period: the
// pipeline never stores it, and the job service deletes an upload once
// its file is processed; a job's results ([KindResult]) are held until
// fetched or the job service's result lifetime ends.
//
// # Calendar months
//
// [AddMonths] moves a time by calendar months and clamps to the last day
// of the month (EU Regulation 1182/71, art. 3): 31 May − 3 months is 28
// February (29 in a leap year), where time.Time.AddDate would give 3 March.
// [Policy.UsageExpires] counts a record's period as the Regulation does —
// the day of recording is not counted, the period ends with the last hour
// of the matching (or clamped) day — and [Policy.Cutoff] turns that into
// the one instant a sweep compares recording times with: a record recorded
// before Cutoff(now) has served its period.
//
// # Sweeping
//
// A [Sweeper] computes the cutoffs of its Policy as of a time and has the
// ledger delete (metering.Ledger.Purge) the usage records older than the
// usage cutoff, in batches (one transaction each), folding their debits
// into a per-account rollup so that every balance, and the sum of every
// account's history, stay exactly as they were. Accounts under a legal
// hold (metering.Ledger.SetLegalHold) are skipped until the hold is
// lifted; holds have no expiry of their own. Batches go on until one
// deletes nothing (bounded by Sweeper.MaxBatches). The sweep then deletes
// the holds of attempts that were never charged — failed, expired, or
// left open by a crashed worker — giving the credits of open ones back.
// Top-ups are kept indefinitely by default; when Policy.TopUpYears is set,
// the sweep last deletes the top-ups whose TopUpKeptUntil is not after the
// sweep's time, folding their credits into the same rollup. A dry run
// counts what a sweep would delete; SweepOptions.AsOf runs the sweep as of
// another time. Finally the sweep has each of Sweeper.Also (a [Purger],
// such as a jobs.Service) delete its records older than the usage cutoff
// (Report.AlsoPurged).
//
// Several service instances may run the sweeper on one database: under
// the store's sweep lock (a PostgreSQL advisory lock, or a lease row
// claimed in an immediate SQLite transaction) only one sweeps at a time;
// the others return [ErrSweepInProgress] and do nothing.
//
// # Late events
//
// A purged usage record takes its idempotency key with it, so a late
// retry of that event would be charged again. Set
// metering.Options.RefuseBefore to Policy.Cutoff: the ledger then refuses
// (metering.ErrEventTooOld) any event older than the window. A sweep that
// deletes as of a future time is refused ([ErrFutureAsOf]) for the same
// reason.
//
// # Concurrency
//
// Policy and AddMonths are pure; a Sweeper whose fields are not changed
// after first use is safe for concurrent use.
package retention
