// Package meteringtest is the conformance suite every ledger store (a
// driver.Store) passes, in the style of gocloud's drivertest: one subtest
// per behaviour, run through the public [metering.Ledger] API over the
// store, with driver-level checks only where the Ledger cannot reach.
//
// # Using it
//
// A store's tests call [RunConformanceTests] with a function that makes an
// empty store, and [RunProcessTests] from a top-level test with a
// [ProcessHarness] that shares one ledger between OS processes. The
// process tests re-execute the test binary (os.Args[0]) with EnvRole set,
// so the same top-level test plays the child's part. Benchmarks use
// [BenchAuthorizeCapture]; other packages' tests check a ledger's books
// with [ReconcileAccount] and drive time with [Clock].
//
// # What it checks
//
// Top-up idempotency and conflicts, validation, insufficient credits,
// capture exactly once and at most the amount held, voids and their
// reasons, settled replays, keys in progress, hold expiry on an injected
// [Clock], capture after expiry, superseded holds, refunds and
// adjustments, history order, usage events that round-trip exactly,
// cancelled contexts, 16 goroutines racing for one balance (never
// negative, successes equal what the balance allowed, balance = top-ups -
// captures), purges in batches that keep the balance, dry runs, the sweep
// lock against a second purge, legal holds, export and erasure, the
// listing of uncharged attempts, the purge of dead holds (stuck open ones
// give their credits back) and of old top-ups, the code and message of
// every outcome, and Close; and with processes: 4 processes racing for
// one balance, a process that SIGKILLs itself between authorize and
// capture, and one killed by its parent in the middle of a batch, after
// which a rerun with the same keys charges nobody twice.
package meteringtest
