package privacy_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/metering/pgstore"
	"github.com/picfre/picfre/metering/sqlitestore"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/retention"
)

// backend makes a ledger store and a privacy store over one fresh database.
type backend func(t *testing.T) (driver.Store, privacy.Store)

func backends() map[string]backend {
	return map[string]backend{
		"memory": func(t *testing.T) (driver.Store, privacy.Store) {
			return memstore.New(), privacy.NewMemStore()
		},
		"sqlite": func(t *testing.T) (driver.Store, privacy.Store) {
			file := filepath.Join(t.TempDir(), "ledger.db")
			ls, err := sqlitestore.Open(t.Context(), file, sqlitestore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ls.Close() })
			db, err := sql.Open("sqlite", "file:"+file+"?_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			ps, err := privacy.OpenSQLStore(t.Context(), db, privacy.SQLite)
			if err != nil {
				t.Fatal(err)
			}
			return ls, ps
		},
		"postgres": func(t *testing.T) (driver.Store, privacy.Store) {
			dsn := testenv.Postgres(t)
			ls, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ls.Close() })
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			ps, err := privacy.OpenSQLStore(t.Context(), db, privacy.Postgres)
			if err != nil {
				t.Fatal(err)
			}
			return ls, ps
		},
	}
}

var t0 = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

func TestStore(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			_, st := mk(t)
			ctx := t.Context()
			if _, ok, err := st.GetContact(ctx, "nobody"); ok || err != nil {
				t.Fatalf("GetContact(nobody) = %v, %v", ok, err)
			}
			full := privacy.ContactRecord{
				Account: "b", EmailSHA256: sha("e"), PhoneSHA256: sha("p"), EmailRules: privacy.EmailRulesGmailCanonical,
				Country: "SE", Consent: privacy.Consent{AdUserData: privacy.ConsentGranted, AdPersonalization: privacy.ConsentDenied, EEA: true, UpdatedAt: t0},
				OptedOut: true, AgeStatus: privacy.AgeUnderAge, BirthDate: time.Date(2015, 2, 28, 0, 0, 0, 0, time.UTC),
				AgeCheckedAt: t0.Add(time.Microsecond), UpdatedAt: t0.Add(time.Second),
			}
			bare := privacy.ContactRecord{Account: "a", AgeStatus: privacy.AgeUnknown, UpdatedAt: t0}
			for _, c := range []privacy.ContactRecord{full, bare} {
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
			for _, p := range []privacy.Pseudonym{
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
			if err != nil || n != (privacy.ErasedCounts{Contacts: 1, Pseudonyms: 2, QueuedRemoval: true}) {
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
			if n, err := st.EraseAccount(ctx, "a", t0); err != nil || n != (privacy.ErasedCounts{Contacts: 1, Pseudonyms: 1}) {
				t.Fatalf("EraseAccount(a) = %+v, %v", n, err)
			}
			if n, err := st.EraseAccount(ctx, "nobody", t0); err != nil || n != (privacy.ErasedCounts{}) {
				t.Fatalf("EraseAccount(nobody) = %+v, %v", n, err)
			}
			rs, err := st.PendingRemovals(ctx)
			if err != nil || len(rs) != 1 || rs[0].PhoneSHA256 != sha("p") || rs[0].EmailSHA256 != "" ||
				rs[0].EmailRules != privacy.EmailRulesGmailCanonical || rs[0].Reason != privacy.ReasonErased || !rs[0].CreatedAt.Equal(t0) || rs[0].ID == "" {
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

func sha(s string) string {
	h, _ := privacy.EmailRulesGoogle2025.Hash(s + "@example.com")
	return h
}

// TestSubjects: access, correction and erasure over the ledger and the
// privacy store; export after erase holds only what the law keeps, and
// says so.
func TestSubjects(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			ls, ps := mk(t)
			ctx := t.Context()
			now := t0
			clock := func() time.Time { return now }
			l := metering.NewLedger(ls, metering.Options{Clock: clock})
			// A 7-year period: the export states the end date it implies.
			subj := &privacy.Subjects{Store: ps, Ledger: l, Clock: clock, Retention: retention.Policy{TopUpYears: 7}}
			for _, a := range []string{"jane", "other"} {
				if _, err := l.TopUp(ctx, metering.TopUp{Account: a, Credits: 50, PaymentRef: "pay-" + a}); err != nil {
					t.Fatal(err)
				}
			}
			for _, key := range []string{"k1", "k2"} {
				h, err := l.Authorize(ctx, metering.Authorization{Account: "jane", IdempotencyKey: key, Credits: 4, Task: "metadata", MediaType: "image"})
				if err != nil {
					t.Fatal(err)
				}
				if err := l.Capture(ctx, h, metering.Event{File: key + ".jpg", Provider: "local"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := l.Refund(ctx, metering.Refund{Account: "jane", Credits: 1, Key: "r1", Reason: "blurry result"}); err != nil {
				t.Fatal(err)
			}
			rec, err := subj.Correct(ctx, "jane", privacy.Correction{
				Email: ptr(" Jane.Doe@Example.com"), Phone: ptr("070-123 45 67"), Country: ptr("se"),
				AdUserData: ptr(privacy.ConsentGranted), AdPersonalization: ptr(privacy.ConsentGranted), EEA: ptr(true),
				BirthDate: ptr(time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC)),
			})
			if err != nil {
				t.Fatal(err)
			}
			wantEmail, _ := privacy.HashEmail("jane.doe@example.com")
			wantPhone, _ := privacy.HashPhone("+46701234567", "")
			if rec.EmailSHA256 != wantEmail || rec.PhoneSHA256 != wantPhone || rec.Country != "SE" ||
				rec.AgeStatus != privacy.AgeAllowed || !rec.BirthDate.IsZero() || !rec.AgeCheckedAt.Equal(now) {
				t.Fatalf("Correct = %+v", rec)
			}
			if err := ps.PutPseudonym(ctx, privacy.Pseudonym{Account: "jane", Purpose: "ads", Value: "k1:00ff", CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
			// Invalid input changes nothing.
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{Email: ptr("not an address"), OptedOut: ptr(true)}); !errors.Is(err, privacy.ErrInvalidEmail) {
				t.Fatalf("Correct with a bad address: %v", err)
			}
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{BirthDate: ptr(now.AddDate(1, 0, 0))}); !errors.Is(err, privacy.ErrBirthDateInFuture) {
				t.Fatalf("Correct with a future birth date: %v", err)
			}
			if got, _, _ := ps.GetContact(ctx, "jane"); got != rec {
				t.Fatalf("a failed correction changed the record: %+v", got)
			}

			x, err := subj.Export(ctx, "jane")
			if err != nil {
				t.Fatal(err)
			}
			if x.Version != privacy.ExportVersion || x.Account != "jane" || len(x.TopUps) != 1 || len(x.Credits) != 1 || len(x.Usage) != 2 ||
				x.Usage[0].File != "k1.jpg" || x.Contact == nil || x.Contact.EmailSHA256 != wantEmail || x.Contact.AdUserData != "granted" ||
				len(x.Pseudonym) != 1 || x.Balance == nil || x.Balance.Credits != 43 {
				t.Fatalf("Export = %+v", x)
			}
			if !x.Usage[0].KeptUntil.Equal(time.Date(2026, 6, 11, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("usage kept until %v, want the end of 10 June", x.Usage[0].KeptUntil)
			}
			if got := kinds(x.Retained); !slices.Equal(got, []string{"topups", "balance", "usage", "contact", "pseudonyms"}) {
				t.Errorf("retention statement kinds = %v", got)
			}

			up, ids, err := subj.CustomerMatch(ctx, privacy.CustomerMatchBuilder{})
			if err != nil || len(up.Adds) != 1 || up.Adds[0].Email != wantEmail || up.Adds[0].Phone != wantPhone || len(up.Removes) != 0 || len(ids) != 0 {
				t.Fatalf("CustomerMatch before erasure = %+v, %v, %v", up, ids, err)
			}

			// A legal hold refuses erasure, and nothing is deleted.
			if err := l.SetLegalHold(ctx, "jane", true); err != nil {
				t.Fatal(err)
			}
			if _, err := subj.Erase(ctx, "jane"); !errors.Is(err, metering.ErrLegalHold) {
				t.Fatalf("Erase under a legal hold: %v", err)
			}
			if held, _ := subj.Export(ctx, "jane"); len(held.Usage) != 2 || held.Contact == nil || !held.LegalHold {
				t.Fatalf("a refused erasure deleted data: %+v", held)
			}
			if err := l.SetLegalHold(ctx, "jane", false); err != nil {
				t.Fatal(err)
			}

			now = now.Add(time.Hour)
			rep, err := subj.Erase(ctx, "jane")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Deleted["usage"] != 2 || rep.Deleted["contact"] != 1 || rep.Deleted["pseudonyms"] != 1 || !rep.PendingRemoval {
				t.Fatalf("erasure report = %+v", rep)
			}
			if got := kinds(rep.Kept); !slices.Equal(got, []string{"topups", "balance"}) {
				t.Fatalf("erasure kept %v, want only top-ups and the balance", got)
			}
			// The top-up alone would be kept to 2034 under the 7-year
			// policy, but the refund beside it is never purged: the
			// statement gives no end date rather than a wrong one.
			if k := rep.Kept[0]; k.Count != 2 || k.Reason != privacy.ReasonBookkeeping || k.Until != nil {
				t.Fatalf("top-ups kept as %+v", k)
			}

			after, err := subj.Export(ctx, "jane")
			if err != nil {
				t.Fatal(err)
			}
			if len(after.Usage) != 0 || after.Contact != nil || len(after.Pseudonym) != 0 {
				t.Fatalf("export after erasure still holds erased data: %+v", after)
			}
			if !slices.Equal(after.TopUps, x.TopUps) || !slices.Equal(after.Credits, x.Credits) || *after.Balance != *x.Balance {
				t.Fatalf("erasure changed the payment records: %+v, was %+v", after, x)
			}
			if after.Purged == nil || after.Purged.Credits != 8 {
				t.Fatalf("purged usage = %+v, want the 8 erased credits", after.Purged)
			}
			if got := kinds(after.Retained); !slices.Equal(got, []string{"topups", "balance"}) {
				t.Fatalf("export after erasure states %v", got)
			}
			js, err := json.Marshal(after)
			if err != nil {
				t.Fatal(err)
			}
			var generic map[string]any
			if err := json.Unmarshal(js, &generic); err != nil || generic["version"] != "picfre.export/v1" || generic["contact"] != nil {
				t.Fatalf("export JSON = %s", js)
			}
			// The other account is untouched.
			if o, _ := subj.Export(ctx, "other"); len(o.TopUps) != 1 || o.Balance.Credits != 50 {
				t.Fatalf("other account = %+v", o)
			}

			// The next upload removes the erased person, then forgets them.
			up, ids, err = subj.CustomerMatch(ctx, privacy.CustomerMatchBuilder{})
			if err != nil || len(up.Adds) != 0 || len(up.Removes) != 1 || up.Removes[0].Email != wantEmail || up.Removes[0].Phone != wantPhone || len(ids) != 1 {
				t.Fatalf("CustomerMatch after erasure = %+v, %v, %v", up, ids, err)
			}
			if err := ps.AckRemovals(ctx, ids); err != nil {
				t.Fatal(err)
			}
			if up, ids, err = subj.CustomerMatch(ctx, privacy.CustomerMatchBuilder{}); err != nil || len(up.Removes) != 0 || len(ids) != 0 {
				t.Fatalf("CustomerMatch after the removal was taken = %+v, %v, %v", up, ids, err)
			}
			// Erasing again is harmless.
			if rep, err := subj.Erase(ctx, "jane"); err != nil || rep.Deleted["usage"] != 0 || rep.PendingRemoval {
				t.Fatalf("second erasure = %+v, %v", rep, err)
			}
		})
	}
}

func kinds(rs []privacy.Retained) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Kind)
	}
	return out
}

// TestAgeMinimisation: only an under-age date of birth is kept, and it
// keeps the person off customer lists (and removes them).
func TestAgeMinimisation(t *testing.T) {
	ctx := t.Context()
	st := privacy.NewMemStore()
	subj := &privacy.Subjects{Store: st, Clock: func() time.Time { return t0 }}
	kid := time.Date(2016, 7, 4, 0, 0, 0, 0, time.UTC)
	rec, err := subj.Correct(ctx, "kid", privacy.Correction{Email: ptr("kid@example.com"), Country: ptr("US"), BirthDate: &kid})
	if err != nil || rec.AgeStatus != privacy.AgeUnderAge || !rec.BirthDate.Equal(kid) {
		t.Fatalf("Correct(kid) = %+v, %v", rec, err)
	}
	if _, err := subj.Correct(ctx, "adult", privacy.Correction{Email: ptr("adult@example.com"), BirthDate: ptr(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)),
		AdUserData: ptr(privacy.ConsentGranted), AdPersonalization: ptr(privacy.ConsentGranted)}); err != nil {
		t.Fatal(err)
	}
	if rec, _, _ := st.GetContact(ctx, "adult"); rec.AgeStatus != privacy.AgeAllowed || !rec.BirthDate.IsZero() {
		t.Fatalf("an adult's date of birth was kept: %+v", rec)
	}
	up, _, err := subj.CustomerMatch(ctx, privacy.CustomerMatchBuilder{})
	if err != nil || len(up.Adds) != 1 || len(up.Removes) != 1 {
		t.Fatalf("CustomerMatch = %+v, %v", up, err)
	}
	if want, _ := privacy.HashEmail("kid@example.com"); up.Removes[0].Email != want {
		t.Fatalf("the child is not removed: %+v", up)
	}
	// Forgetting the date forgets the status too.
	if rec, err := subj.Correct(ctx, "kid", privacy.Correction{BirthDate: &time.Time{}}); err != nil || rec.AgeStatus != privacy.AgeUnknown || !rec.BirthDate.IsZero() {
		t.Fatalf("forget birth date = %+v, %v", rec, err)
	}
	if _, err := subj.Export(ctx, ""); !errors.Is(err, privacy.ErrInvalidAccount) {
		t.Fatalf("Export of an empty account: %v", err)
	}
}

func TestTopUpRetentionStatement(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return t0 }
	for _, tc := range []struct {
		years int
		want  *time.Time
	}{
		{0, nil}, // kept indefinitely by default
		{7, ptr(time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC))},
		{10, ptr(time.Date(2037, 1, 1, 0, 0, 0, 0, time.UTC))},
	} {
		ls := memstore.New()
		l := metering.NewLedger(ls, metering.Options{Clock: clock})
		if _, err := l.TopUp(ctx, metering.TopUp{Account: "jane", Credits: 50, PaymentRef: "pay-1"}); err != nil {
			t.Fatal(err)
		}
		subj := &privacy.Subjects{Store: privacy.NewMemStore(), Ledger: l, Clock: clock, Retention: retention.Policy{TopUpYears: tc.years}}
		x, err := subj.Export(ctx, "jane")
		if err != nil {
			t.Fatal(err)
		}
		var got *time.Time
		for _, r := range x.Retained {
			if r.Kind == "topups" {
				got = r.Until
			}
		}
		if (got == nil) != (tc.want == nil) || got != nil && !got.Equal(*tc.want) {
			t.Errorf("TopUpYears %d: top-ups kept until %v, want %v", tc.years, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
