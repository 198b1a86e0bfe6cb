package sqlitestore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/picfre/picfre/metering"
)

var (
	_ metering.PurgeCounter = (*Store)(nil)
	_ metering.SweepLocker  = (*Store)(nil)
)

// CountPurgeable implements metering.PurgeCounter. It reads one snapshot.
func (s *Store) CountPurgeable(ctx context.Context, before time.Time) ([]metering.PurgeCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.account, COUNT(*), COALESCE(SUM(u.credits), 0), a.legal_hold
		FROM usage u JOIN accounts a ON a.account = u.account
		WHERE u.created_at < ? GROUP BY u.account, a.legal_hold ORDER BY u.account`, us(before))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metering.PurgeCount
	for rows.Next() {
		var c metering.PurgeCount
		if err := rows.Scan(&c.Account, &c.Records, &c.Credits, &c.LegalHold); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// WithSweepLock implements metering.SweepLocker with the sweep_lock row,
// claimed in an immediate transaction when it is absent or its lease
// (now+lease when it was claimed) has run out, and deleted when fn
// returns. A sweeper that crashed leaves the row behind; the next one takes
// it over once the lease has passed. lease must be positive.
func (s *Store) WithSweepLock(ctx context.Context, now time.Time, lease time.Duration, fn func(ctx context.Context) error) (bool, error) {
	if lease <= 0 {
		return false, fmt.Errorf("%w: lease must be positive", metering.ErrInvalid)
	}
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
