package contactstore_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/sqlitedb"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/driver"
)

// backends returns a constructor of a fresh, empty store per backend.
func backends() map[string]func(t *testing.T) driver.ContactStore {
	open := func(t *testing.T, db *sql.DB, d contactstore.Dialect) driver.ContactStore {
		t.Helper()
		t.Cleanup(func() { db.Close() })
		st, err := contactstore.OpenSQL(t.Context(), db, d)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	return map[string]func(t *testing.T) driver.ContactStore{
		"memory": func(t *testing.T) driver.ContactStore { return contactstore.NewMemory() },
		"sqlite": func(t *testing.T) driver.ContactStore {
			db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "ledger.db"), sqlitedb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return open(t, db, contactstore.SQLite)
		},
		"postgres": func(t *testing.T) driver.ContactStore {
			pool, err := pgxpool.New(t.Context(), testenv.Postgres(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			return open(t, stdlib.OpenDBFromPool(pool), contactstore.Postgres)
		},
	}
}

var t0 = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

func sha(s string) string {
	h, _ := custmatch.EmailRulesGoogle2025.Hash(s + "@example.com")
	return h
}

func TestStore(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			st := mk(t)
			ctx := t.Context()
			if _, ok, err := st.GetContact(ctx, "nobody"); ok || err != nil {
				t.Fatalf("GetContact(nobody) = %v, %v", ok, err)
			}
			full := driver.Contact{
				Account: "b", EmailSHA256: sha("e"), PhoneSHA256: sha("p"), EmailRules: custmatch.EmailRulesGmailCanonical,
				Country: "SE", Consent: custmatch.Consent{AdUserData: custmatch.ConsentGranted, AdPersonalization: custmatch.ConsentDenied, EEA: true, UpdatedAt: t0},
				OptedOut: true, AgeStatus: driver.AgeUnderAge, BirthDate: time.Date(2015, 2, 28, 0, 0, 0, 0, time.UTC),
				AgeCheckedAt: t0.Add(time.Microsecond), UpdatedAt: t0.Add(time.Second),
			}
			bare := driver.Contact{Account: "a", AgeStatus: driver.AgeUnknown, UpdatedAt: t0}
			for _, c := range []driver.Contact{full, bare} {
				if err := st.PutContact(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			got, ok, err := st.GetContact(ctx, "b")
			if err != nil || !ok || got != full {
				t.Fatalf("GetContact = %+v, %v, %v\nwant %+v", got, ok, err, full)
			}
			full.OptedOut, full.EmailSHA256 = false, ""
			if err := st.PutContact(ctx, full); err != nil {
				t.Fatal(err)
			}
			all, err := st.ListContacts(ctx)
			if err != nil || len(all) != 2 || all[0] != bare || all[1] != full {
				t.Fatalf("ListContacts = %+v, %v", all, err)
			}
			for _, p := range []driver.Pseudonym{
				{Account: "b", Purpose: "logs", Value: "k1:aa", CreatedAt: t0},
				{Account: "b", Purpose: "ads", Value: "k1:bb", CreatedAt: t0},
				{Account: "b", Purpose: "logs", Value: "k2:cc", CreatedAt: t0.Add(time.Hour)},
				{Account: "a", Purpose: "ads", Value: "k1:dd", CreatedAt: t0},
			} {
				if err := st.PutPseudonym(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			ps, err := st.ListPseudonyms(ctx, "b")
			if err != nil || len(ps) != 2 || ps[0].Purpose != "ads" || ps[1].Value != "k2:cc" || !ps[1].CreatedAt.Equal(t0.Add(time.Hour)) {
				t.Fatalf("ListPseudonyms = %+v, %v", ps, err)
			}
			n, err := st.EraseAccount(ctx, "b", t0)
			if err != nil || n != (driver.ErasedCounts{Contacts: 1, Pseudonyms: 2, QueuedRemoval: true}) {
				t.Fatalf("EraseAccount = %+v, %v", n, err)
			}
			if _, ok, _ := st.GetContact(ctx, "b"); ok {
				t.Fatal("the contact survived erasure")
			}
			if ps, _ := st.ListPseudonyms(ctx, "b"); len(ps) != 0 {
				t.Fatalf("pseudonyms survived erasure: %+v", ps)
			}
			if ps, _ := st.ListPseudonyms(ctx, "a"); len(ps) != 1 {
				t.Fatalf("another account's pseudonyms were erased: %+v", ps)
			}
			// A contact without hashes leaves nothing to remove.
			if n, err := st.EraseAccount(ctx, "a", t0); err != nil || n != (driver.ErasedCounts{Contacts: 1, Pseudonyms: 1}) {
				t.Fatalf("EraseAccount(a) = %+v, %v", n, err)
			}
			if n, err := st.EraseAccount(ctx, "nobody", t0); err != nil || n != (driver.ErasedCounts{}) {
				t.Fatalf("EraseAccount(nobody) = %+v, %v", n, err)
			}
			rs, err := st.PendingRemovals(ctx)
			if err != nil || len(rs) != 1 || rs[0].PhoneSHA256 != sha("p") || rs[0].EmailSHA256 != "" ||
				rs[0].EmailRules != custmatch.EmailRulesGmailCanonical || rs[0].Reason != custmatch.ReasonErased || !rs[0].CreatedAt.Equal(t0) || rs[0].ID == "" {
				t.Fatalf("PendingRemovals = %+v, %v", rs, err)
			}
			if err := st.AckRemovals(ctx, []string{"unknown", rs[0].ID}); err != nil {
				t.Fatal(err)
			}
			if rs, err := st.PendingRemovals(ctx); err != nil || len(rs) != 0 {
				t.Fatalf("PendingRemovals after ack = %+v, %v", rs, err)
			}
		})
	}
}

// TestUpdateContact: an error from the callback is returned as is and
// changes nothing; a callback that returns another account's record is
// refused (a bug, code Internal).
func TestUpdateContact(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			st := mk(t)
			ctx := t.Context()
			rec := driver.Contact{Account: "jane", EmailSHA256: sha("jane"), AgeStatus: driver.AgeUnknown, UpdatedAt: t0}
			if err := st.PutContact(ctx, rec); err != nil {
				t.Fatal(err)
			}
			stop := errors.New("invalid correction")
			for _, tc := range []struct {
				name string
				fn   func(driver.Contact, bool) (driver.Contact, error)
				want func(error) bool
			}{
				{"callback error", func(c driver.Contact, _ bool) (driver.Contact, error) { return driver.Contact{}, stop },
					func(err error) bool { return err == stop }},
				{"other account", func(c driver.Contact, _ bool) (driver.Contact, error) {
					c.Account, c.EmailSHA256 = "sam", ""
					return c, nil
				},
					func(err error) bool { return errcode.Of(err) == errcode.Internal }},
			} {
				if _, err := st.UpdateContact(ctx, "jane", t0, tc.fn); !tc.want(err) {
					t.Errorf("%s: %v", tc.name, err)
				}
			}
			if got, ok, err := st.GetContact(ctx, "jane"); err != nil || !ok || got != rec {
				t.Fatalf("after failed updates: %+v, %v, %v", got, ok, err)
			}
			if rs, err := st.PendingRemovals(ctx); err != nil || len(rs) != 0 {
				t.Fatalf("failed updates queued removals: %+v, %v", rs, err)
			}
			if _, ok, _ := st.GetContact(ctx, "sam"); ok {
				t.Fatal("a refused update wrote another account's record")
			}
		})
	}
}

func TestOpenSQLUnknownDialect(t *testing.T) {
	_, err := contactstore.OpenSQL(t.Context(), nil, "oracle")
	if !errors.Is(err, contactstore.ErrUnknownDialect) || errcode.Of(err) != errcode.InvalidArgument ||
		err.Error() != `contactstore: unknown SQL dialect: "oracle"` {
		t.Fatalf("OpenSQL(oracle) = %v", err)
	}
}
