package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering/driver"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serialises migrations.
const migrationLock = 0x70696366726531 // "picfre1"

// maxAttempts bounds the retries of a transaction that failed with a
// serialisation failure or a deadlock.
const maxAttempts = 8

// Defaults of Options.
const (
	// DefaultConnectTimeout bounds each new connection (dial, TLS and
	// start-up) when Options.ConnectTimeout is zero and the DSN sets no
	// connect_timeout.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultStatementTimeout bounds each operation of the store when
	// Options.StatementTimeout is zero.
	DefaultStatementTimeout = 30 * time.Second
)

// Options configure Open and New. The zero value means the defaults.
type Options struct {
	// MaxConns caps the connection pool Open creates; pgxpool's default
	// when zero. New uses the caller's pool as it is configured.
	MaxConns int32
	// ConnectTimeout bounds each new connection of a pool made by Open or
	// configured by ParseConfig: DefaultConnectTimeout when zero, unless
	// the DSN sets connect_timeout. A server that accepts TCP but never
	// answers fails Open after it with errcode.Unavailable.
	ConnectTimeout time.Duration
	// StatementTimeout bounds every operation of the store (one
	// transaction, retries included, or one read), waiting for a
	// connection included, on the client; on a pool made by Open or
	// configured by ParseConfig it is also the server's
	// statement_timeout, unless the DSN sets one.
	// DefaultStatementTimeout when zero. An operation that runs out
	// fails with errcode.Unavailable, which the Ledger reports as
	// billing_failure.
	StatementTimeout time.Duration
}

func (o Options) statementTimeout() time.Duration {
	if o.StatementTimeout > 0 {
		return o.StatementTimeout
	}
	return DefaultStatementTimeout
}

// ParseConfig parses dsn (a postgres:// URL or key=value string, as pgx
// accepts) into a pool configuration with opts applied: MaxConns, the
// connect timeout and the server's statement_timeout. For embedders that
// make the pool New is given, so that its connections have the same
// deadlines as Open's. A DSN that does not parse fails with
// errcode.InvalidArgument, and the message does not repeat the DSN.
func ParseConfig(dsn string, opts Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included: keep it out.
		return nil, errcode.New(errcode.InvalidArgument, "pgstore: cannot parse the DSN")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	switch {
	case opts.ConnectTimeout > 0:
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	case cfg.ConnConfig.ConnectTimeout == 0:
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
		if cfg.ConnConfig.RuntimeParams == nil {
			cfg.ConnConfig.RuntimeParams = map[string]string{}
		}
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.statementTimeout().Milliseconds(), 10)
	}
	return cfg, nil
}

// store is a driver.Store in PostgreSQL, for many service instances
// sharing one ledger. It is safe for concurrent use by any number of
// goroutines and processes: each operation is one transaction that locks
// the account's row first (accounts in name order when there are several),
// then the rows below it, so concurrent operations queue instead of
// deadlocking.
type store struct {
	pool *pgxpool.Pool
	// ownPool: Open made the pool, so Close closes it.
	ownPool bool
	// timeout bounds each operation (Options.StatementTimeout).
	timeout time.Duration
}

var _ driver.Store = (*store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string, as pgx accepts), brings the schema up to date and returns the
// store, to be handed to metering.NewLedger; closing the Ledger closes the
// pool. A DSN that does not parse fails with errcode.InvalidArgument, a
// server that cannot be reached or migrated with errcode.Unavailable;
// neither message repeats the DSN.
func Open(ctx context.Context, dsn string, opts Options) (driver.Store, error) {
	cfg, err := ParseConfig(dsn, opts)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("pgstore: connect: %w", err))
	}
	s, err := New(ctx, pool, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.(*store).ownPool = true
	return s, nil
}

// New brings the schema in the database of pool up to date and returns a
// store over pool, which the caller owns and closes after the Ledger: so
// that one pool serves the ledger and other stores of the same database.
// Tables are created in the first schema of the pool's search_path. A
// server that cannot be reached or migrated fails with
// errcode.Unavailable.
func New(ctx context.Context, pool *pgxpool.Pool, opts Options) (driver.Store, error) {
	if pool == nil {
		return nil, errcode.New(errcode.InvalidArgument, "pgstore: nil pool")
	}
	s := &store{pool: pool, timeout: opts.statementTimeout()}
	mctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.migrate(mctx); err != nil {
		if ctx.Err() == nil {
			// The server failed or ran out of time, not the caller.
			return nil, errcode.Wrap(errcode.Unavailable, fmt.Errorf("pgstore: migrate: %w", err))
		}
		return nil, errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("pgstore: migrate: %w", err))
	}
	return s, nil
}

// bound gives one operation the statement timeout, and returns the
// function its caller defers: it releases the timer and codes *errp, an
// error other than the store's own outcomes, errcode.Unavailable unless
// the caller's context ended (a dropped connection, a server that did not
// answer in time).
func (s *store) bound(parent context.Context, errp *error) (context.Context, func()) {
	ctx, cancel := context.WithTimeout(parent, s.timeout)
	return ctx, func() {
		cancel()
		if err := *errp; err != nil && !errcode.Has(err) && parent.Err() == nil {
			*errp = errcode.Wrap(errcode.Unavailable, err)
		}
	}
}

// Close implements driver.Store: it closes the pool if Open made it.
func (s *store) Close() error {
	if s.ownPool {
		s.pool.Close()
	}
	return nil
}

func (s *store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version integer NOT NULL PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return err
		}
		for _, name := range names {
			v, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
			if err != nil {
				return fmt.Errorf("migration %s: bad name", name)
			}
			if v <= current {
				continue
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// retryable reports whether err is a serialisation failure or a deadlock,
// after which the whole transaction may be run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// tx runs fn in a read-committed transaction, committing when it returns
// nil and running it again after a serialisation failure or deadlock.
func (s *store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, s.pool, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		select {
		case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// lockAccount locks the account's row, creating it when create is set.
// It reports whether the account exists.
func lockAccount(ctx context.Context, tx pgx.Tx, account string, create bool) (bool, error) {
	if create {
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (account) VALUES ($1) ON CONFLICT (account) DO NOTHING`, account); err != nil {
			return false, err
		}
	}
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM accounts WHERE account = $1 FOR UPDATE`, account).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// sweep marks the account's holds whose expiry has passed as expired and
// takes them out of the held counter. The account's row must be locked.
func sweep(ctx context.Context, tx pgx.Tx, account string, now time.Time) error {
	_, err := tx.Exec(ctx, `WITH e AS (
			UPDATE holds SET state = 'expired'
			WHERE account = $1 AND state = 'held' AND expires_at <= $2
			RETURNING credits)
		UPDATE accounts SET held = held - (SELECT SUM(credits) FROM e)
		WHERE account = $1 AND EXISTS (SELECT 1 FROM e)`, account, now)
	return err
}

// TopUp implements driver.Store.
func (s *store) TopUp(ctx context.Context, r driver.TopUpRequest) (_ driver.Entry, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	var e driver.Entry
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := lockAccount(ctx, tx, r.Account, true); err != nil {
			return err
		}
		var seq int64
		err := tx.QueryRow(ctx, `INSERT INTO topups (account, payment_ref, credits, created_at, amount, currency)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (payment_ref) DO NOTHING RETURNING seq`,
			r.Account, r.PaymentRef, r.Credits, r.Now, r.Amount, r.Currency).Scan(&seq)
		if errors.Is(err, pgx.ErrNoRows) {
			// Used before (possibly by a transaction that just committed).
			var acct, currency string
			var credits, amount int64
			var at time.Time
			if err := tx.QueryRow(ctx, `SELECT seq, account, credits, created_at, amount, currency FROM topups WHERE payment_ref = $1`,
				r.PaymentRef).Scan(&seq, &acct, &credits, &at, &amount, &currency); err != nil {
				return err
			}
			if acct != r.Account || credits != r.Credits || amount != r.Amount || currency != r.Currency {
				return fmt.Errorf("%w: payment reference already used", driver.ErrConflict)
			}
			e = driver.Entry{Seq: seq, Account: acct, Kind: driver.KindTopUp, Credits: credits, Time: at.UTC(), Ref: r.PaymentRef,
				Amount: amount, Currency: currency}
			return nil
		}
		if err != nil {
			return err
		}
		var owed int64
		if err := tx.QueryRow(ctx, `SELECT owed FROM accounts WHERE account = $1`, r.Account).Scan(&owed); err != nil {
			return err
		}
		pay := min(r.Credits, owed)
		tag, err := tx.Exec(ctx, `UPDATE accounts SET balance = balance + $1, owed = owed - $2
			WHERE account = $3 AND balance <= $4`, r.Credits-pay, pay, r.Account, driver.MaxAmount-(r.Credits-pay))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return driver.ErrOverflow
		}
		if pay > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO reversals
				(account, idem_key, settles, topup_seq, payment_ref, asked, credits, owed, reason, created_at)
				VALUES ($1, $2, true, $3, $4, $5, $5, 0, $6, $7)`, r.Account, r.PaymentRef+driver.OwedSuffix, seq, r.PaymentRef,
				pay, driver.OwedReason, r.Now); err != nil {
				return err
			}
		}
		e = driver.Entry{Seq: seq, Account: r.Account, Kind: driver.KindTopUp, Credits: r.Credits, Time: r.Now, Ref: r.PaymentRef,
			Amount: r.Amount, Currency: r.Currency}
		return nil
	})
	if err != nil {
		return driver.Entry{}, err
	}
	return e, nil
}

// reversalByKey reads the reversal recorded under r.Key and compares it
// with r: found reports whether there is one.
func reversalByKey(ctx context.Context, tx pgx.Tx, r driver.ReverseRequest) (e driver.Entry, found bool, err error) {
	var seq, asked, credits int64
	var acct, ref, reason string
	var at time.Time
	err = tx.QueryRow(ctx, `SELECT seq, account, payment_ref, asked, credits, reason, created_at FROM reversals
		WHERE idem_key = $1 AND NOT settles`, r.Key).Scan(&seq, &acct, &ref, &asked, &credits, &reason, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return driver.Entry{}, false, nil
	}
	if err != nil {
		return driver.Entry{}, false, err
	}
	if ref != r.PaymentRef || asked != r.Credits || reason != r.Reason {
		return driver.Entry{}, true, fmt.Errorf("%w: key was used with other values", driver.ErrConflict)
	}
	return driver.Entry{Seq: seq, Account: acct, Kind: driver.KindReversal, Credits: -credits, Time: at.UTC(), Ref: r.Key, Reason: reason}, true, nil
}

// Reverse implements driver.Store. The key is looked up again once the
// account's row is locked, so that concurrent calls with one key record
// it once.
func (s *store) Reverse(ctx context.Context, r driver.ReverseRequest) (_ driver.Entry, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	var e driver.Entry
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var found bool
		var err error
		if e, found, err = reversalByKey(ctx, tx, r); found || err != nil {
			return err
		}
		var topSeq, topCredits int64
		var acct string
		err = tx.QueryRow(ctx, `SELECT seq, account, credits FROM topups WHERE payment_ref = $1`, r.PaymentRef).Scan(&topSeq, &acct, &topCredits)
		if errors.Is(err, pgx.ErrNoRows) {
			return driver.ErrUnknownPayment
		}
		if err != nil {
			return err
		}
		if _, err := lockAccount(ctx, tx, acct, false); err != nil {
			return err
		}
		if e, found, err = reversalByKey(ctx, tx, r); found || err != nil {
			return err
		}
		if err := sweep(ctx, tx, acct, r.Now); err != nil {
			return err
		}
		var reversed, available, owed int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(credits + owed), 0)::bigint FROM reversals
			WHERE topup_seq = $1 AND NOT settles`, topSeq).Scan(&reversed); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT balance - held, owed FROM accounts WHERE account = $1`, acct).Scan(&available, &owed); err != nil {
			return err
		}
		want := min(r.Credits, topCredits-reversed)
		take := min(want, available)
		if owed > driver.MaxAmount-(want-take) {
			return driver.ErrOverflow
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET balance = balance - $1, owed = owed + $2 WHERE account = $3`,
			take, want-take, acct); err != nil {
			return err
		}
		var seq int64
		err = tx.QueryRow(ctx, `INSERT INTO reversals
			(account, idem_key, settles, topup_seq, payment_ref, asked, credits, owed, reason, created_at)
			VALUES ($1, $2, false, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (idem_key) WHERE NOT settles DO NOTHING RETURNING seq`,
			acct, r.Key, topSeq, r.PaymentRef, r.Credits, take, want-take, r.Reason, r.Now).Scan(&seq)
		if errors.Is(err, pgx.ErrNoRows) {
			// Just recorded for another account's top-up.
			return fmt.Errorf("%w: key was used with other values", driver.ErrConflict)
		}
		if err != nil {
			return err
		}
		e = driver.Entry{Seq: seq, Account: acct, Kind: driver.KindReversal, Credits: -take, Time: r.Now, Ref: r.Key, Reason: r.Reason}
		return nil
	})
	if err != nil {
		return driver.Entry{}, err
	}
	return e, nil
}

// Authorize implements driver.Store.
func (s *store) Authorize(ctx context.Context, r driver.HoldRequest) (_ driver.Hold, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	var out driver.Hold
	err = s.tx(ctx, func(tx pgx.Tx) error {
		ok, err := lockAccount(ctx, tx, r.Account, r.Credits == 0)
		if err != nil {
			return err
		}
		if !ok {
			return driver.ErrInsufficientCredits
		}
		if err := sweep(ctx, tx, r.Account, r.Now); err != nil {
			return err
		}
		var id, state, task, media string
		var credits int64
		var capturedAt time.Time
		err = tx.QueryRow(ctx, `SELECT hold_id, state, credits, task, media_type, captured_at FROM holds
			WHERE account = $1 AND idem_key = $2`, r.Account, r.IdempotencyKey).Scan(&id, &state, &credits, &task, &media, &capturedAt)
		switch {
		case err == nil && state == "captured" && capturedAt.Before(r.ReplaySince):
			// Past the replay window: a new event, held below.
		case err == nil && state == "captured":
			if credits != r.Credits || task != r.Task || media != r.MediaType {
				return fmt.Errorf("%w: key was captured with other parameters", driver.ErrConflict)
			}
			out = driver.Hold{ID: id, Account: r.Account, IdempotencyKey: r.IdempotencyKey, Credits: credits, Settled: true}
			return nil
		case err == nil && state == "held":
			return driver.ErrInProgress
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if r.Credits > 0 {
			var owed int64
			if err := tx.QueryRow(ctx, `SELECT owed FROM accounts WHERE account = $1`, r.Account).Scan(&owed); err != nil {
				return err
			}
			if owed > 0 {
				return driver.ErrAccountBlocked
			}
		}
		// The conditional debit of available credits.
		tag, err := tx.Exec(ctx, `UPDATE accounts SET held = held + $1
			WHERE account = $2 AND balance - held >= $1`, r.Credits, r.Account)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return driver.ErrInsufficientCredits
		}
		if _, err := tx.Exec(ctx, `INSERT INTO holds
			(account, idem_key, hold_id, state, credits, task, media_type, created_at, expires_at)
			VALUES ($1, $2, $3, 'held', $4, $5, $6, $7, $8)
			ON CONFLICT (account, idem_key) DO UPDATE SET
				hold_id = excluded.hold_id, state = 'held', credits = excluded.credits,
				task = excluded.task, media_type = excluded.media_type,
				created_at = excluded.created_at, expires_at = excluded.expires_at, void_reason = '', captured_at = 'epoch'`,
			r.Account, r.IdempotencyKey, r.HoldID, r.Credits, r.Task, r.MediaType, r.Now, r.ExpiresAt); err != nil {
			return err
		}
		out = driver.Hold{ID: r.HoldID, Account: r.Account, IdempotencyKey: r.IdempotencyKey, Credits: r.Credits}
		return nil
	})
	if err != nil {
		return driver.Hold{}, err
	}
	return out, nil
}

// Capture implements driver.Store.
func (s *store) Capture(ctx context.Context, r driver.CaptureRequest) (err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	h, ev := r.Hold, r.Event
	return s.tx(ctx, func(tx pgx.Tx) error {
		ok, err := lockAccount(ctx, tx, h.Account, false)
		if err != nil {
			return err
		}
		if !ok {
			return driver.ErrUnknownHold
		}
		var id, state, task, media string
		var credits int64
		var expires time.Time
		err = tx.QueryRow(ctx, `SELECT hold_id, state, credits, task, media_type, expires_at FROM holds
			WHERE account = $1 AND idem_key = $2`, h.Account, h.IdempotencyKey).Scan(&id, &state, &credits, &task, &media, &expires)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return driver.ErrUnknownHold
		case err != nil:
			return err
		case state == "captured":
			return nil
		case id != h.ID:
			return driver.ErrHoldExpired
		case state == "voided":
			return driver.ErrHoldVoided
		case ev.Credits > credits:
			return driver.ErrExceedsHold
		}
		if state == "held" && expires.After(r.Now) {
			tag, err := tx.Exec(ctx, `UPDATE accounts SET balance = balance - $1, held = held - $2
				WHERE account = $3 AND balance - $1 >= held - $2`, ev.Credits, credits, h.Account)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return driver.ErrInsufficientCredits // cannot happen while the hold is counted
			}
		} else {
			if state == "held" {
				if _, err := tx.Exec(ctx, `UPDATE accounts SET held = held - $1 WHERE account = $2`, credits, h.Account); err != nil {
					return err
				}
			}
			tag, err := tx.Exec(ctx, `UPDATE accounts SET balance = balance - $1
				WHERE account = $2 AND balance - held >= $1`, ev.Credits, h.Account)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return driver.ErrHoldExpired
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE holds SET state = 'captured', captured_at = $3 WHERE account = $1 AND idem_key = $2`,
			h.Account, h.IdempotencyKey, r.Now); err != nil {
			return err
		}
		if ev.Task == "" {
			ev.Task = task
		}
		if ev.MediaType == "" {
			ev.MediaType = media
		}
		_, err = tx.Exec(ctx, `INSERT INTO usage (account, idem_key, file, event_time, task, media_type,
			credits, provider, model, input_tokens, output_tokens, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			h.Account, h.IdempotencyKey, ev.File, ev.Time, ev.Task, ev.MediaType,
			ev.Credits, ev.Provider, ev.Model, ev.InputTokens, ev.OutputTokens, r.Now)
		return err
	})
}

// Void implements driver.Store.
func (s *store) Void(ctx context.Context, r driver.VoidRequest) (err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	h := r.Hold
	return s.tx(ctx, func(tx pgx.Tx) error {
		ok, err := lockAccount(ctx, tx, h.Account, false)
		if err != nil || !ok {
			return err
		}
		_, err = tx.Exec(ctx, `WITH v AS (
				UPDATE holds SET state = 'voided', void_reason = $4
				WHERE account = $1 AND idem_key = $2 AND hold_id = $3 AND state = 'held'
				RETURNING credits)
			UPDATE accounts SET held = held - (SELECT credits FROM v)
			WHERE account = $1 AND EXISTS (SELECT 1 FROM v)`, h.Account, h.IdempotencyKey, h.ID, string(r.Reason))
		return err
	})
}

// Adjust implements driver.Store.
func (s *store) Adjust(ctx context.Context, r driver.AdjustRequest) (_ driver.Entry, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	var e driver.Entry
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := lockAccount(ctx, tx, r.Account, true); err != nil {
			return err
		}
		var seq, credits int64
		var kind, reason string
		var at time.Time
		err := tx.QueryRow(ctx, `SELECT seq, kind, credits, reason, created_at FROM adjustments
			WHERE account = $1 AND idem_key = $2`, r.Account, r.IdempotencyKey).Scan(&seq, &kind, &credits, &reason, &at)
		if err == nil {
			if driver.EntryKind(kind) != r.Kind || credits != r.Credits || reason != r.Reason {
				return fmt.Errorf("%w: key was used with other values", driver.ErrConflict)
			}
			e = driver.Entry{Seq: seq, Account: r.Account, Kind: r.Kind, Credits: credits, Time: at.UTC(), Ref: r.IdempotencyKey, Reason: reason}
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := sweep(ctx, tx, r.Account, r.Now); err != nil {
			return err
		}
		var balance int64
		if err := tx.QueryRow(ctx, `SELECT balance FROM accounts WHERE account = $1`, r.Account).Scan(&balance); err != nil {
			return err
		}
		if r.Credits > 0 && balance > driver.MaxAmount-r.Credits {
			return driver.ErrOverflow
		}
		tag, err := tx.Exec(ctx, `UPDATE accounts SET balance = balance + $1
			WHERE account = $2 AND balance - held + $1 >= 0`, r.Credits, r.Account)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return driver.ErrInsufficientCredits
		}
		if err := tx.QueryRow(ctx, `INSERT INTO adjustments (account, idem_key, kind, credits, reason, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
			r.Account, r.IdempotencyKey, string(r.Kind), r.Credits, r.Reason, r.Now).Scan(&seq); err != nil {
			return err
		}
		e = driver.Entry{Seq: seq, Account: r.Account, Kind: r.Kind, Credits: r.Credits, Time: r.Now, Ref: r.IdempotencyKey, Reason: r.Reason}
		return nil
	})
	if err != nil {
		return driver.Entry{}, err
	}
	return e, nil
}

// Balance implements driver.Store. It reads one snapshot.
func (s *store) Balance(ctx context.Context, account string, now time.Time) (_ driver.Balance, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	var b driver.Balance
	err = s.pool.QueryRow(ctx, `SELECT a.balance,
		(SELECT COALESCE(SUM(h.credits), 0) FROM holds h
			WHERE h.account = a.account AND h.state = 'held' AND h.expires_at > $2)::bigint, a.owed
		FROM accounts a WHERE a.account = $1`, account, now).Scan(&b.Credits, &b.Held, &b.Owed)
	if errors.Is(err, pgx.ErrNoRows) {
		return driver.Balance{}, nil
	}
	if err != nil {
		return driver.Balance{}, err
	}
	b.Available = b.Credits - b.Held
	return b, nil
}

// History implements driver.Store. It reads one snapshot.
func (s *store) History(ctx context.Context, account string) (_ []driver.Entry, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	rows, err := s.pool.Query(ctx, `
		SELECT 0::bigint, 'purged', -purged_debits, purged_through, '', '', '', purged_through, '', '', 0::bigint, '', '', 0::bigint, 0::bigint, 0::bigint, ''
			FROM account_rollup WHERE account = $1 AND purged_debits > 0
		UNION ALL
		SELECT 0::bigint, 'purged_topups', purged_credits, purged_topups_through, '', '', '', purged_topups_through, '', '', 0::bigint, '', '', 0::bigint, 0::bigint, 0::bigint, ''
			FROM account_rollup WHERE account = $1 AND purged_credits > 0
		UNION ALL
		SELECT seq, 'topup', credits, created_at, payment_ref, '', '', created_at, '', '', 0, '', '', 0, 0, amount, currency
			FROM topups WHERE account = $1
		UNION ALL
		SELECT seq, 'usage', -credits, created_at, idem_key, '', file, event_time, task, media_type,
				credits, provider, model, input_tokens, output_tokens, 0, ''
			FROM usage WHERE account = $1
		UNION ALL
		SELECT seq, kind, credits, created_at, idem_key, reason, '', created_at, '', '', 0, '', '', 0, 0, 0, ''
			FROM adjustments WHERE account = $1
		UNION ALL
		SELECT seq, 'reversal', -credits, created_at, idem_key, reason, '', created_at, '', '', 0, '', '', 0, 0, 0, ''
			FROM reversals WHERE account = $1
		ORDER BY 1, 2`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.Entry
	for rows.Next() {
		var e driver.Entry
		var kind string
		var at, evTime time.Time
		var u driver.Event
		if err := rows.Scan(&e.Seq, &kind, &e.Credits, &at, &e.Ref, &e.Reason, &u.File, &evTime, &u.Task, &u.MediaType,
			&u.Credits, &u.Provider, &u.Model, &u.InputTokens, &u.OutputTokens, &e.Amount, &e.Currency); err != nil {
			return nil, err
		}
		e.Account, e.Kind, e.Time = account, driver.EntryKind(kind), at.UTC()
		if e.Kind == driver.KindUsage {
			u.Account, u.IdempotencyKey, u.Time = account, e.Ref, evTime.UTC()
			e.Usage = &u
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListTopUps implements driver.Store.
func (s *store) ListTopUps(ctx context.Context, account string) (_ []driver.Entry, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	rows, err := s.pool.Query(ctx, `SELECT seq, payment_ref, credits, created_at, amount, currency FROM topups
		WHERE account = $1 ORDER BY seq`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.Entry
	for rows.Next() {
		e := driver.Entry{Account: account, Kind: driver.KindTopUp}
		if err := rows.Scan(&e.Seq, &e.Ref, &e.Credits, &e.Time, &e.Amount, &e.Currency); err != nil {
			return nil, err
		}
		e.Time = e.Time.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListUsage implements driver.Store.
func (s *store) ListUsage(ctx context.Context, account string) (_ []driver.Event, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	rows, err := s.pool.Query(ctx, `SELECT idem_key, file, event_time, task, media_type, credits,
		provider, model, input_tokens, output_tokens FROM usage WHERE account = $1 ORDER BY seq`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.Event
	for rows.Next() {
		u := driver.Event{Account: account}
		if err := rows.Scan(&u.IdempotencyKey, &u.File, &u.Time, &u.Task, &u.MediaType, &u.Credits,
			&u.Provider, &u.Model, &u.InputTokens, &u.OutputTokens); err != nil {
			return nil, err
		}
		u.Time = u.Time.UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetLegalHold implements driver.Store.
func (s *store) SetLegalHold(ctx context.Context, account string, on bool) (err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := lockAccount(ctx, tx, account, true); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE accounts SET legal_hold = $1 WHERE account = $2`, on, account)
		return err
	})
}

// LegalHold implements driver.Store.
func (s *store) LegalHold(ctx context.Context, account string) (_ bool, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	var on bool
	err = s.pool.QueryRow(ctx, `SELECT legal_hold FROM accounts WHERE account = $1`, account).Scan(&on)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return on, err
}

type fold struct {
	debits, count int64
	through       time.Time
}

func addRollup(ctx context.Context, tx pgx.Tx, account string, f fold) error {
	_, err := tx.Exec(ctx, `INSERT INTO account_rollup (account, purged_debits, purged_count, purged_through)
		VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO UPDATE SET
			purged_debits = account_rollup.purged_debits + excluded.purged_debits,
			purged_count = account_rollup.purged_count + excluded.purged_count,
			purged_through = GREATEST(account_rollup.purged_through, excluded.purged_through)`,
		account, f.debits, f.count, f.through)
	return err
}

// selectSeqAccounts runs a query of (seq, account) rows, the first step of
// every purge: which records, and whose accounts to lock.
func selectSeqAccounts(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]int64, []string, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var seqs []int64
	var names []string
	for rows.Next() {
		var seq int64
		var account string
		if err := rows.Scan(&seq, &account); err != nil {
			return nil, nil, err
		}
		seqs = append(seqs, seq)
		names = append(names, account)
	}
	return seqs, names, rows.Err()
}

// PurgeUsage implements driver.Store.
func (s *store) PurgeUsage(ctx context.Context, before time.Time, limit int) (_ int, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	n := 0
	err = s.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		seqs, names, err := selectSeqAccounts(ctx, tx, `SELECT u.seq, u.account FROM usage u JOIN accounts a ON a.account = u.account
			WHERE u.created_at < $1 AND NOT a.legal_hold ORDER BY u.seq LIMIT $2`, before, limit)
		if err != nil {
			return err
		}
		if len(seqs) > 0 {
			// Lock the accounts in name order; one put under a legal
			// hold meanwhile is skipped.
			sorted := slices.Clone(names)
			slices.Sort(sorted)
			sorted = slices.Compact(sorted)
			var open []string
			lrows, err := tx.Query(ctx, `SELECT account FROM accounts WHERE account = ANY($1)
				AND NOT legal_hold ORDER BY account FOR UPDATE`, sorted)
			if err != nil {
				return err
			}
			open, err = pgx.CollectRows(lrows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			drows, err := tx.Query(ctx, `DELETE FROM usage WHERE seq = ANY($1) AND account = ANY($2)
				RETURNING account, idem_key, credits, created_at`, seqs, open)
			if err != nil {
				return err
			}
			folds := map[string]fold{}
			var keysAccount, keys []string
			var keysAt []time.Time
			for drows.Next() {
				var account, key string
				var credits int64
				var at time.Time
				if err := drows.Scan(&account, &key, &credits, &at); err != nil {
					drows.Close()
					return err
				}
				f := folds[account]
				f.debits += credits
				f.count++
				if at.After(f.through) {
					f.through = at
				}
				folds[account] = f
				keysAccount, keys, keysAt = append(keysAccount, account), append(keys, key), append(keysAt, at)
			}
			drows.Close()
			if err := drows.Err(); err != nil {
				return err
			}
			// Not a hold captured after its record (the key charged
			// again): its replays must still be recognised.
			if _, err := tx.Exec(ctx, `DELETE FROM holds h USING unnest($1::text[], $2::text[], $3::timestamptz[]) AS v(account, idem_key, at)
				WHERE h.state = 'captured' AND h.account = v.account AND h.idem_key = v.idem_key AND h.captured_at <= v.at`,
				keysAccount, keys, keysAt); err != nil {
				return err
			}
			for _, account := range open {
				if f, ok := folds[account]; ok {
					if err := addRollup(ctx, tx, account, f); err != nil {
						return err
					}
				}
			}
			n = len(keys)
		}
		return nil
	})
	return n, err
}

// deadHolds is the condition on holds h that can no longer settle as of
// the cutoff $1.
const deadHolds = `(h.state IN ('voided', 'expired') AND h.created_at < $1 OR h.state = 'held' AND h.expires_at < $1)`

// purgeHolds deletes at most limit holds that can no longer settle, of
// accounts without a legal hold, oldest first, and takes the credits of
// those still marked held out of their account's held counter. It locks
// the accounts' rows first, in name order, as every other write does.
func purgeHolds(ctx context.Context, tx pgx.Tx, before time.Time, limit int) (int, error) {
	rows, err := tx.Query(ctx, `SELECT h.account, h.idem_key FROM holds h JOIN accounts a ON a.account = h.account
		WHERE NOT a.legal_hold AND `+deadHolds+` ORDER BY h.created_at, h.account, h.idem_key LIMIT $2`, before, limit)
	if err != nil {
		return 0, err
	}
	var accts, keys []string
	for rows.Next() {
		var a, k string
		if err := rows.Scan(&a, &k); err != nil {
			rows.Close()
			return 0, err
		}
		accts, keys = append(accts, a), append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(keys) == 0 {
		return 0, err
	}
	sorted := slices.Compact(slices.Sorted(slices.Values(accts)))
	lrows, err := tx.Query(ctx, `SELECT account FROM accounts WHERE account = ANY($1)
		AND NOT legal_hold ORDER BY account FOR UPDATE`, sorted)
	if err != nil {
		return 0, err
	}
	open, err := pgx.CollectRows(lrows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	// The condition is checked again under the locks: a hold settled or
	// renewed meanwhile is kept.
	drows, err := tx.Query(ctx, `DELETE FROM holds h WHERE h.account = ANY($2)
		AND (h.account, h.idem_key) IN (SELECT * FROM unnest($3::text[], $4::text[])) AND `+deadHolds+`
		RETURNING h.account, h.state, h.credits`, before, open, accts, keys)
	if err != nil {
		return 0, err
	}
	release := map[string]int64{}
	n := 0
	for drows.Next() {
		var account, state string
		var credits int64
		if err := drows.Scan(&account, &state, &credits); err != nil {
			drows.Close()
			return 0, err
		}
		n++
		if state == "held" {
			release[account] += credits
		}
	}
	drows.Close()
	if err := drows.Err(); err != nil {
		return 0, err
	}
	for _, account := range open {
		if c := release[account]; c > 0 {
			if _, err := tx.Exec(ctx, `UPDATE accounts SET held = held - $1 WHERE account = $2`, c, account); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// PurgeHolds implements driver.Store.
func (s *store) PurgeHolds(ctx context.Context, before time.Time, limit int) (_ int, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	n := 0
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		n, err = purgeHolds(ctx, tx, before, limit)
		return err
	})
	return n, err
}

// ListAttempts implements driver.Store. It reads one snapshot.
func (s *store) ListAttempts(ctx context.Context, account string) (_ []driver.Attempt, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	rows, err := s.pool.Query(ctx, `SELECT idem_key, state, credits, task, media_type, void_reason, created_at, expires_at
		FROM holds WHERE account = $1 AND state <> 'captured' ORDER BY created_at, idem_key`, account)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (driver.Attempt, error) {
		a := driver.Attempt{Account: account}
		var state, reason string
		err := r.Scan(&a.IdempotencyKey, &state, &a.Credits, &a.Task, &a.MediaType, &reason, &a.Time, &a.ExpiresAt)
		a.State, a.Reason, a.Time, a.ExpiresAt = driver.AttemptState(state), errcode.Code(reason), a.Time.UTC(), a.ExpiresAt.UTC()
		return a, err
	})
}

// EraseUsage implements driver.Store.
func (s *store) EraseUsage(ctx context.Context, account string) (_ int, err error) {
	ctx, done := s.bound(ctx, &err)
	defer done()
	n := 0
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var on bool
		err := tx.QueryRow(ctx, `SELECT legal_hold FROM accounts WHERE account = $1 FOR UPDATE`, account).Scan(&on)
		if errors.Is(err, pgx.ErrNoRows) {
			n = 0
			return nil
		}
		if err != nil {
			return err
		}
		if on {
			return driver.ErrLegalHold
		}
		var f fold
		var through *time.Time
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(credits), 0)::bigint, COUNT(*), MAX(created_at)
			FROM usage WHERE account = $1`, account).Scan(&f.debits, &f.count, &through); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM usage WHERE account = $1`, account); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM holds WHERE account = $1 AND state <> 'held'`, account); err != nil {
			return err
		}
		if f.count > 0 {
			f.through = *through
			if err := addRollup(ctx, tx, account, f); err != nil {
				return err
			}
		}
		n = int(f.count)
		return nil
	})
	return n, err
}
