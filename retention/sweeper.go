package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
)

// DefaultBatchSize is how many usage records one purge transaction deletes
// when Sweeper.BatchSize is zero.
const DefaultBatchSize = 500

// DefaultMaxBatches bounds the purge transactions of one sweep when
// Sweeper.MaxBatches is zero.
const DefaultMaxBatches = 100_000

// DefaultLease is how long a sweep lock left by a crashed sweeper blocks
// the next sweep (SQLite only) when Sweeper.Lease is zero.
const DefaultLease = 15 * time.Minute

// Sweeper applies a Policy to a ledger: it computes the cutoffs as of a
// time and has the Ledger purge (metering.Ledger.Purge) the usage records
// that have outlived the policy, then the holds of failed or abandoned
// attempts that can no longer settle (giving back the credits of holds a
// crashed worker left open), and, when Policy.TopUpYears is set, the
// top-ups whose retention has ended; by default top-ups are never
// touched. Everything purged is folded into each account's rollup, so no
// balance changes. Accounts under a legal hold are skipped. Only one sweep
// runs at a time across all processes sharing the ledger's database
// (SQLite and PostgreSQL).
//
// Set its fields before the first Sweep and do not change them after; a
// Sweeper is then safe for concurrent use (concurrent sweeps on one
// database return ErrSweepInProgress but one).
type Sweeper struct {
	// Ledger holds the records. Required.
	Ledger *metering.Ledger
	// Policy says how long usage records (and, when TopUpYears is set,
	// top-ups) are kept.
	Policy Policy
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// BatchSize bounds the records one transaction deletes;
	// DefaultBatchSize when zero.
	BatchSize int
	// MaxBatches bounds the purge transactions of one sweep, so that a
	// sweep ends even while records keep becoming purgeable (a sweep as
	// of a future time under load); DefaultMaxBatches when zero. A sweep
	// that reaches it sets Report.Incomplete; the next sweep goes on.
	MaxBatches int
	// Lease bounds how long the lock of a crashed sweep blocks the next
	// one, where the lock does not die with its holder (SQLite);
	// DefaultLease when zero. Keep it longer than a sweep takes.
	Lease time.Duration
	// Also are other stores of records kept as long as usage records —
	// the job records of a jobs.Service — that each sweep purges after
	// the ledger, with the same cutoff (Report.Cutoff) and dry-run flag.
	// Each must skip the accounts under a legal hold itself.
	Also []Purger
	// Logger receives one record per batch (debug) and per sweep (info);
	// nothing is logged when nil. Records carry counts, never file names
	// or accounts.
	Logger *slog.Logger
}

// Purger deletes the records kept as long as usage records that were
// created before cutoff, or counts them in a dry run, and returns how
// many; accounts under a legal hold are skipped. (*jobs.Service) is one.
// PurgeRecords is called by one sweep at a time per Sweeper, and must be
// safe to call from several processes at once.
type Purger interface {
	PurgeRecords(ctx context.Context, cutoff time.Time, dryRun bool) (int, error)
}

// SweepOptions tune one sweep. The zero value sweeps now.
type SweepOptions struct {
	// DryRun counts what would be purged and deletes nothing; it fails
	// with metering.ErrDryRunUnsupported on a store that cannot count.
	DryRun bool
	// AsOf sweeps as if the time were AsOf (the cutoff is computed from
	// it); the clock's now when zero.
	AsOf time.Time
	// AllowFuture lets a sweep that deletes run as of a time after the
	// clock's now; see ErrFutureAsOf.
	AllowFuture bool
}

// AccountReport is what a sweep purged (or would purge) from one account.
type AccountReport struct {
	Account string `json:"account"`
	Records int    `json:"records"`
	Credits int64  `json:"credits"`
}

// Report says what a sweep did.
type Report struct {
	// AsOf is the time the sweep ran as of; Cutoff the recording time
	// before which usage records were purged.
	AsOf   time.Time `json:"as_of"`
	Cutoff time.Time `json:"cutoff"`
	DryRun bool      `json:"dry_run"`
	// Purged is the number of usage records deleted (in a dry run, that
	// would be deleted).
	Purged int `json:"purged"`
	// Accounts lists, per account, the records and credits found before
	// the cutoff when the sweep began (under the sweep lock), not
	// counting held accounts. Empty when the store cannot count.
	Accounts []AccountReport `json:"accounts"`
	// SkippedHeld lists the accounts with records before the cutoff that
	// were kept because of a legal hold.
	SkippedHeld []string `json:"skipped_held"`
	// Holds is the number of holds of failed or abandoned attempts
	// deleted (0 in a dry run).
	Holds int `json:"holds_purged"`
	// TopUpCutoff is the payment time before which top-ups were purged;
	// zero when the policy keeps top-ups indefinitely.
	TopUpCutoff time.Time `json:"topup_cutoff,omitzero"`
	// TopUpsPurged is the number of top-ups deleted (in a dry run, that
	// would be deleted); always 0 when the policy keeps top-ups.
	TopUpsPurged int `json:"topups_purged"`
	// TopUpAccounts lists, per account, the top-ups and their credits
	// found before TopUpCutoff when the sweep began, not counting held
	// accounts (which are in SkippedHeld). Empty when top-ups are kept or
	// the store cannot count.
	TopUpAccounts []AccountReport `json:"topup_accounts"`
	// AlsoPurged is the number of records the Sweeper's Also purgers
	// deleted (in a dry run, would delete), summed.
	AlsoPurged int `json:"also_purged"`
	// Batches is the number of purge transactions run.
	Batches int `json:"batches"`
	// Incomplete is true when the sweep stopped at MaxBatches while
	// batches were still deleting records.
	Incomplete bool `json:"incomplete,omitempty"`
	// Skipped says why nothing was done ("another sweep is running"), or
	// is empty.
	Skipped string `json:"skipped,omitempty"`
}

func (s *Sweeper) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock()
}

// Sweep purges the usage records recorded before Policy.Cutoff(as of)
// and the dead holds, then, when Policy.TopUpYears is set, the top-ups
// paid before Policy.TopUpCutoff(as of), in batches of BatchSize, under
// the database's sweep lock. When another sweep holds the lock it returns
// a Report with Skipped set and an error matching ErrSweepInProgress. A
// cancelled ctx stops it between batches; what was purged stays purged
// and balances stay consistent, since each batch is one transaction.
// Errors of the ledger are returned as the Ledger wrapped them
// ("metering: purge: ...").
func (s *Sweeper) Sweep(ctx context.Context, opt SweepOptions) (Report, error) {
	if s.Ledger == nil {
		return Report{}, fmt.Errorf("%w: no ledger", ErrInvalidPolicy)
	}
	if err := s.Policy.Validate(); err != nil {
		return Report{}, err
	}
	if s.BatchSize < 0 || s.Lease < 0 || s.MaxBatches < 0 {
		return Report{}, fmt.Errorf("%w: negative batch size, lease or batch limit", ErrInvalidPolicy)
	}
	now := metering.Normalize(s.now())
	asOf := now
	if !opt.AsOf.IsZero() {
		asOf = metering.Normalize(opt.AsOf)
	}
	if !opt.DryRun && !opt.AllowFuture && asOf.After(now) {
		return Report{}, ErrFutureAsOf
	}
	r := Report{AsOf: asOf, Cutoff: metering.Normalize(s.Policy.Cutoff(asOf)), DryRun: opt.DryRun,
		Accounts: []AccountReport{}, SkippedHeld: []string{}, TopUpAccounts: []AccountReport{}}
	if c, ok := s.Policy.TopUpCutoff(asOf); ok {
		r.TopUpCutoff = metering.Normalize(c)
	}
	pr, err := s.Ledger.Purge(ctx, metering.Purge{
		UsageBefore:  r.Cutoff,
		TopUpsBefore: r.TopUpCutoff,
		DryRun:       opt.DryRun,
		BatchSize:    cmp.Or(s.BatchSize, DefaultBatchSize),
		MaxBatches:   cmp.Or(s.MaxBatches, DefaultMaxBatches),
		Lease:        cmp.Or(s.Lease, DefaultLease),
		Logger:       s.Logger,
	})
	r.Purged, r.Holds, r.TopUpsPurged, r.Batches, r.Incomplete = pr.Usage, pr.Holds, pr.TopUps, pr.Batches, pr.Incomplete
	r.Accounts, r.SkippedHeld = accounts(pr.UsageAccounts, r.Accounts, r.SkippedHeld)
	r.TopUpAccounts, r.SkippedHeld = accounts(pr.TopUpAccounts, r.TopUpAccounts, r.SkippedHeld)
	slices.Sort(r.SkippedHeld)
	r.SkippedHeld = slices.Compact(r.SkippedHeld)
	if errors.Is(err, ErrSweepInProgress) {
		r.Skipped = "retention: " + ErrSweepInProgress.Error()
	}
	if err == nil {
		err = s.purgeAlso(ctx, &r)
	}
	s.log(ctx, r)
	return r, err
}

// purgeAlso runs the Also purgers with the sweep's cutoff, stopping at
// the first error (the next sweep goes on).
func (s *Sweeper) purgeAlso(ctx context.Context, r *Report) error {
	for _, p := range s.Also {
		n, err := p.PurgeRecords(ctx, r.Cutoff, r.DryRun)
		r.AlsoPurged += n
		if err != nil {
			return errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("retention: purge other records: %w", err))
		}
	}
	return nil
}

// accounts adds the counts of accounts not under a legal hold to out and
// the names of those under one to held.
func accounts(counts []metering.PurgeCount, out []AccountReport, held []string) ([]AccountReport, []string) {
	for _, c := range counts {
		if c.LegalHold {
			held = append(held, c.Account)
			continue
		}
		out = append(out, AccountReport{Account: c.Account, Records: c.Records, Credits: c.Credits})
	}
	return out, held
}

func (s *Sweeper) log(ctx context.Context, r Report) {
	if s.Logger == nil {
		return
	}
	s.Logger.InfoContext(ctx, "retention: sweep", "as_of", r.AsOf, "cutoff", r.Cutoff, "dry_run", r.DryRun,
		"purged", r.Purged, "holds", r.Holds, "topups_purged", r.TopUpsPurged, "also_purged", r.AlsoPurged, "batches", r.Batches, "incomplete", r.Incomplete, "skipped_held", len(r.SkippedHeld), "skipped", r.Skipped)
}
