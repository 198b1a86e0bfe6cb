package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/store"
)

const retentionUsage = `usage:
  picfre retention sweep [--dry-run] [--as-of TIME] [--usage-months N] [--topup-years N] [--batch N] [--allow-future] [--ledger DSN]
  picfre retention hold --account A [--off] [--ledger DSN]

sweep purges usage records (file name and time of each processed file)
older than the retention period (three calendar months by default), in
batches, folding their debits into each account's rollup so that balances
do not change. Top-ups are kept forever unless --topup-years N is given
(N at least 7, the legal floor): a top-up is then kept until the end of
the Nth calendar year after the year of payment and purged after, its
credits folded into the rollup and its payment reference forgotten (a
payment replayed after that would credit again). Accounts under a legal
hold are skipped. --as-of sweeps as if the time were TIME (RFC 3339); a sweep that
deletes as of a future time needs --allow-future. --dry-run reports what
would be purged. Only one sweep runs at a time per ledger; another one
reports "another sweep is running" and exits 0. The report is JSON.

hold places (or with --off lifts) a legal hold on an account: its records
are kept by sweeps and erasure until it is lifted.

The ledger DSN is sqlite:PATH or a postgres:// URL; default: ` + defaultLedgerDSN + `.
`

// runRetention runs "picfre retention SUBCOMMAND [flags]".
func runRetention(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, retentionUsage)
		return usagef("retention: missing subcommand")
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("picfre retention "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, retentionUsage) }
	ledgerDSN := fs.String("ledger", defaultLedgerDSN, "ledger DSN: sqlite:PATH or postgres://...")
	var (
		dryRun, allowFuture, off  *bool
		asOf, account             *string
		months, batch, topUpYears *int
	)
	switch sub {
	case "sweep":
		dryRun = fs.Bool("dry-run", false, "report what would be purged; delete nothing")
		asOf = fs.String("as-of", "", "sweep as if the time were this RFC 3339 time (default: now)")
		months = fs.Int("usage-months", retention.DefaultUsageMonths, "calendar months usage records are kept")
		topUpYears = fs.Int("topup-years", 0, fmt.Sprintf("purge top-ups after the end of the Nth calendar year after the year of payment (0 keeps them forever; at least %d)", retention.LegalTopUpYears))
		batch = fs.Int("batch", retention.DefaultBatchSize, "records deleted per transaction")
		allowFuture = fs.Bool("allow-future", false, "allow a deleting sweep as of a future time")
	case "hold":
		account = fs.String("account", "", "account identifier")
		off = fs.Bool("off", false, "lift the legal hold")
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, retentionUsage)
		return nil
	default:
		fmt.Fprint(e.stderr, retentionUsage)
		return usagef("retention: unknown subcommand %q", sub)
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usagef("retention %s: %v", sub, err)
	}
	if fs.NArg() > 0 {
		return usagef("retention %s: unexpected argument %q", sub, fs.Arg(0))
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if sub == "hold" {
		if *account == "" {
			return usagef("retention hold: --account is required")
		}
		db, err := store.Open(ctx, *ledgerDSN, store.Options{})
		if err != nil {
			return fmt.Errorf("retention hold: open ledger: %w", err)
		}
		defer db.Close()
		if err := db.Ledger().SetLegalHold(ctx, *account, !*off); err != nil {
			return fmt.Errorf("retention hold: %w", err)
		}
		on, err := db.Ledger().LegalHold(ctx, *account)
		if err != nil {
			return fmt.Errorf("retention hold: %w", err)
		}
		return enc.Encode(struct {
			Account   string `json:"account"`
			LegalHold bool   `json:"legal_hold"`
		}{*account, on})
	}

	var opt retention.SweepOptions
	opt.DryRun, opt.AllowFuture = *dryRun, *allowFuture
	if *asOf != "" {
		t, err := time.Parse(time.RFC3339Nano, *asOf)
		if err != nil {
			return usagef("retention sweep: --as-of must be an RFC 3339 time such as 2025-04-15T00:00:00Z")
		}
		opt.AsOf = t
	}
	if *months <= 0 || *batch <= 0 {
		return usagef("retention sweep: --usage-months and --batch must be positive")
	}
	policy := retention.Policy{UsageMonths: *months, TopUpYears: *topUpYears}
	if err := policy.Validate(); err != nil {
		return usagef("retention sweep: --topup-years must be 0 (keep top-ups forever) or at least %d", retention.LegalTopUpYears)
	}
	db, err := store.Open(ctx, *ledgerDSN, store.Options{})
	if err != nil {
		return fmt.Errorf("retention sweep: open ledger: %w", err)
	}
	defer db.Close()
	sw := &retention.Sweeper{Ledger: db.Ledger(), Policy: policy, BatchSize: *batch}
	r, err := sw.Sweep(ctx, opt)
	switch {
	case errors.Is(err, retention.ErrSweepInProgress):
		fmt.Fprintln(e.stderr, "picfre: retention sweep: another sweep is running; nothing done")
	case errors.Is(err, retention.ErrFutureAsOf):
		return usagef("retention sweep: --as-of is in the future; use --dry-run, or --allow-future when no ledger is live")
	case err != nil:
		return fmt.Errorf("retention sweep: %w", err)
	}
	return enc.Encode(r)
}
