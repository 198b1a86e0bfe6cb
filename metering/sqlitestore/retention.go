package sqlitestore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"time"

	"github.com/picfre/picfre/metering/driver"
)

var (
	_ driver.PurgeCounter      = (*store)(nil)
	_ driver.SweepLocker       = (*store)(nil)
	_ driver.TopUpPurgeCounter = (*store)(nil)
)

// CountPurgeable implements driver.PurgeCounter. It reads one snapshot.
func (s *store) CountPurgeable(ctx context.Context, before time.Time) ([]driver.PurgeCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.account, COUNT(*), COALESCE(SUM(u.credits), 0), a.legal_hold
		FROM usage u JOIN accounts a ON a.account = u.account
		WHERE u.created_at < ? GROUP BY u.account, a.legal_hold ORDER BY u.account`, us(before))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.PurgeCount
	for rows.Next() {
		var c driver.PurgeCount
		if err := rows.Scan(&c.Account, &c.Records, &c.Credits, &c.LegalHold); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// WithSweepLock implements driver.SweepLocker with the sweep_lock row,
// claimed in an immediate transaction when it is absent or its lease
// (now+lease when it was claimed) has run out, and deleted when fn
// returns. A sweeper that crashed leaves the row behind; the next one takes
// it over once the lease has passed.
func (s *store) WithSweepLock(ctx context.Context, now time.Time, lease time.Duration, fn func(ctx context.Context) error) (bool, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	owner := hex.EncodeToString(b[:])
	claimed := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		n, err := affected(tx.ExecContext(ctx, `INSERT INTO sweep_lock (id, owner, expires_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
			WHERE sweep_lock.expires_at <= ?`, owner, us(now.Add(lease)), us(now)))
		claimed = n == 1
		return err
	})
	if err != nil || !claimed {
		return false, err
	}
	defer func() {
		// Release even when ctx was cancelled; a failure here only
		// delays the next sweep until the lease runs out.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = s.write(rctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(rctx, `DELETE FROM sweep_lock WHERE owner = ?`, owner)
			return err
		})
	}()
	return true, fn(ctx)
}

// CountPurgeableTopUps implements driver.TopUpPurgeCounter. It reads one
// snapshot.
func (s *store) CountPurgeableTopUps(ctx context.Context, paidBefore time.Time) ([]driver.PurgeCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.account, COUNT(*), COALESCE(SUM(t.credits), 0), a.legal_hold
		FROM topups t JOIN accounts a ON a.account = t.account
		WHERE t.created_at < ? GROUP BY t.account, a.legal_hold ORDER BY t.account`, us(paidBefore))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.PurgeCount
	for rows.Next() {
		var c driver.PurgeCount
		if err := rows.Scan(&c.Account, &c.Records, &c.Credits, &c.LegalHold); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PurgeTopUps implements driver.Store: one immediate transaction deletes
// the oldest top-ups paid before paidBefore of accounts without a legal
// hold and adds their credits to account_rollup.purged_credits. Their
// payment references are forgotten.
func (s *store) PurgeTopUps(ctx context.Context, paidBefore time.Time, limit int) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT t.seq, t.account, t.credits, t.created_at
			FROM topups t JOIN accounts a ON a.account = t.account
			WHERE t.created_at < ? AND a.legal_hold = 0 ORDER BY t.seq LIMIT ?`, us(paidBefore), limit)
		if err != nil {
			return err
		}
		type victim struct {
			seq         int64
			account     string
			credits, at int64
		}
		var vs []victim
		for rows.Next() {
			var v victim
			if err := rows.Scan(&v.seq, &v.account, &v.credits, &v.at); err != nil {
				rows.Close()
				return err
			}
			vs = append(vs, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		folds := map[string]fold{}
		for _, v := range vs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM topups WHERE seq = ?`, v.seq); err != nil {
				return err
			}
			f := folds[v.account]
			f.debits += v.credits // credits, here
			f.count++
			f.through = max(f.through, v.at)
			folds[v.account] = f
		}
		for account, f := range folds {
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_rollup (account, purged_credits, purged_topups, purged_topups_through)
				VALUES (?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET
					purged_credits = purged_credits + excluded.purged_credits,
					purged_topups = purged_topups + excluded.purged_topups,
					purged_topups_through = max(purged_topups_through, excluded.purged_topups_through)`,
				account, f.debits, f.count, f.through); err != nil {
				return err
			}
		}
		n = len(vs)
		return nil
	})
	return n, err
}
