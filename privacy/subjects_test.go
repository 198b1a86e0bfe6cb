package privacy_test

import (
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/agegate"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/driver"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/store"
)

// backend opens a fresh database — the credit ledger and the contact
// store over it — as store.Open does for a DSN.
type backend func(t *testing.T, opts metering.Options) *store.DB

func backends() map[string]backend {
	open := func(t *testing.T, dsn string, opts metering.Options) *store.DB {
		t.Helper()
		db, err := store.Open(t.Context(), dsn, store.Options{Ledger: opts})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	return map[string]backend{
		"memory": func(t *testing.T, opts metering.Options) *store.DB {
			return store.Memory(store.Options{Ledger: opts})
		},
		"sqlite": func(t *testing.T, opts metering.Options) *store.DB {
			return open(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"), opts)
		},
		"postgres": func(t *testing.T, opts metering.Options) *store.DB {
			return open(t, testenv.Postgres(t), opts)
		},
	}
}

var t0 = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

// TestSubjects: access, correction and erasure over the ledger and the
// privacy store; export after erase holds only what the law keeps, and
// says so.
func TestSubjects(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			now := t0
			clock := func() time.Time { return now }
			db := mk(t, metering.Options{Clock: clock})
			l, ps := db.Ledger(), db.Contacts()
			// A 7-year period: the export states the end date it implies.
			subj := &privacy.Subjects{Contacts: ps, Ledger: l, Clock: clock, Retention: retention.Policy{TopUpYears: 7}}
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
				AdUserData: ptr(custmatch.ConsentGranted), AdPersonalization: ptr(custmatch.ConsentGranted), EEA: ptr(true),
				BirthDate: ptr(time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC)),
			})
			if err != nil {
				t.Fatal(err)
			}
			wantEmail, _ := custmatch.HashEmail("jane.doe@example.com")
			wantPhone, _ := custmatch.HashPhone("+46701234567", "")
			if rec.EmailSHA256 != wantEmail || rec.PhoneSHA256 != wantPhone || rec.Country != "SE" ||
				rec.AgeStatus != "allowed" || rec.BirthDate != "" || rec.AgeCheckedAt == nil || !rec.AgeCheckedAt.Equal(now) {
				t.Fatalf("Correct = %+v", rec)
			}
			stored, ok, err := ps.GetContact(ctx, "jane")
			if err != nil || !ok || stored.AgeStatus != driver.AgeAllowed || !stored.BirthDate.IsZero() || stored.EmailSHA256 != wantEmail {
				t.Fatalf("stored contact = %+v, %v, %v", stored, ok, err)
			}
			if err := subj.KeepPseudonym(ctx, "jane", privacy.Pseudonym{Purpose: "ads", Value: "k1:00ff"}); err != nil {
				t.Fatal(err)
			}
			// Invalid input changes nothing.
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{Email: ptr("not an address"), OptedOut: ptr(true)}); !errors.Is(err, custmatch.ErrInvalidEmail) {
				t.Fatalf("Correct with a bad address: %v", err)
			}
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{BirthDate: ptr(now.AddDate(1, 0, 0))}); !errors.Is(err, agegate.ErrBirthDateInFuture) {
				t.Fatalf("Correct with a future birth date: %v", err)
			}
			if got, _, _ := ps.GetContact(ctx, "jane"); got != stored {
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
			if got := kinds(x.Retained); !slices.Equal(got, []retention.Kind{retention.KindTopUp, retention.KindRefund, retention.KindBalance,
				retention.KindUsage, retention.KindContact, retention.KindPseudonym}) {
				t.Errorf("retention statement kinds = %v", got)
			}
			if !reflect.DeepEqual(x.Pseudonym, []privacy.ExportPseudo{{Purpose: "ads", Value: "k1:00ff", CreatedAt: now}}) {
				t.Errorf("exported pseudonyms = %+v", x.Pseudonym)
			}

			up, ids, err := subj.CustomerMatch(ctx, custmatch.Builder{})
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
			if !maps.Equal(rep.Deleted, map[retention.Kind]int{retention.KindUsage: 2, retention.KindAttempt: 0, retention.KindJob: 0, retention.KindContact: 1, retention.KindPseudonym: 1}) || !rep.PendingRemoval {
				t.Fatalf("erasure report = %+v", rep)
			}
			if got := kinds(rep.Kept); !slices.Equal(got, []retention.Kind{retention.KindTopUp, retention.KindRefund, retention.KindBalance}) {
				t.Fatalf("erasure kept %v, want only top-ups, the refund and the balance", got)
			}
			// The top-up is kept to 2034 under the 7-year policy; the
			// refund beside it is never purged, and says so.
			if k := rep.Kept[0]; k.Count != 1 || k.Reason != topUpReason7 || k.Until == nil || !k.Until.Equal(time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("top-ups kept as %+v", k)
			}
			if k := rep.Kept[1]; k.Count != 1 || k.Reason != "Refunds of credits are payment records, kept like your top-ups (GDPR art. 17(3)(b)), with no end date." || k.Until != nil {
				t.Fatalf("refunds kept as %+v", k)
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
			if got := kinds(after.Retained); !slices.Equal(got, []retention.Kind{retention.KindTopUp, retention.KindRefund, retention.KindBalance}) {
				t.Fatalf("export after erasure states %v", got)
			}
			js, err := json.Marshal(after)
			if err != nil {
				t.Fatal(err)
			}
			var generic map[string]any
			if err := json.Unmarshal(js, &generic); err != nil || generic["version"] != "picfre.export/v2" || generic["contact"] != nil {
				t.Fatalf("export JSON = %s", js)
			}
			// The other account is untouched.
			if o, _ := subj.Export(ctx, "other"); len(o.TopUps) != 1 || o.Balance.Credits != 50 {
				t.Fatalf("other account = %+v", o)
			}

			// The next upload removes the erased person, then forgets them.
			up, ids, err = subj.CustomerMatch(ctx, custmatch.Builder{})
			if err != nil || len(up.Adds) != 0 || len(up.Removes) != 1 || up.Removes[0].Email != wantEmail || up.Removes[0].Phone != wantPhone || len(ids) != 1 {
				t.Fatalf("CustomerMatch after erasure = %+v, %v, %v", up, ids, err)
			}
			if err := subj.AckRemovals(ctx, ids); err != nil {
				t.Fatal(err)
			}
			if up, ids, err = subj.CustomerMatch(ctx, custmatch.Builder{}); err != nil || len(up.Removes) != 0 || len(ids) != 0 {
				t.Fatalf("CustomerMatch after the removal was taken = %+v, %v, %v", up, ids, err)
			}
			// Erasing again is harmless.
			if rep, err := subj.Erase(ctx, "jane"); err != nil || rep.Deleted[retention.KindUsage] != 0 || rep.PendingRemoval {
				t.Fatalf("second erasure = %+v, %v", rep, err)
			}
		})
	}
}

func kinds(rs []privacy.Retained) []retention.Kind {
	var out []retention.Kind
	for _, r := range rs {
		out = append(out, r.Kind)
	}
	return out
}

// TestAgeMinimisation: only an under-age date of birth is kept, and it
// keeps the person off customer lists (and removes them).
func TestAgeMinimisation(t *testing.T) {
	ctx := t.Context()
	st := contactstore.NewMemory()
	subj := &privacy.Subjects{Contacts: st, Clock: func() time.Time { return t0 }}
	kid := time.Date(2016, 7, 4, 0, 0, 0, 0, time.UTC)
	rec, err := subj.Correct(ctx, "kid", privacy.Correction{Email: ptr("kid@example.com"), Country: ptr("US"), BirthDate: &kid})
	if err != nil || rec.AgeStatus != "under_age" || rec.BirthDate != "2016-07-04" {
		t.Fatalf("Correct(kid) = %+v, %v", rec, err)
	}
	if stored, _, _ := st.GetContact(ctx, "kid"); stored.AgeStatus != driver.AgeUnderAge || !stored.BirthDate.Equal(kid) {
		t.Fatalf("stored kid = %+v", stored)
	}
	if _, err := subj.Correct(ctx, "adult", privacy.Correction{Email: ptr("adult@example.com"), BirthDate: ptr(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)),
		AdUserData: ptr(custmatch.ConsentGranted), AdPersonalization: ptr(custmatch.ConsentGranted)}); err != nil {
		t.Fatal(err)
	}
	if rec, _, _ := st.GetContact(ctx, "adult"); rec.AgeStatus != driver.AgeAllowed || !rec.BirthDate.IsZero() {
		t.Fatalf("an adult's date of birth was kept: %+v", rec)
	}
	up, _, err := subj.CustomerMatch(ctx, custmatch.Builder{})
	if err != nil || len(up.Adds) != 1 || len(up.Removes) != 1 {
		t.Fatalf("CustomerMatch = %+v, %v", up, err)
	}
	if want, _ := custmatch.HashEmail("kid@example.com"); up.Removes[0].Email != want {
		t.Fatalf("the child is not removed: %+v", up)
	}
	// Forgetting the date forgets the status too.
	if rec, err := subj.Correct(ctx, "kid", privacy.Correction{BirthDate: &time.Time{}}); err != nil || rec.AgeStatus != "unknown" || rec.BirthDate != "" || rec.AgeCheckedAt != nil {
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
		l := metering.NewLedger(memstore.New(), metering.Options{Clock: clock})
		if _, err := l.TopUp(ctx, metering.TopUp{Account: "jane", Credits: 50, PaymentRef: "pay-1"}); err != nil {
			t.Fatal(err)
		}
		subj := &privacy.Subjects{Contacts: contactstore.NewMemory(), Ledger: l, Clock: clock, Retention: retention.Policy{TopUpYears: tc.years}}
		x, err := subj.Export(ctx, "jane")
		if err != nil {
			t.Fatal(err)
		}
		var got *time.Time
		for _, r := range x.Retained {
			if r.Kind == retention.KindTopUp {
				got = r.Until
			}
		}
		if (got == nil) != (tc.want == nil) || got != nil && !got.Equal(*tc.want) {
			t.Errorf("TopUpYears %d: top-ups kept until %v, want %v", tc.years, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

const topUpReason7 = "Your top-ups are payment records: bookkeeping law requires keeping them until the end of the 7th year " +
	"after the year of payment (GDPR art. 17(3)(b)). They are deleted after the end of that year."

// TestRetentionStatement: the export's statement is written for the
// person it is about, from the configured policy: the periods are the
// policy's, the kinds are retention.Kind values, and no developer wording
// leaks in.
func TestRetentionStatement(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return t0 }
	usage := func(months string) string {
		return "For each file processed for you, its name, the time and the credits charged are kept for billing and for " +
			"questions about a charge: " + months + ", then deleted."
	}
	attempt := func(months string) string {
		return "For each file that was not charged (it failed, was abandoned or is being processed), the time, task and " +
			"media type are kept, without the file name, as long as usage records: " + months + ", then deleted."
	}
	topUp := func(end string) string {
		return "Your top-ups are payment records: bookkeeping law requires keeping them until the end of the 7th year " +
			"after the year of payment (GDPR art. 17(3)(b)). " + end
	}
	const (
		refund     = "Refunds of credits are payment records, kept like your top-ups (GDPR art. 17(3)(b)), with no end date."
		adjustment = "Adjustments of your credits are payment records, kept like your top-ups (GDPR art. 17(3)(b)), with no end date."
		balance    = "Your balance, and the sums of deleted usage records and top-ups, are part of the payment records: " +
			"they make your top-ups add up."
	)
	date := func(y int, m time.Month, d int) *time.Time { return ptr(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) }
	for _, tc := range []struct {
		name   string
		policy retention.Policy
		hold   bool
		want   []privacy.Retained
	}{
		{"default", retention.Policy{}, false, []privacy.Retained{
			{retention.KindTopUp, 1, topUp("They are kept with no end date."), nil},
			{retention.KindRefund, 1, refund, nil},
			{retention.KindAdjustment, 1, adjustment, nil},
			{retention.KindBalance, 1, balance, nil},
			{retention.KindUsage, 1, usage("3 calendar months"), date(2026, 6, 11)},
			{retention.KindAttempt, 1, attempt("3 calendar months"), date(2026, 6, 11)},
		}},
		{"one month, legal floor", retention.Policy{UsageMonths: 1, TopUpYears: 7}, false, []privacy.Retained{
			{retention.KindTopUp, 1, topUpReason7, date(2034, 1, 1)},
			{retention.KindRefund, 1, refund, nil},
			{retention.KindAdjustment, 1, adjustment, nil},
			{retention.KindBalance, 1, balance, nil},
			{retention.KindUsage, 1, usage("1 calendar month"), date(2026, 4, 11)},
			{retention.KindAttempt, 1, attempt("1 calendar month"), date(2026, 4, 11)},
		}},
		{"six months, 21 years", retention.Policy{UsageMonths: 6, TopUpYears: 21}, false, []privacy.Retained{
			{retention.KindTopUp, 1, topUp("They are deleted after the end of the 21st year after the year of payment."), date(2048, 1, 1)},
			{retention.KindRefund, 1, refund, nil},
			{retention.KindAdjustment, 1, adjustment, nil},
			{retention.KindBalance, 1, balance, nil},
			{retention.KindUsage, 1, usage("6 calendar months"), date(2026, 9, 11)},
			{retention.KindAttempt, 1, attempt("6 calendar months"), date(2026, 9, 11)},
		}},
		{"legal hold", retention.Policy{UsageMonths: 6, TopUpYears: 12}, true, []privacy.Retained{
			{retention.KindTopUp, 1, topUp("They are deleted after the end of the 12th year after the year of payment."), date(2039, 1, 1)},
			{retention.KindRefund, 1, refund, nil},
			{retention.KindAdjustment, 1, adjustment, nil},
			{retention.KindBalance, 1, balance, nil},
			{retention.KindUsage, 1, "A legal hold keeps these records beyond their 6 calendar months until it is lifted (GDPR art. 17(3)(e)).", nil},
			{retention.KindAttempt, 1, "A legal hold keeps these records beyond their 6 calendar months until it is lifted (GDPR art. 17(3)(e)).", nil},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := metering.NewLedger(memstore.New(), metering.Options{Clock: clock})
			if _, err := l.TopUp(ctx, metering.TopUp{Account: "jane", Credits: 50, PaymentRef: "pay-1"}); err != nil {
				t.Fatal(err)
			}
			h, err := l.Authorize(ctx, metering.Authorization{Account: "jane", IdempotencyKey: "k1", Credits: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Capture(ctx, h, metering.Event{File: "beach.jpg"}); err != nil {
				t.Fatal(err)
			}
			failed, err := l.Authorize(ctx, metering.Authorization{Account: "jane", IdempotencyKey: "k2", Credits: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Void(ctx, failed, errcode.BadOutput); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Refund(ctx, metering.Refund{Account: "jane", Credits: 1, Key: "r1", Reason: "blurry result"}); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Adjust(ctx, metering.Adjustment{Account: "jane", Credits: -3, Key: "a1", Reason: "goodwill correction"}); err != nil {
				t.Fatal(err)
			}
			if tc.hold {
				if err := l.SetLegalHold(ctx, "jane", true); err != nil {
					t.Fatal(err)
				}
			}
			subj := &privacy.Subjects{Contacts: contactstore.NewMemory(), Ledger: l, Clock: clock, Retention: tc.policy}
			x, err := subj.Export(ctx, "jane")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(x.Retained, tc.want) {
				t.Errorf("statement:\n got %+v\nwant %+v", x.Retained, tc.want)
			}
			known := []retention.Kind{retention.KindUsage, retention.KindAttempt, retention.KindTopUp, retention.KindRefund,
				retention.KindAdjustment, retention.KindBalance, retention.KindContact, retention.KindContactDetails,
				retention.KindPseudonym, retention.KindContent}
			var texts []string
			for _, r := range x.Retained {
				texts = append(texts, r.Reason)
			}
			for _, n := range x.NotStored {
				texts = append(texts, n.Reason)
				if !slices.Contains(known, n.Kind) {
					t.Errorf("not_stored kind %q is not a retention.Kind", n.Kind)
				}
			}
			for _, text := range texts {
				for _, jargon := range []string{"Until", "policy", "picfre", "idempotency", "rollup", "purge", "three"} {
					if strings.Contains(text, jargon) {
						t.Errorf("reason %q carries developer wording (%q)", text, jargon)
					}
				}
			}
		})
	}
}
