package pgstore

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/picfre/picfre/metering/driver"
)

var (
	_ driver.PurgeCounter      = (*store)(nil)
	_ driver.SweepLocker       = (*store)(nil)
	_ driver.TopUpPurgeCounter = (*store)(nil)
)

// sweepLockClass is the first key of the sweep's advisory lock; the second
// is a hash of the schema, so that ledgers in different schemas of one
// database sweep independently.
const sweepLockClass int32 = 0x70696373 // "pics"

// CountPurgeable implements driver.PurgeCounter. It reads one snapshot.
func (s *store) CountPurgeable(ctx context.Context, before time.Time) (_ []driver.PurgeCount, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	rows, err := s.pool.Query(ctx, `SELECT u.account, COUNT(*), COALESCE(SUM(u.credits), 0)::bigint, a.legal_hold
		FROM usage u JOIN accounts a ON a.account = u.account
		WHERE u.created_at < $1 GROUP BY u.account, a.legal_hold ORDER BY u.account`, before)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (driver.PurgeCount, error) {
		var c driver.PurgeCount
		var n int64
		err := r.Scan(&c.Account, &n, &c.Credits, &c.LegalHold)
		c.Records = int(n)
		return c, err
	})
}

// WithSweepLock implements driver.SweepLocker with a session advisory
// lock (pg_try_advisory_lock) on a connection set aside for the sweep. The
// lock dies with the session, so a crashed sweeper never blocks the next
// one; now and lease are ignored.
func (s *store) WithSweepLock(ctx context.Context, _ time.Time, _ time.Duration, fn func(ctx context.Context) error) (bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`,
		sweepLockClass).Scan(&locked); err != nil {
		return false, err
	}
	if !locked {
		return false, nil
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(rctx, `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, sweepLockClass); err != nil {
			// Ending the session releases the lock.
			_ = conn.Conn().Close(rctx)
		}
	}()
	return true, fn(ctx)
}

// CountPurgeableTopUps implements driver.TopUpPurgeCounter. It reads one
// snapshot.
func (s *store) CountPurgeableTopUps(ctx context.Context, paidBefore time.Time) (_ []driver.PurgeCount, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	rows, err := s.pool.Query(ctx, `SELECT t.account, COUNT(*), COALESCE(SUM(t.credits), 0)::bigint, a.legal_hold
		FROM topups t JOIN accounts a ON a.account = t.account
		WHERE t.created_at < $1 GROUP BY t.account, a.legal_hold ORDER BY t.account`, paidBefore)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (driver.PurgeCount, error) {
		var c driver.PurgeCount
		var n int64
		err := r.Scan(&c.Account, &n, &c.Credits, &c.LegalHold)
		c.Records = int(n)
		return c, err
	})
}

// PurgeTopUps implements driver.Store: one transaction selects the
// oldest top-ups paid before paidBefore, locks their accounts in name
// order (skipping one put under a legal hold meanwhile), deletes them and
// adds their credits to account_rollup.purged_credits. Their payment
// references are forgotten.
func (s *store) PurgeTopUps(ctx context.Context, paidBefore time.Time, limit int) (_ int, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	n := 0
	err = s.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		seqs, names, err := selectSeqAccounts(ctx, tx, `SELECT t.seq, t.account FROM topups t JOIN accounts a ON a.account = t.account
			WHERE t.created_at < $1 AND NOT a.legal_hold ORDER BY t.seq LIMIT $2`, paidBefore, limit)
		if err != nil || len(seqs) == 0 {
			return err
		}
		slices.Sort(names)
		names = slices.Compact(names)
		lrows, err := tx.Query(ctx, `SELECT account FROM accounts WHERE account = ANY($1)
			AND NOT legal_hold ORDER BY account FOR UPDATE`, names)
		if err != nil {
			return err
		}
		open, err := pgx.CollectRows(lrows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		drows, err := tx.Query(ctx, `DELETE FROM topups WHERE seq = ANY($1) AND account = ANY($2)
			RETURNING account, credits, created_at`, seqs, open)
		if err != nil {
			return err
		}
		folds := map[string]fold{}
		for drows.Next() {
			var account string
			var credits int64
			var at time.Time
			if err := drows.Scan(&account, &credits, &at); err != nil {
				drows.Close()
				return err
			}
			f := folds[account]
			f.debits += credits // credits, here
			f.count++
			if at.After(f.through) {
				f.through = at
			}
			folds[account] = f
			n++
		}
		drows.Close()
		if err := drows.Err(); err != nil {
			return err
		}
		for _, account := range open {
			f, ok := folds[account]
			if !ok {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO account_rollup (account, purged_through, purged_credits, purged_topups, purged_topups_through)
				VALUES ($1, 'epoch', $2, $3, $4) ON CONFLICT (account) DO UPDATE SET
					purged_credits = account_rollup.purged_credits + excluded.purged_credits,
					purged_topups = account_rollup.purged_topups + excluded.purged_topups,
					purged_topups_through = GREATEST(account_rollup.purged_topups_through, excluded.purged_topups_through)`,
				account, f.debits, f.count, f.through); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
