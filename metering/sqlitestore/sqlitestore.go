package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/sqlitedb"
	"github.com/picfre/picfre/metering/driver"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configure Open. The zero value means the defaults.
type Options struct {
	// BusyTimeout is how long a write waits for the database lock held by
	// another process; 10 seconds when zero.
	BusyTimeout time.Duration
	// Synchronous is SQLite's synchronous setting: "FULL" (the default:
	// a committed charge survives a power cut) or "NORMAL" (faster in WAL
	// mode; survives a process crash but may lose the last commits on
	// power loss).
	Synchronous string
}

// store is a driver.Store in one SQLite file. It is safe for concurrent
// use, and several processes may open the same file: writes are
// serialised by SQLite's write lock (BEGIN IMMEDIATE), readers read a WAL
// snapshot.
type store struct {
	db *sql.DB
	// sem serialises this process's writers, so that they queue here,
	// honouring their contexts, rather than spinning in SQLite's busy
	// handler; other processes are held off by the busy timeout.
	sem chan struct{}
}

var _ driver.Store = (*store)(nil)

// Open opens (creating if needed) the ledger in the SQLite file at path,
// brings its schema up to date and returns the store, to be handed to
// metering.NewLedger (package store does both from a DSN). The Ledger
// closes it. A bad path or option fails with errcode.InvalidArgument, a
// file that cannot be opened or migrated with errcode.Unavailable; neither
// message repeats the path. A file this process cannot write, with an
// up-to-date schema, opens read-only: reads work and every write fails
// (through the Ledger, with billing_failure).
func Open(ctx context.Context, path string, opts Options) (driver.Store, error) {
	db, err := sqlitedb.Open(path, sqlitedb.Options{BusyTimeout: opts.BusyTimeout, Synchronous: opts.Synchronous})
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	s := &store{db: db, sem: make(chan struct{}, 1)}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("sqlitestore: migrate: %w", err))
	}
	return s, nil
}

// Close implements driver.Store: it closes the database.
func (s *store) Close() error { return s.db.Close() }

// migrate applies the embedded migrations not yet recorded in
// schema_version, in one write transaction, so that processes opening the
// file at the same time apply each exactly once.
func (s *store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	// Up to date already: nothing to write, so that a ledger this
	// process may only read (see internal/sqlitedb) opens too.
	if len(names) > 0 {
		latest, err := strconv.Atoi(strings.SplitN(path.Base(names[len(names)-1]), "_", 2)[0])
		var current int
		if err == nil && s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current) == nil && current >= latest {
			return nil
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
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
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, v, time.Now().UnixMicro()); err != nil {
				return err
			}
		}
		return nil
	})
}

// write runs fn in an immediate transaction, committing when it returns
// nil.
func (s *store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.sem }()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func us(t time.Time) int64     { return t.UnixMicro() }
func fromUS(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nextSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `UPDATE ledger_seq SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq)
	return seq, err
}

func ensureAccount(ctx context.Context, tx *sql.Tx, account string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO accounts (account) VALUES (?) ON CONFLICT (account) DO NOTHING`, account)
	return err
}

// sweep marks the account's holds whose expiry has passed as expired and
// takes them out of the held counter.
func sweep(ctx context.Context, tx *sql.Tx, account string, now time.Time) error {
	var stale int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(credits), 0) FROM holds
		WHERE account = ? AND state = 'held' AND expires_at <= ?`, account, us(now)).Scan(&stale); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET state = 'expired'
		WHERE account = ? AND state = 'held' AND expires_at <= ?`, account, us(now)); err != nil {
		return err
	}
	if stale == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE accounts SET held = held - ? WHERE account = ?`, stale, account)
	return err
}

// TopUp implements driver.Store.
func (s *store) TopUp(ctx context.Context, r driver.TopUpRequest) (driver.Entry, error) {
	var e driver.Entry
	err := s.write(ctx, func(tx *sql.Tx) error {
		var seq, credits, created, amount int64
		var acct, currency string
		err := tx.QueryRowContext(ctx, `SELECT seq, account, credits, created_at, amount, currency FROM topups WHERE payment_ref = ?`,
			r.PaymentRef).Scan(&seq, &acct, &credits, &created, &amount, &currency)
		if err == nil {
			if acct != r.Account || credits != r.Credits || amount != r.Amount || currency != r.Currency {
				return fmt.Errorf("%w: payment reference already used", driver.ErrConflict)
			}
			e = driver.Entry{Seq: seq, Account: acct, Kind: driver.KindTopUp, Credits: credits, Time: fromUS(created), Ref: r.PaymentRef,
				Amount: amount, Currency: currency}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := ensureAccount(ctx, tx, r.Account); err != nil {
			return err
		}
		var owed int64
		if err := tx.QueryRowContext(ctx, `SELECT owed FROM accounts WHERE account = ?`, r.Account).Scan(&owed); err != nil {
			return err
		}
		pay := min(r.Credits, owed)
		if seq, err = nextSeq(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO topups (seq, account, payment_ref, credits, created_at, amount, currency)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, seq, r.Account, r.PaymentRef, r.Credits, us(r.Now), r.Amount, r.Currency); err != nil {
			return err
		}
		n, err := affected(tx.ExecContext(ctx, `UPDATE accounts SET balance = balance + ?, owed = owed - ?
			WHERE account = ? AND balance <= ?`, r.Credits-pay, pay, r.Account, driver.MaxAmount-(r.Credits-pay)))
		if err != nil {
			return err
		}
		if n == 0 {
			return driver.ErrOverflow
		}
		if pay > 0 {
			paySeq, err := nextSeq(ctx, tx)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO reversals
				(seq, account, idem_key, settles, topup_seq, payment_ref, asked, credits, owed, reason, created_at)
				VALUES (?, ?, ?, 1, ?, ?, ?, ?, 0, ?, ?)`, paySeq, r.Account, r.PaymentRef+driver.OwedSuffix, seq, r.PaymentRef,
				pay, pay, driver.OwedReason, us(r.Now)); err != nil {
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

// Reverse implements driver.Store.
func (s *store) Reverse(ctx context.Context, r driver.ReverseRequest) (driver.Entry, error) {
	var e driver.Entry
	err := s.write(ctx, func(tx *sql.Tx) error {
		var seq, asked, credits, created int64
		var acct, ref, reason string
		err := tx.QueryRowContext(ctx, `SELECT seq, account, payment_ref, asked, credits, reason, created_at FROM reversals
			WHERE idem_key = ? AND settles = 0`, r.Key).Scan(&seq, &acct, &ref, &asked, &credits, &reason, &created)
		if err == nil {
			if ref != r.PaymentRef || asked != r.Credits || reason != r.Reason {
				return fmt.Errorf("%w: key was used with other values", driver.ErrConflict)
			}
			e = driver.Entry{Seq: seq, Account: acct, Kind: driver.KindReversal, Credits: -credits, Time: fromUS(created), Ref: r.Key, Reason: reason}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var topSeq, topCredits int64
		err = tx.QueryRowContext(ctx, `SELECT seq, account, credits FROM topups WHERE payment_ref = ?`, r.PaymentRef).Scan(&topSeq, &acct, &topCredits)
		if errors.Is(err, sql.ErrNoRows) {
			return driver.ErrUnknownPayment
		}
		if err != nil {
			return err
		}
		if err := sweep(ctx, tx, acct, r.Now); err != nil {
			return err
		}
		var reversed, available, owed int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(credits + owed), 0) FROM reversals
			WHERE topup_seq = ? AND settles = 0`, topSeq).Scan(&reversed); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT balance - held, owed FROM accounts WHERE account = ?`, acct).Scan(&available, &owed); err != nil {
			return err
		}
		want := min(r.Credits, topCredits-reversed)
		take := min(want, available)
		if owed > driver.MaxAmount-(want-take) {
			return driver.ErrOverflow
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET balance = balance - ?, owed = owed + ? WHERE account = ?`,
			take, want-take, acct); err != nil {
			return err
		}
		if seq, err = nextSeq(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reversals
			(seq, account, idem_key, settles, topup_seq, payment_ref, asked, credits, owed, reason, created_at)
			VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`, seq, acct, r.Key, topSeq, r.PaymentRef, r.Credits, take, want-take,
			r.Reason, us(r.Now)); err != nil {
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
func (s *store) Authorize(ctx context.Context, r driver.HoldRequest) (driver.Hold, error) {
	var out driver.Hold
	err := s.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE account = ?`, r.Account).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows) && r.Credits > 0:
			return driver.ErrInsufficientCredits
		case errors.Is(err, sql.ErrNoRows):
			if err := ensureAccount(ctx, tx, r.Account); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if err := sweep(ctx, tx, r.Account, r.Now); err != nil {
			return err
		}
		var id, state, task, media string
		var credits, capturedAt int64
		err = tx.QueryRowContext(ctx, `SELECT hold_id, state, credits, task, media_type, captured_at FROM holds
			WHERE account = ? AND idem_key = ?`, r.Account, r.IdempotencyKey).Scan(&id, &state, &credits, &task, &media, &capturedAt)
		switch {
		case err == nil && state == "captured" && capturedAt < us(r.ReplaySince):
			// Past the replay window: a new event, held below.
		case err == nil && state == "captured":
			if credits != r.Credits || task != r.Task || media != r.MediaType {
				return fmt.Errorf("%w: key was captured with other parameters", driver.ErrConflict)
			}
			out = driver.Hold{ID: id, Account: r.Account, IdempotencyKey: r.IdempotencyKey, Credits: credits, Settled: true}
			return nil
		case err == nil && state == "held":
			return driver.ErrInProgress
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if r.Credits > 0 {
			var owed int64
			if err := tx.QueryRowContext(ctx, `SELECT owed FROM accounts WHERE account = ?`, r.Account).Scan(&owed); err != nil {
				return err
			}
			if owed > 0 {
				return driver.ErrAccountBlocked
			}
		}
		// The conditional debit of available credits.
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET held = held + ?
			WHERE account = ? AND balance - held >= ?`, r.Credits, r.Account, r.Credits)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return driver.ErrInsufficientCredits
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO holds
			(account, idem_key, hold_id, state, credits, task, media_type, created_at, expires_at)
			VALUES (?, ?, ?, 'held', ?, ?, ?, ?, ?)
			ON CONFLICT (account, idem_key) DO UPDATE SET
				hold_id = excluded.hold_id, state = 'held', credits = excluded.credits,
				task = excluded.task, media_type = excluded.media_type,
				created_at = excluded.created_at, expires_at = excluded.expires_at, void_reason = '', captured_at = 0`,
			r.Account, r.IdempotencyKey, r.HoldID, r.Credits, r.Task, r.MediaType, us(r.Now), us(r.ExpiresAt)); err != nil {
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

func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Capture implements driver.Store.
func (s *store) Capture(ctx context.Context, r driver.CaptureRequest) error {
	h, ev := r.Hold, r.Event
	return s.write(ctx, func(tx *sql.Tx) error {
		var id, state, task, media string
		var credits, expires int64
		err := tx.QueryRowContext(ctx, `SELECT hold_id, state, credits, task, media_type, expires_at FROM holds
			WHERE account = ? AND idem_key = ?`, h.Account, h.IdempotencyKey).Scan(&id, &state, &credits, &task, &media, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
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
		if state == "held" && expires > us(r.Now) {
			n, err := affected(tx.ExecContext(ctx, `UPDATE accounts SET balance = balance - ?, held = held - ?
				WHERE account = ? AND balance - ? >= held - ?`, ev.Credits, credits, h.Account, ev.Credits, credits))
			if err != nil {
				return err
			}
			if n == 0 {
				return driver.ErrInsufficientCredits // cannot happen while the hold is counted
			}
		} else {
			if state == "held" {
				if _, err := tx.ExecContext(ctx, `UPDATE accounts SET held = held - ? WHERE account = ?`, credits, h.Account); err != nil {
					return err
				}
			}
			n, err := affected(tx.ExecContext(ctx, `UPDATE accounts SET balance = balance - ?
				WHERE account = ? AND balance - held >= ?`, ev.Credits, h.Account, ev.Credits))
			if err != nil {
				return err
			}
			if n == 0 {
				return driver.ErrHoldExpired
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE holds SET state = 'captured', captured_at = ? WHERE account = ? AND idem_key = ?`,
			us(r.Now), h.Account, h.IdempotencyKey); err != nil {
			return err
		}
		if ev.Task == "" {
			ev.Task = task
		}
		if ev.MediaType == "" {
			ev.MediaType = media
		}
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO usage (seq, account, idem_key, file, event_time, task, media_type,
			credits, provider, model, input_tokens, output_tokens, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			seq, h.Account, h.IdempotencyKey, ev.File, us(ev.Time), ev.Task, ev.MediaType,
			ev.Credits, ev.Provider, ev.Model, ev.InputTokens, ev.OutputTokens, us(r.Now))
		return err
	})
}

// Void implements driver.Store.
func (s *store) Void(ctx context.Context, r driver.VoidRequest) error {
	h := r.Hold
	return s.write(ctx, func(tx *sql.Tx) error {
		var credits int64
		err := tx.QueryRowContext(ctx, `UPDATE holds SET state = 'voided', void_reason = ?
			WHERE account = ? AND idem_key = ? AND hold_id = ? AND state = 'held' RETURNING credits`,
			string(r.Reason), h.Account, h.IdempotencyKey, h.ID).Scan(&credits)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET held = held - ? WHERE account = ?`, credits, h.Account)
		return err
	})
}

// Adjust implements driver.Store.
func (s *store) Adjust(ctx context.Context, r driver.AdjustRequest) (driver.Entry, error) {
	var e driver.Entry
	err := s.write(ctx, func(tx *sql.Tx) error {
		var seq, credits, created int64
		var kind, reason string
		err := tx.QueryRowContext(ctx, `SELECT seq, kind, credits, reason, created_at FROM adjustments
			WHERE account = ? AND idem_key = ?`, r.Account, r.IdempotencyKey).Scan(&seq, &kind, &credits, &reason, &created)
		if err == nil {
			if driver.EntryKind(kind) != r.Kind || credits != r.Credits || reason != r.Reason {
				return fmt.Errorf("%w: key was used with other values", driver.ErrConflict)
			}
			e = driver.Entry{Seq: seq, Account: r.Account, Kind: r.Kind, Credits: credits, Time: fromUS(created), Ref: r.IdempotencyKey, Reason: reason}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := ensureAccount(ctx, tx, r.Account); err != nil {
			return err
		}
		if err := sweep(ctx, tx, r.Account, r.Now); err != nil {
			return err
		}
		var balance int64
		if err := tx.QueryRowContext(ctx, `SELECT balance FROM accounts WHERE account = ?`, r.Account).Scan(&balance); err != nil {
			return err
		}
		if r.Credits > 0 && balance > driver.MaxAmount-r.Credits {
			return driver.ErrOverflow
		}
		n, err := affected(tx.ExecContext(ctx, `UPDATE accounts SET balance = balance + ?
			WHERE account = ? AND balance - held + ? >= 0`, r.Credits, r.Account, r.Credits))
		if err != nil {
			return err
		}
		if n == 0 {
			return driver.ErrInsufficientCredits
		}
		if seq, err = nextSeq(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO adjustments (seq, account, idem_key, kind, credits, reason, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, seq, r.Account, r.IdempotencyKey, string(r.Kind), r.Credits, r.Reason, us(r.Now)); err != nil {
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
func (s *store) Balance(ctx context.Context, account string, now time.Time) (driver.Balance, error) {
	var b driver.Balance
	err := s.db.QueryRowContext(ctx, `SELECT a.balance,
		(SELECT COALESCE(SUM(h.credits), 0) FROM holds h
			WHERE h.account = a.account AND h.state = 'held' AND h.expires_at > ?), a.owed
		FROM accounts a WHERE a.account = ?`, us(now), account).Scan(&b.Credits, &b.Held, &b.Owed)
	if errors.Is(err, sql.ErrNoRows) {
		return driver.Balance{}, nil
	}
	if err != nil {
		return driver.Balance{}, err
	}
	b.Available = b.Credits - b.Held
	return b, nil
}

// History implements driver.Store. It reads one snapshot.
func (s *store) History(ctx context.Context, account string) ([]driver.Entry, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT 0, 'purged', -purged_debits, purged_through, '', '', '', 0, '', '', 0, '', '', 0, 0, 0, ''
			FROM account_rollup WHERE account = ?1 AND purged_debits > 0
		UNION ALL
		SELECT 0, 'purged_topups', purged_credits, purged_topups_through, '', '', '', 0, '', '', 0, '', '', 0, 0, 0, ''
			FROM account_rollup WHERE account = ?1 AND purged_credits > 0
		UNION ALL
		SELECT seq, 'topup', credits, created_at, payment_ref, '', '', 0, '', '', 0, '', '', 0, 0, amount, currency
			FROM topups WHERE account = ?1
		UNION ALL
		SELECT seq, 'usage', -credits, created_at, idem_key, '', file, event_time, task, media_type,
				credits, provider, model, input_tokens, output_tokens, 0, ''
			FROM usage WHERE account = ?1
		UNION ALL
		SELECT seq, kind, credits, created_at, idem_key, reason, '', 0, '', '', 0, '', '', 0, 0, 0, ''
			FROM adjustments WHERE account = ?1
		UNION ALL
		SELECT seq, 'reversal', -credits, created_at, idem_key, reason, '', 0, '', '', 0, '', '', 0, 0, 0, ''
			FROM reversals WHERE account = ?1
		ORDER BY 1, 2`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.Entry
	for rows.Next() {
		var e driver.Entry
		var kind string
		var at, evTime int64
		var u driver.Event
		if err := rows.Scan(&e.Seq, &kind, &e.Credits, &at, &e.Ref, &e.Reason, &u.File, &evTime, &u.Task, &u.MediaType,
			&u.Credits, &u.Provider, &u.Model, &u.InputTokens, &u.OutputTokens, &e.Amount, &e.Currency); err != nil {
			return nil, err
		}
		e.Account, e.Kind, e.Time = account, driver.EntryKind(kind), fromUS(at)
		if e.Kind == driver.KindUsage {
			u.Account, u.IdempotencyKey, u.Time = account, e.Ref, fromUS(evTime)
			e.Usage = &u
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListTopUps implements driver.Store.
func (s *store) ListTopUps(ctx context.Context, account string) ([]driver.Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, payment_ref, credits, created_at, amount, currency FROM topups
		WHERE account = ? ORDER BY seq`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.Entry
	for rows.Next() {
		e := driver.Entry{Account: account, Kind: driver.KindTopUp}
		var at int64
		if err := rows.Scan(&e.Seq, &e.Ref, &e.Credits, &at, &e.Amount, &e.Currency); err != nil {
			return nil, err
		}
		e.Time = fromUS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListUsage implements driver.Store.
func (s *store) ListUsage(ctx context.Context, account string) ([]driver.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT idem_key, file, event_time, task, media_type, credits,
		provider, model, input_tokens, output_tokens FROM usage WHERE account = ? ORDER BY seq`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.Event
	for rows.Next() {
		u := driver.Event{Account: account}
		var at int64
		if err := rows.Scan(&u.IdempotencyKey, &u.File, &at, &u.Task, &u.MediaType, &u.Credits,
			&u.Provider, &u.Model, &u.InputTokens, &u.OutputTokens); err != nil {
			return nil, err
		}
		u.Time = fromUS(at)
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetLegalHold implements driver.Store.
func (s *store) SetLegalHold(ctx context.Context, account string, on bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := ensureAccount(ctx, tx, account); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET legal_hold = ? WHERE account = ?`, on, account)
		return err
	})
}

// LegalHold implements driver.Store.
func (s *store) LegalHold(ctx context.Context, account string) (bool, error) {
	var on bool
	err := s.db.QueryRowContext(ctx, `SELECT legal_hold FROM accounts WHERE account = ?`, account).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return on, err
}

type fold struct {
	debits, count, through int64
}

func addRollup(ctx context.Context, tx *sql.Tx, account string, f fold) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO account_rollup (account, purged_debits, purged_count, purged_through)
		VALUES (?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET
			purged_debits = purged_debits + excluded.purged_debits,
			purged_count = purged_count + excluded.purged_count,
			purged_through = max(purged_through, excluded.purged_through)`,
		account, f.debits, f.count, f.through)
	return err
}

// PurgeUsage implements driver.Store.
func (s *store) PurgeUsage(ctx context.Context, before time.Time, limit int) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT u.seq, u.account, u.idem_key, u.credits, u.created_at
			FROM usage u JOIN accounts a ON a.account = u.account
			WHERE u.created_at < ? AND a.legal_hold = 0 ORDER BY u.seq LIMIT ?`, us(before), limit)
		if err != nil {
			return err
		}
		type victim struct {
			seq          int64
			account, key string
			credits, at  int64
		}
		var vs []victim
		for rows.Next() {
			var v victim
			if err := rows.Scan(&v.seq, &v.account, &v.key, &v.credits, &v.at); err != nil {
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
			if _, err := tx.ExecContext(ctx, `DELETE FROM usage WHERE seq = ?`, v.seq); err != nil {
				return err
			}
			// Not a hold captured after this record (the key charged
			// again): its replays must still be recognised.
			if _, err := tx.ExecContext(ctx, `DELETE FROM holds
				WHERE account = ? AND idem_key = ? AND state = 'captured' AND captured_at <= ?`,
				v.account, v.key, v.at); err != nil {
				return err
			}
			f := folds[v.account]
			f.debits += v.credits
			f.count++
			f.through = max(f.through, v.at)
			folds[v.account] = f
		}
		for account, f := range folds {
			if err := addRollup(ctx, tx, account, f); err != nil {
				return err
			}
		}
		n = len(vs)
		return nil
	})
	return n, err
}

// purgeHolds deletes at most limit holds that can no longer settle, of
// accounts without a legal hold, oldest first, and takes the credits of
// those still marked held out of their account's held counter.
func purgeHolds(ctx context.Context, tx *sql.Tx, before time.Time, limit int) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT h.rowid, h.account, h.state, h.credits
		FROM holds h JOIN accounts a ON a.account = h.account
		WHERE a.legal_hold = 0 AND (h.state IN ('voided', 'expired') AND h.created_at < ?
			OR h.state = 'held' AND h.expires_at < ?)
		ORDER BY h.created_at, h.account, h.idem_key LIMIT ?`, us(before), us(before), limit)
	if err != nil {
		return 0, err
	}
	type victim struct {
		rowid          int64
		account, state string
		credits        int64
	}
	var vs []victim
	for rows.Next() {
		var v victim
		if err := rows.Scan(&v.rowid, &v.account, &v.state, &v.credits); err != nil {
			rows.Close()
			return 0, err
		}
		vs = append(vs, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	release := map[string]int64{}
	for _, v := range vs {
		if _, err := tx.ExecContext(ctx, `DELETE FROM holds WHERE rowid = ?`, v.rowid); err != nil {
			return 0, err
		}
		if v.state == "held" {
			release[v.account] += v.credits
		}
	}
	for account, credits := range release {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET held = held - ? WHERE account = ?`, credits, account); err != nil {
			return 0, err
		}
	}
	return len(vs), nil
}

// PurgeHolds implements driver.Store.
func (s *store) PurgeHolds(ctx context.Context, before time.Time, limit int) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = purgeHolds(ctx, tx, before, limit)
		return err
	})
	return n, err
}

// ListAttempts implements driver.Store. It reads one snapshot.
func (s *store) ListAttempts(ctx context.Context, account string) ([]driver.Attempt, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT idem_key, state, credits, task, media_type, void_reason, created_at, expires_at
		FROM holds WHERE account = ? AND state <> 'captured' ORDER BY created_at, idem_key`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.Attempt
	for rows.Next() {
		a := driver.Attempt{Account: account}
		var state, reason string
		var created, expires int64
		if err := rows.Scan(&a.IdempotencyKey, &state, &a.Credits, &a.Task, &a.MediaType, &reason, &created, &expires); err != nil {
			return nil, err
		}
		a.State, a.Reason, a.Time, a.ExpiresAt = driver.AttemptState(state), errcode.Code(reason), fromUS(created), fromUS(expires)
		out = append(out, a)
	}
	return out, rows.Err()
}

// EraseUsage implements driver.Store.
func (s *store) EraseUsage(ctx context.Context, account string) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		var on bool
		err := tx.QueryRowContext(ctx, `SELECT legal_hold FROM accounts WHERE account = ?`, account).Scan(&on)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if on {
			return driver.ErrLegalHold
		}
		var f fold
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(credits), 0), COUNT(*), COALESCE(MAX(created_at), 0)
			FROM usage WHERE account = ?`, account).Scan(&f.debits, &f.count, &f.through); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM usage WHERE account = ?`, account); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM holds WHERE account = ? AND state <> 'held'`, account); err != nil {
			return err
		}
		if f.count > 0 {
			if err := addRollup(ctx, tx, account, f); err != nil {
				return err
			}
		}
		n = int(f.count)
		return nil
	})
	return n, err
}
