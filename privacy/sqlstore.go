package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/picfre/picfre/errcode"
)

// Dialect names the SQL database behind an SQLStore.
type Dialect string

// Dialects OpenSQLStore supports.
const (
	// SQLite through modernc.org/sqlite (driver "sqlite"). Open the
	// *sql.DB with _txlock=immediate and a busy timeout, as sqlitestore
	// does, so that concurrent writers queue instead of failing.
	SQLite Dialect = "sqlite"
	// Postgres through github.com/jackc/pgx/v5/stdlib (driver "pgx").
	Postgres Dialect = "postgres"
)

// ErrUnknownDialect: OpenSQLStore was given a Dialect it does not know.
var ErrUnknownDialect = errcode.New(errcode.InvalidArgument, "privacy: unknown SQL dialect")

// schema creates the tables; it is idempotent. Times are Unix
// microseconds (0 = never), booleans 0/1, the birth date "YYYY-MM-DD" or
// "" — the same in both dialects.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS privacy_contacts (
		account            TEXT    NOT NULL PRIMARY KEY,
		email_sha256       TEXT    NOT NULL,
		phone_sha256       TEXT    NOT NULL,
		email_rules        TEXT    NOT NULL,
		country            TEXT    NOT NULL,
		ad_user_data       TEXT    NOT NULL,
		ad_personalization TEXT    NOT NULL,
		eea                INTEGER NOT NULL CHECK (eea IN (0, 1)),
		consent_updated_at BIGINT  NOT NULL,
		opted_out          INTEGER NOT NULL CHECK (opted_out IN (0, 1)),
		age_status         TEXT    NOT NULL CHECK (age_status IN ('unknown', 'allowed', 'under_age')),
		birth_date         TEXT    NOT NULL,
		age_checked_at     BIGINT  NOT NULL,
		updated_at         BIGINT  NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS privacy_pseudonyms (
		account    TEXT   NOT NULL,
		purpose    TEXT   NOT NULL,
		value      TEXT   NOT NULL,
		created_at BIGINT NOT NULL,
		PRIMARY KEY (account, purpose))`,
	// Hashes of erased contacts, kept until their removal is uploaded.
	// They no longer name the account.
	`CREATE TABLE IF NOT EXISTS privacy_pending_removals (
		id           TEXT   NOT NULL PRIMARY KEY,
		email_sha256 TEXT   NOT NULL,
		phone_sha256 TEXT   NOT NULL,
		email_rules  TEXT   NOT NULL,
		reason       TEXT   NOT NULL,
		created_at   BIGINT NOT NULL)`,
}

// SQLStore is a Store in SQLite or PostgreSQL, in tables named privacy_*
// beside the credit ledger's (the same SQLite file, or the same schema).
// It is safe for concurrent use, also by several processes.
type SQLStore struct {
	db      *sql.DB
	dialect Dialect
}

var _ Store = (*SQLStore)(nil)

// OpenSQLStore creates the tables if needed and returns a Store over db.
// The caller keeps ownership of db and closes it after the last call.
func OpenSQLStore(ctx context.Context, db *sql.DB, d Dialect) (*SQLStore, error) {
	if d != SQLite && d != Postgres {
		return nil, fmt.Errorf("%w: %q", ErrUnknownDialect, string(d))
	}
	s := &SQLStore{db: db, dialect: d}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if d == Postgres {
			// Serialise concurrent first opens: CREATE TABLE IF NOT
			// EXISTS races in PostgreSQL.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('picfre.privacy.schema'))`); err != nil {
				return err
			}
		}
		for _, stmt := range schema {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("privacy: create tables: %w", err)
	}
	return s, nil
}

// q rewrites the '?' placeholders of query for the dialect.
func (s *SQLStore) q(query string) string {
	if s.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *SQLStore) tx(ctx context.Context, fn func(*sql.Tx) error) error {
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

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}

const contactColumns = `account, email_sha256, phone_sha256, email_rules, country, ad_user_data, ad_personalization,
	eea, consent_updated_at, opted_out, age_status, birth_date, age_checked_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanContact(r scanner) (ContactRecord, error) {
	var c ContactRecord
	var rules, aud, apers, status, birth string
	var eea, opted int
	var consentAt, checked, updated int64
	if err := r.Scan(&c.Account, &c.EmailSHA256, &c.PhoneSHA256, &rules, &c.Country, &aud, &apers,
		&eea, &consentAt, &opted, &status, &birth, &checked, &updated); err != nil {
		return ContactRecord{}, err
	}
	c.EmailRules, c.AgeStatus = EmailRules(rules), AgeStatus(status)
	c.Consent.AdUserData, _ = ParseConsentState(aud)
	c.Consent.AdPersonalization, _ = ParseConsentState(apers)
	c.Consent.EEA, c.OptedOut = eea == 1, opted == 1
	c.Consent.UpdatedAt, c.AgeCheckedAt, c.UpdatedAt = fromMicros(consentAt), fromMicros(checked), fromMicros(updated)
	if birth != "" {
		t, err := time.Parse(time.DateOnly, birth)
		if err != nil {
			return ContactRecord{}, fmt.Errorf("privacy: stored birth date: %w", err)
		}
		c.BirthDate = t
	}
	return c, nil
}

// GetContact implements Store.
func (s *SQLStore) GetContact(ctx context.Context, account string) (ContactRecord, bool, error) {
	c, err := scanContact(s.db.QueryRowContext(ctx, s.q(`SELECT `+contactColumns+` FROM privacy_contacts WHERE account = ?`), account))
	if errors.Is(err, sql.ErrNoRows) {
		return ContactRecord{}, false, nil
	}
	return c, err == nil, err
}

// PutContact implements Store.
func (s *SQLStore) PutContact(ctx context.Context, c ContactRecord) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.putContact(ctx, tx, c) })
}

// lockContact serialises the transactions that read and write the
// account's contact. In PostgreSQL it takes a transaction advisory lock
// on the account, which also covers an account without a row yet; in
// SQLite the immediate transaction (see SQLite) already holds the write
// lock, and a deferred one fails at its first write rather than
// overwriting a newer record.
func (s *SQLStore) lockContact(ctx context.Context, tx *sql.Tx, account string) error {
	if s.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('picfre.privacy.contact'), hashtext($1))`, account)
	return err
}

// UpdateContact implements Store.
func (s *SQLStore) UpdateContact(ctx context.Context, account string, now time.Time, fn func(ContactRecord, bool) (ContactRecord, error)) (ContactRecord, error) {
	var rec ContactRecord
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockContact(ctx, tx, account); err != nil {
			return err
		}
		old, err := scanContact(tx.QueryRowContext(ctx, s.q(`SELECT `+contactColumns+` FROM privacy_contacts WHERE account = ?`), account))
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if rec, err = fn(old, exists); err != nil {
			return err
		}
		if rec.Account != account {
			return errAccountChanged
		}
		if r, ok := replaced(old, exists, rec, now); ok {
			if err := s.queueRemoval(ctx, tx, r); err != nil {
				return err
			}
		}
		return s.putContact(ctx, tx, rec)
	})
	if err != nil {
		return ContactRecord{}, err
	}
	return rec, nil
}

func (s *SQLStore) queueRemoval(ctx context.Context, tx *sql.Tx, r PendingRemoval) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO privacy_pending_removals
		(id, email_sha256, phone_sha256, email_rules, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		r.ID, r.EmailSHA256, r.PhoneSHA256, string(r.EmailRules), string(r.Reason), micros(r.CreatedAt))
	return err
}

func (s *SQLStore) putContact(ctx context.Context, tx *sql.Tx, c ContactRecord) error {
	birth := ""
	if !c.BirthDate.IsZero() {
		birth = c.BirthDate.Format(time.DateOnly)
	}
	status := c.AgeStatus
	if status == "" {
		status = AgeUnknown
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO privacy_contacts (`+contactColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account) DO UPDATE SET
				email_sha256 = excluded.email_sha256, phone_sha256 = excluded.phone_sha256,
				email_rules = excluded.email_rules, country = excluded.country,
				ad_user_data = excluded.ad_user_data, ad_personalization = excluded.ad_personalization,
				eea = excluded.eea, consent_updated_at = excluded.consent_updated_at,
				opted_out = excluded.opted_out, age_status = excluded.age_status,
				birth_date = excluded.birth_date, age_checked_at = excluded.age_checked_at,
				updated_at = excluded.updated_at`),
		c.Account, c.EmailSHA256, c.PhoneSHA256, string(c.EmailRules), c.Country,
		c.Consent.AdUserData.String(), c.Consent.AdPersonalization.String(), b01(c.Consent.EEA),
		micros(c.Consent.UpdatedAt), b01(c.OptedOut), string(status), birth, micros(c.AgeCheckedAt), micros(c.UpdatedAt))
	return err
}

// ListContacts implements Store.
func (s *SQLStore) ListContacts(ctx context.Context) ([]ContactRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+contactColumns+` FROM privacy_contacts ORDER BY account`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ContactRecord
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutPseudonym implements Store.
func (s *SQLStore) PutPseudonym(ctx context.Context, p Pseudonym) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO privacy_pseudonyms (account, purpose, value, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (account, purpose) DO UPDATE SET
				value = excluded.value, created_at = excluded.created_at`),
			p.Account, p.Purpose, p.Value, micros(p.CreatedAt))
		return err
	})
}

// ListPseudonyms implements Store.
func (s *SQLStore) ListPseudonyms(ctx context.Context, account string) ([]Pseudonym, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT purpose, value, created_at FROM privacy_pseudonyms
		WHERE account = ? ORDER BY purpose`), account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Pseudonym
	for rows.Next() {
		p := Pseudonym{Account: account}
		var at int64
		if err := rows.Scan(&p.Purpose, &p.Value, &at); err != nil {
			return nil, err
		}
		p.CreatedAt = fromMicros(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// EraseAccount implements Store.
func (s *SQLStore) EraseAccount(ctx context.Context, account string, now time.Time) (ErasedCounts, error) {
	var n ErasedCounts
	err := s.tx(ctx, func(tx *sql.Tx) error {
		n = ErasedCounts{}
		if err := s.lockContact(ctx, tx, account); err != nil {
			return err
		}
		var email, phone, rules string
		err := tx.QueryRowContext(ctx, s.q(`DELETE FROM privacy_contacts WHERE account = ?
			RETURNING email_sha256, phone_sha256, email_rules`), account).Scan(&email, &phone, &rules)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			n.Contacts = 1
			if email != "" || phone != "" {
				if err := s.queueRemoval(ctx, tx, PendingRemoval{ID: newRemovalID(), EmailSHA256: email, PhoneSHA256: phone,
					EmailRules: EmailRules(rules), Reason: ReasonErased, CreatedAt: now}); err != nil {
					return err
				}
				n.QueuedRemoval = true
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM privacy_pseudonyms WHERE account = ?`), account)
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		n.Pseudonyms = int(k)
		return err
	})
	return n, err
}

// PendingRemovals implements Store.
func (s *SQLStore) PendingRemovals(ctx context.Context) ([]PendingRemoval, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, email_sha256, phone_sha256, email_rules, reason, created_at
		FROM privacy_pending_removals ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PendingRemoval
	for rows.Next() {
		var r PendingRemoval
		var rules, reason string
		var at int64
		if err := rows.Scan(&r.ID, &r.EmailSHA256, &r.PhoneSHA256, &rules, &reason, &at); err != nil {
			return nil, err
		}
		r.EmailRules, r.Reason, r.CreatedAt = EmailRules(rules), Reason(reason), fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// AckRemovals implements Store.
func (s *SQLStore) AckRemovals(ctx context.Context, ids []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM privacy_pending_removals WHERE id = ?`), id); err != nil {
				return err
			}
		}
		return nil
	})
}
