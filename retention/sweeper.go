package retention

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

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

// Sweeper purges usage records that have outlived the policy, in batches,
// folding their debits into each account's rollup so that balances do not
// change, and then the holds of failed or abandoned attempts that can no
// longer settle (metering.Store.PurgeHolds), giving back the credits of
// holds a crashed worker left open. Accounts under a legal hold are
// skipped. When Policy.TopUpYears is set it then purges the top-ups whose
// retention has ended (metering.Store.PurgeTopUps), folding their credits
// into the same rollup; by default top-ups are never touched. Only one sweep runs at a time across all processes sharing the
// store when the store implements metering.SweepLocker (pgstore and
// sqlitestore do).
//
// Set its fields before the first Sweep and do not change them after; a
// Sweeper is then safe for concurrent use (concurrent sweeps on a store
// with a sweep lock return ErrSweepInProgress but one).
type Sweeper struct {
	// Store holds the usage records. Required.
	Store metering.Store
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
	// one, where the lock does not die with its holder; DefaultLease when
	// zero. Keep it longer than a sweep takes.
	Lease time.Duration
	// Logger receives one record per batch (debug) and per sweep (info);
	// nothing is logged when nil. Records carry counts and account
	// identifiers, never file names.
	Logger *slog.Logger
}

// SweepOptions tune one sweep. The zero value sweeps now.
type SweepOptions struct {
	// DryRun counts what would be purged and deletes nothing.
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

// Sweep purges the usage records recorded before Policy.Cutoff(as of),
// in batches of BatchSize, under the store's sweep lock, then the dead
// holds, then, when Policy.TopUpYears is set, the top-ups paid before
// Policy.TopUpCutoff(as of). When another
// sweep holds the lock it returns a Report with Skipped set and
// ErrSweepInProgress. A cancelled ctx stops it between batches; what was
// purged stays purged and balances stay consistent, since each batch is
// one transaction.
func (s *Sweeper) Sweep(ctx context.Context, opt SweepOptions) (Report, error) {
	if s.Store == nil {
		return Report{}, fmt.Errorf("%w: no store", ErrInvalidPolicy)
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
	counter, canCount := s.Store.(metering.PurgeCounter)
	topUpCounter, canCountTopUps := s.Store.(metering.TopUpPurgeCounter)
	if r.TopUpCutoff.IsZero() {
		canCountTopUps = false
	} else {
		canCount = canCount && canCountTopUps
	}
	if opt.DryRun {
		if !canCount {
			return r, ErrDryRunUnsupported
		}
		err := s.count(ctx, counter, &r)
		if err == nil && canCountTopUps {
			err = s.countTopUps(ctx, topUpCounter, &r)
		}
		r.Purged, r.TopUpsPurged = 0, 0
		for _, a := range r.Accounts {
			r.Purged += a.Records
		}
		for _, a := range r.TopUpAccounts {
			r.TopUpsPurged += a.Records
		}
		s.log(ctx, r)
		return r, err
	}
	run := func(ctx context.Context) error {
		if canCount {
			if err := s.count(ctx, counter, &r); err != nil {
				return err
			}
			if canCountTopUps {
				if err := s.countTopUps(ctx, topUpCounter, &r); err != nil {
					return err
				}
			}
		}
		return s.purge(ctx, &r)
	}
	locker, ok := s.Store.(metering.SweepLocker)
	if !ok {
		err := run(ctx)
		s.log(ctx, r)
		return r, err
	}
	lease := s.Lease
	if lease == 0 {
		lease = DefaultLease
	}
	locked, err := locker.WithSweepLock(ctx, now, lease, run)
	if err == nil && !locked {
		r.Skipped = ErrSweepInProgress.Error()
		err = ErrSweepInProgress
	}
	s.log(ctx, r)
	return r, err
}

func (s *Sweeper) count(ctx context.Context, c metering.PurgeCounter, r *Report) error {
	counts, err := c.CountPurgeable(ctx, r.Cutoff)
	if err != nil {
		return fmt.Errorf("retention: count: %w", err)
	}
	for _, c := range counts {
		if c.LegalHold {
			r.SkippedHeld = append(r.SkippedHeld, c.Account)
			continue
		}
		r.Accounts = append(r.Accounts, AccountReport{Account: c.Account, Records: c.Records, Credits: c.Credits})
	}
	return nil
}

func (s *Sweeper) countTopUps(ctx context.Context, c metering.TopUpPurgeCounter, r *Report) error {
	counts, err := c.CountPurgeableTopUps(ctx, r.TopUpCutoff)
	if err != nil {
		return fmt.Errorf("retention: count top-ups: %w", err)
	}
	for _, c := range counts {
		if c.LegalHold {
			if !slices.Contains(r.SkippedHeld, c.Account) {
				r.SkippedHeld = append(r.SkippedHeld, c.Account)
			}
			continue
		}
		r.TopUpAccounts = append(r.TopUpAccounts, AccountReport{Account: c.Account, Records: c.Records, Credits: c.Credits})
	}
	slices.Sort(r.SkippedHeld)
	return nil
}

// purge deletes usage records, then dead holds, then (when the policy
// allows) top-ups, batch after batch until a batch deletes nothing. A batch deleting fewer than BatchSize does not
// end the sweep: a store may select a full batch and delete less (an
// account put under a legal hold meanwhile) while other records remain.
func (s *Sweeper) purge(ctx context.Context, r *Report) error {
	batch := s.BatchSize
	if batch == 0 {
		batch = DefaultBatchSize
	}
	maxBatches := s.MaxBatches
	if maxBatches == 0 {
		maxBatches = DefaultMaxBatches
	}
	type step struct {
		what   string
		purge  func(context.Context, time.Time, int) (int, error)
		cutoff time.Time
		total  *int
	}
	steps := []step{
		{"usage", s.Store.PurgeUsage, r.Cutoff, &r.Purged},
		{"holds", s.Store.PurgeHolds, r.Cutoff, &r.Holds},
	}
	if !r.TopUpCutoff.IsZero() {
		steps = append(steps, step{"topups", s.Store.PurgeTopUps, r.TopUpCutoff, &r.TopUpsPurged})
	}
	for _, step := range steps {
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			if r.Batches >= maxBatches {
				r.Incomplete = true
				return nil
			}
			n, err := step.purge(ctx, step.cutoff, batch)
			if err != nil {
				return fmt.Errorf("retention: purge %s: %w", step.what, err)
			}
			r.Batches++
			*step.total += n
			if s.Logger != nil {
				s.Logger.DebugContext(ctx, "retention: purge batch", "batch", r.Batches, "kind", step.what, "purged", n)
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

func (s *Sweeper) log(ctx context.Context, r Report) {
	if s.Logger == nil {
		return
	}
	s.Logger.InfoContext(ctx, "retention: sweep", "as_of", r.AsOf, "cutoff", r.Cutoff, "dry_run", r.DryRun,
		"purged", r.Purged, "holds", r.Holds, "topups_purged", r.TopUpsPurged, "batches", r.Batches, "incomplete", r.Incomplete, "skipped_held", len(r.SkippedHeld), "skipped", r.Skipped)
}
