package contactstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/sqlq"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/driver"
)

// Dialect names the SQL database behind a store OpenSQL returns.
type Dialect string

// The dialects OpenSQL supports.
const (
	// SQLite through modernc.org/sqlite. Open the *sql.DB with
	// immediate write transactions and a busy timeout (as store.Open
	// does), so that concurrent writers queue instead of failing.
	SQLite Dialect = "sqlite"
	// PostgreSQL through github.com/jackc/pgx/v5/stdlib (for example
	// stdlib.OpenDBFromPool over the ledger's pool).
	Postgres Dialect = "postgres"
)

// ErrUnknownDialect means OpenSQL was given a Dialect it does not know.
// Code InvalidArgument.
var ErrUnknownDialect = errcode.New(errcode.InvalidArgument, "contactstore: unknown SQL dialect")

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

// sqlStore keeps the records in SQLite or PostgreSQL.
type sqlStore struct {
	db      *sql.DB
	dialect Dialect
}

// OpenSQL creates the tables if needed and returns a contact store over
// db, in tables named privacy_* beside the credit ledger's (the same
// SQLite file, or the same PostgreSQL schema). It is safe for concurrent
// use, also by several processes. The caller keeps ownership of db and
// closes it after the last call; store.Open does all of this for the
// database it opens. Hand the store to privacy.Subjects.
func OpenSQL(ctx context.Context, db *sql.DB, d Dialect) (driver.ContactStore, error) {
	if d != SQLite && d != Postgres {
		return nil, fmt.Errorf("%w: %q", ErrUnknownDialect, string(d))
	}
	s := &sqlStore{db: db, dialect: d}
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
		return nil, errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("contactstore: create tables: %w", err))
	}
	return s, nil
}

// q rewrites the '?' placeholders of query for the dialect.
func (s *sqlStore) q(query string) string { return sqlq.Rebind(query, s.dialect == Postgres) }

func (s *sqlStore) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return sqlq.InTx(ctx, s.db, fn)
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

func scanContact(r scanner) (driver.Contact, error) {
	var c driver.Contact
	var rules, aud, apers, status, birth string
	var eea, opted int
	var consentAt, checked, updated int64
	if err := r.Scan(&c.Account, &c.EmailSHA256, &c.PhoneSHA256, &rules, &c.Country, &aud, &apers,
		&eea, &consentAt, &opted, &status, &birth, &checked, &updated); err != nil {
		return driver.Contact{}, err
	}
	c.EmailRules, c.AgeStatus = custmatch.EmailRules(rules), driver.AgeStatus(status)
	c.Consent.AdUserData, _ = custmatch.ParseConsentState(aud)
	c.Consent.AdPersonalization, _ = custmatch.ParseConsentState(apers)
	c.Consent.EEA, c.OptedOut = eea == 1, opted == 1
	c.Consent.UpdatedAt, c.AgeCheckedAt, c.UpdatedAt = fromMicros(consentAt), fromMicros(checked), fromMicros(updated)
	if birth != "" {
		t, err := time.Parse(time.DateOnly, birth)
		if err != nil {
			return driver.Contact{}, fmt.Errorf("contactstore: stored birth date: %w", err)
		}
		c.BirthDate = t
	}
	return c, nil
}

// GetContact implements driver.ContactStore.
func (s *sqlStore) GetContact(ctx context.Context, account string) (driver.Contact, bool, error) {
	c, err := scanContact(s.db.QueryRowContext(ctx, s.q(`SELECT `+contactColumns+` FROM privacy_contacts WHERE account = ?`), account))
	if errors.Is(err, sql.ErrNoRows) {
		return driver.Contact{}, false, nil
	}
	return c, err == nil, err
}

// PutContact implements driver.ContactStore.
func (s *sqlStore) PutContact(ctx context.Context, c driver.Contact) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.putContact(ctx, tx, c) })
}

// lockContact serialises the transactions that read and write the
// account's contact. In PostgreSQL it takes a transaction advisory lock
// on the account, which also covers an account without a row yet; in
// SQLite the immediate transaction (see SQLite) already holds the write
// lock, and a deferred one fails at its first write rather than
// overwriting a newer record.
func (s *sqlStore) lockContact(ctx context.Context, tx *sql.Tx, account string) error {
	if s.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('picfre.privacy.contact'), hashtext($1))`, account)
	return err
}

// UpdateContact implements driver.ContactStore.
func (s *sqlStore) UpdateContact(ctx context.Context, account string, now time.Time, fn func(driver.Contact, bool) (driver.Contact, error)) (driver.Contact, error) {
	var rec driver.Contact
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
		return driver.Contact{}, err
	}
	return rec, nil
}

func (s *sqlStore) queueRemoval(ctx context.Context, tx *sql.Tx, r driver.PendingRemoval) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO privacy_pending_removals
		(id, email_sha256, phone_sha256, email_rules, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		r.ID, r.EmailSHA256, r.PhoneSHA256, string(r.EmailRules), string(r.Reason), micros(r.CreatedAt))
	return err
}

func (s *sqlStore) putContact(ctx context.Context, tx *sql.Tx, c driver.Contact) error {
	birth := ""
	if !c.BirthDate.IsZero() {
		birth = c.BirthDate.Format(time.DateOnly)
	}
	status := c.AgeStatus
	if status == "" {
		status = driver.AgeUnknown
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

// ListContacts implements driver.ContactStore.
func (s *sqlStore) ListContacts(ctx context.Context) ([]driver.Contact, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+contactColumns+` FROM privacy_contacts ORDER BY account`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutPseudonym implements driver.ContactStore.
func (s *sqlStore) PutPseudonym(ctx context.Context, p driver.Pseudonym) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO privacy_pseudonyms (account, purpose, value, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (account, purpose) DO UPDATE SET
				value = excluded.value, created_at = excluded.created_at`),
			p.Account, p.Purpose, p.Value, micros(p.CreatedAt))
		return err
	})
}

// ListPseudonyms implements driver.ContactStore.
func (s *sqlStore) ListPseudonyms(ctx context.Context, account string) ([]driver.Pseudonym, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT purpose, value, created_at FROM privacy_pseudonyms
		WHERE account = ? ORDER BY purpose`), account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.Pseudonym
	for rows.Next() {
		p := driver.Pseudonym{Account: account}
		var at int64
		if err := rows.Scan(&p.Purpose, &p.Value, &at); err != nil {
			return nil, err
		}
		p.CreatedAt = fromMicros(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// EraseAccount implements driver.ContactStore.
func (s *sqlStore) EraseAccount(ctx context.Context, account string, now time.Time) (driver.ErasedCounts, error) {
	var n driver.ErasedCounts
	err := s.tx(ctx, func(tx *sql.Tx) error {
		n = driver.ErasedCounts{}
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
				if err := s.queueRemoval(ctx, tx, driver.PendingRemoval{ID: newRemovalID(), EmailSHA256: email, PhoneSHA256: phone,
					EmailRules: custmatch.EmailRules(rules), Reason: custmatch.ReasonErased, CreatedAt: now}); err != nil {
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

// PendingRemovals implements driver.ContactStore.
func (s *sqlStore) PendingRemovals(ctx context.Context) ([]driver.PendingRemoval, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, email_sha256, phone_sha256, email_rules, reason, created_at
		FROM privacy_pending_removals ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.PendingRemoval
	for rows.Next() {
		var r driver.PendingRemoval
		var rules, reason string
		var at int64
		if err := rows.Scan(&r.ID, &r.EmailSHA256, &r.PhoneSHA256, &rules, &reason, &at); err != nil {
			return nil, err
		}
		r.EmailRules, r.Reason, r.CreatedAt = custmatch.EmailRules(rules), custmatch.Reason(reason), fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// AckRemovals implements driver.ContactStore.
func (s *sqlStore) AckRemovals(ctx context.Context, ids []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM privacy_pending_removals WHERE id = ?`), id); err != nil {
				return err
			}
		}
		return nil
	})
}
