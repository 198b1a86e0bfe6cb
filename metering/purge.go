package metering

import (
	"context"
	"log/slog"
	"time"

	"github.com/picfre/picfre/metering/driver"
)

// Purge asks [Ledger.Purge] to delete records that have served their
// retention period. Package retention computes the cutoffs from a policy
// (retention.Sweeper); every field but TopUpsBefore, DryRun and Logger is
// required.
type Purge struct {
	// UsageBefore: usage records recorded before it are deleted, and so
	// are the holds that can no longer settle — voided and expired ones
	// made before it, and open ones (left by a crashed worker) whose
	// expiry is before it, whose credits are given back.
	UsageBefore time.Time
	// TopUpsBefore, when not zero, deletes the top-ups recorded before it
	// too, after the usage records and holds. Their payment references
	// are forgotten with them, so a payment redelivered after the purge
	// would credit again: the period must outlast any redelivery window
	// of the payment provider (retention keeps at least seven years).
	TopUpsBefore time.Time
	// DryRun counts what would be deleted and deletes nothing.
	DryRun bool
	// BatchSize bounds the records one transaction deletes.
	BatchSize int
	// MaxBatches bounds the transactions of one purge, so that it ends
	// even while records keep becoming purgeable; a purge that reaches it
	// sets PurgeReport.Incomplete, and the next one goes on.
	MaxBatches int
	// Lease bounds how long the sweep lock of a purge whose process
	// crashed blocks the next one, where the lock does not die with its
	// holder (SQLite). Keep it longer than a purge takes.
	Lease time.Duration
	// Logger, when set, receives one debug record per batch (counts, no
	// account).
	Logger *slog.Logger
}

// PurgeCount is what a purge deletes, or would delete, from one account:
// the records recorded before the cutoff and their credits. An account
// under a legal hold is listed with LegalHold set; its records are kept.
type PurgeCount struct {
	Account   string
	Records   int
	Credits   int64
	LegalHold bool
}

// PurgeReport says what a purge did.
type PurgeReport struct {
	// Usage is the number of usage records deleted; in a dry run, of
	// those that would be (accounts under a legal hold not counted).
	Usage int
	// Holds is the number of dead holds deleted; 0 in a dry run.
	Holds int
	// TopUps is the number of top-ups deleted (in a dry run, that would
	// be); 0 when TopUpsBefore was zero.
	TopUps int
	// UsageAccounts and TopUpAccounts list, per account in name order,
	// the records found before the cutoffs when the purge began (under
	// the sweep lock), accounts under a legal hold included. They are
	// empty when the store cannot count (see driver.PurgeCounter).
	UsageAccounts []PurgeCount
	TopUpAccounts []PurgeCount
	// Batches is the number of delete transactions run.
	Batches int
	// Incomplete is true when the purge stopped at MaxBatches while
	// batches were still deleting records.
	Incomplete bool
}

// Purge deletes the usage records and dead holds older than
// p.UsageBefore and, when p.TopUpsBefore is set, the top-ups older than
// that, batch after batch (each one transaction) until a batch deletes
// nothing, folding the credits of what it deletes into each account's
// rollup so that no balance changes and History still adds up. Accounts
// under a legal hold are skipped.
//
// One purge runs at a time across every process sharing the store, when
// the store has a sweep lock (sqlitestore and pgstore do): while another
// holds it, Purge does nothing and fails with ErrSweepInProgress. A dry
// run takes no lock; it fails with ErrDryRunUnsupported on a store that
// cannot count. A cancelled ctx stops the purge between batches; what was
// deleted stays deleted and the report says how much.
//
// A purged usage record takes its idempotency key with it, so set
// Options.RefuseBefore to the usage cutoff of the policy, or a late retry
// of a purged event would be charged again.
func (l *Ledger) Purge(ctx context.Context, p Purge) (PurgeReport, error) {
	const op = "purge"
	switch {
	case p.UsageBefore.IsZero():
		return PurgeReport{}, wrap(op, invalid("the usage cutoff is zero"))
	case p.BatchSize <= 0:
		return PurgeReport{}, wrap(op, invalid("the batch size must be positive"))
	case p.MaxBatches <= 0:
		return PurgeReport{}, wrap(op, invalid("the batch limit must be positive"))
	case p.Lease <= 0:
		return PurgeReport{}, wrap(op, invalid("the lease must be positive"))
	}
	p.UsageBefore = Normalize(p.UsageBefore)
	if !p.TopUpsBefore.IsZero() {
		p.TopUpsBefore = Normalize(p.TopUpsBefore)
	}
	if err := l.enter(); err != nil {
		return PurgeReport{}, wrap(op, err)
	}
	defer l.leave()

	counter, canCount := l.d.(driver.PurgeCounter)
	topUpCounter, canCountTopUps := l.d.(driver.TopUpPurgeCounter)
	if p.TopUpsBefore.IsZero() {
		canCountTopUps = false
	} else {
		canCount = canCount && canCountTopUps
	}
	var r PurgeReport
	count := func(ctx context.Context) error {
		if !canCount {
			return nil
		}
		counts, err := counter.CountPurgeable(ctx, p.UsageBefore)
		if err != nil {
			return err
		}
		r.UsageAccounts = fromDriverCounts(counts)
		if canCountTopUps {
			counts, err := topUpCounter.CountPurgeableTopUps(ctx, p.TopUpsBefore)
			if err != nil {
				return err
			}
			r.TopUpAccounts = fromDriverCounts(counts)
		}
		return nil
	}
	if p.DryRun {
		if !canCount {
			return r, wrap(op, ErrDryRunUnsupported)
		}
		if err := count(ctx); err != nil {
			return r, wrap(op, err)
		}
		r.Usage, r.TopUps = purgeable(r.UsageAccounts), purgeable(r.TopUpAccounts)
		return r, nil
	}
	run := func(ctx context.Context) error {
		if err := count(ctx); err != nil {
			return err
		}
		return l.purge(ctx, p, &r)
	}
	locker, ok := l.d.(driver.SweepLocker)
	if !ok {
		return r, wrap(op, run(ctx))
	}
	locked, err := locker.WithSweepLock(ctx, l.now(), p.Lease, run)
	if err == nil && !locked {
		err = ErrSweepInProgress
	}
	return r, wrap(op, err)
}

// purge runs the batches: usage records, then dead holds, then (when
// asked) top-ups, each until a batch deletes nothing. A batch deleting
// fewer than BatchSize does not end a step: a store may select a full
// batch and delete less (an account put under a legal hold meanwhile)
// while other records remain.
func (l *Ledger) purge(ctx context.Context, p Purge, r *PurgeReport) error {
	type step struct {
		what   string
		purge  func(context.Context, time.Time, int) (int, error)
		cutoff time.Time
		total  *int
	}
	steps := []step{
		{"usage", l.d.PurgeUsage, p.UsageBefore, &r.Usage},
		{"holds", l.d.PurgeHolds, p.UsageBefore, &r.Holds},
	}
	if !p.TopUpsBefore.IsZero() {
		steps = append(steps, step{"topups", l.d.PurgeTopUps, p.TopUpsBefore, &r.TopUps})
	}
	for _, s := range steps {
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			if r.Batches >= p.MaxBatches {
				r.Incomplete = true
				return nil
			}
			n, err := s.purge(ctx, s.cutoff, p.BatchSize)
			if err != nil {
				return err
			}
			r.Batches++
			*s.total += n
			if p.Logger != nil {
				p.Logger.DebugContext(ctx, "metering: purge batch", "batch", r.Batches, "kind", s.what, "purged", n)
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

func fromDriverCounts(cs []driver.PurgeCount) []PurgeCount {
	out := make([]PurgeCount, len(cs))
	for i, c := range cs {
		out[i] = PurgeCount(c)
	}
	return out
}

// purgeable sums the records of the accounts not under a legal hold.
func purgeable(cs []PurgeCount) int {
	n := 0
	for _, c := range cs {
		if !c.LegalHold {
			n += c.Records
		}
	}
	return n
}
