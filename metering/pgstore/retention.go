package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/picfre/picfre/metering"
)

var (
	_ metering.PurgeCounter = (*Store)(nil)
	_ metering.SweepLocker  = (*Store)(nil)
)

// sweepLockClass is the first key of the sweep's advisory lock; the second
// is a hash of the schema, so that ledgers in different schemas of one
// database sweep independently.
const sweepLockClass int32 = 0x70696373 // "pics"

// CountPurgeable implements metering.PurgeCounter. It reads one snapshot.
func (s *Store) CountPurgeable(ctx context.Context, before time.Time) ([]metering.PurgeCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.account, COUNT(*), COALESCE(SUM(u.credits), 0)::bigint, a.legal_hold
		FROM usage u JOIN accounts a ON a.account = u.account
		WHERE u.created_at < $1 GROUP BY u.account, a.legal_hold ORDER BY u.account`, before)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (metering.PurgeCount, error) {
		var c metering.PurgeCount
		var n int64
		err := r.Scan(&c.Account, &n, &c.Credits, &c.LegalHold)
		c.Records = int(n)
		return c, err
	})
}

// WithSweepLock implements metering.SweepLocker with a session advisory
// lock (pg_try_advisory_lock) on a connection set aside for the sweep. The
// lock dies with the session, so a crashed sweeper never blocks the next
// one; now and lease are ignored.
func (s *Store) WithSweepLock(ctx context.Context, _ time.Time, _ time.Duration, fn func(ctx context.Context) error) (bool, error) {
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
