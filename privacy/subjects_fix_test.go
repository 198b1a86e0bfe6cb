package privacy_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/agegate"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/retention"
)

func hashOf(t *testing.T, email string) string {
	t.Helper()
	h, err := custmatch.HashEmail(email)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func phoneHash(t *testing.T, phone string) string {
	t.Helper()
	h, err := custmatch.HashPhone(phone, "")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestCustomerMatchNeedsConsent: a contact who was never asked for
// consent is not uploaded, also outside the EEA, unless the builder opts
// in explicitly.
func TestCustomerMatchNeedsConsent(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			ps := mk(t, metering.Options{}).Contacts()
			ctx := t.Context()
			subj := &privacy.Subjects{Contacts: ps, Clock: func() time.Time { return t0 }}
			if _, err := subj.Correct(ctx, "never-asked", privacy.Correction{Email: ptr("a@example.com"), EEA: ptr(false)}); err != nil {
				t.Fatal(err)
			}
			up, _, err := subj.CustomerMatch(ctx, custmatch.Builder{})
			if err != nil || len(up.Adds) != 0 || len(up.Removes) != 0 ||
				!slices.Equal(up.Excluded, []custmatch.Exclusion{{ContactID: "never-asked", Reason: custmatch.ReasonConsentMissing}}) {
				t.Fatalf("CustomerMatch = %+v, %v; want the contact excluded for missing consent", up, err)
			}
			up, _, err = subj.CustomerMatch(ctx, custmatch.Builder{AllowWithoutConsentOutsideEEA: true})
			if err != nil || len(up.Adds) != 1 || up.Adds[0].Email != hashOf(t, "a@example.com") {
				t.Fatalf("CustomerMatch with the explicit opt-in = %+v, %v", up, err)
			}
			// In the EEA the opt-in changes nothing.
			if _, err := subj.Correct(ctx, "never-asked", privacy.Correction{EEA: ptr(true)}); err != nil {
				t.Fatal(err)
			}
			up, _, err = subj.CustomerMatch(ctx, custmatch.Builder{AllowWithoutConsentOutsideEEA: true})
			if err != nil || len(up.Adds) != 0 || up.Excluded[0].Reason != custmatch.ReasonConsentMissing {
				t.Fatalf("CustomerMatch in the EEA = %+v, %v", up, err)
			}
		})
	}
}

// TestCorrectQueuesReplacedHashes: changing or deleting an e-mail address
// or phone number queues the old hash for removal from customer lists,
// and only the identifiers that changed.
func TestCorrectQueuesReplacedHashes(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			ps := mk(t, metering.Options{}).Contacts()
			ctx := t.Context()
			now := t0
			subj := &privacy.Subjects{Contacts: ps, Clock: func() time.Time { return now }}
			granted := custmatch.ConsentGranted
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{Email: ptr("old@example.com"), Phone: ptr("+46701234567"),
				AdUserData: &granted, AdPersonalization: &granted}); err != nil {
				t.Fatal(err)
			}
			if rs, err := ps.PendingRemovals(ctx); err != nil || len(rs) != 0 {
				t.Fatalf("a new contact queued removals: %+v, %v", rs, err)
			}
			// The same address again, and consent changes, queue nothing.
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{Email: ptr(" OLD@example.com"), OptedOut: ptr(false)}); err != nil {
				t.Fatal(err)
			}
			if rs, _ := ps.PendingRemovals(ctx); len(rs) != 0 {
				t.Fatalf("an unchanged address was queued for removal: %+v", rs)
			}

			// Change the address: the old hash alone is queued.
			now = t0.Add(time.Minute)
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{Email: ptr("new@example.com")}); err != nil {
				t.Fatal(err)
			}
			rs, err := ps.PendingRemovals(ctx)
			if err != nil || len(rs) != 1 || rs[0].EmailSHA256 != hashOf(t, "old@example.com") || rs[0].PhoneSHA256 != "" ||
				rs[0].Reason != custmatch.ReasonReplaced || rs[0].EmailRules != custmatch.DefaultEmailRules || !rs[0].CreatedAt.Equal(now) {
				t.Fatalf("PendingRemovals after an address change = %+v, %v", rs, err)
			}
			up, ids, err := subj.CustomerMatch(ctx, custmatch.Builder{})
			if err != nil || len(up.Adds) != 1 || up.Adds[0].Email != hashOf(t, "new@example.com") || up.Adds[0].Phone != phoneHash(t, "+46701234567") ||
				len(up.Removes) != 1 || up.Removes[0] != (custmatch.Row{ContactID: "removal:" + rs[0].ID, Email: hashOf(t, "old@example.com")}) || len(ids) != 1 {
				t.Fatalf("CustomerMatch after an address change = %+v, %v, %v", up, ids, err)
			}
			if !slices.Contains(up.Excluded, custmatch.Exclusion{ContactID: "removal:" + rs[0].ID, Reason: custmatch.ReasonReplaced}) {
				t.Fatalf("the removal's reason is not given: %+v", up.Excluded)
			}
			if err := subj.AckRemovals(ctx, ids); err != nil {
				t.Fatal(err)
			}

			// Delete the phone number: its hash is queued; the address stays.
			now = t0.Add(2 * time.Minute)
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{Phone: ptr("")}); err != nil {
				t.Fatal(err)
			}
			rs, err = ps.PendingRemovals(ctx)
			if err != nil || len(rs) != 1 || rs[0].PhoneSHA256 != phoneHash(t, "+46701234567") || rs[0].EmailSHA256 != "" || rs[0].Reason != custmatch.ReasonReplaced {
				t.Fatalf("PendingRemovals after deleting the phone = %+v, %v", rs, err)
			}
			// Delete the address too.
			now = t0.Add(3 * time.Minute)
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{Email: ptr("")}); err != nil {
				t.Fatal(err)
			}
			rs, err = ps.PendingRemovals(ctx)
			if err != nil || len(rs) != 2 || rs[1].EmailSHA256 != hashOf(t, "new@example.com") || rs[1].PhoneSHA256 != "" {
				t.Fatalf("PendingRemovals after deleting the address = %+v, %v", rs, err)
			}
			up, _, err = subj.CustomerMatch(ctx, custmatch.Builder{})
			if err != nil || len(up.Adds) != 0 || len(up.Removes) != 2 {
				t.Fatalf("CustomerMatch after deleting both = %+v, %v", up, err)
			}
			// An invalid correction queues nothing.
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{Email: ptr("x@example.com"), Phone: ptr("12")}); !errors.Is(err, custmatch.ErrInvalidPhone) {
				t.Fatalf("Correct with a bad number: %v", err)
			}
			if rs, _ := ps.PendingRemovals(ctx); len(rs) != 2 {
				t.Fatalf("a failed correction queued removals: %+v", rs)
			}
		})
	}
}

// TestCustomerMatchAgeGate: the Subjects' age gate applies when the
// builder has none, and a stored under-age verdict always excludes and
// removes, whatever the builder's gate says.
func TestCustomerMatchAgeGate(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	subj := &privacy.Subjects{Contacts: contactstore.NewMemory(), AgeGate: agegate.Gate{ByCountry: map[string]int{"DE": 16}},
		Clock: func() time.Time { return now }}
	granted := custmatch.ConsentGranted
	rec, err := subj.Correct(ctx, "teen", privacy.Correction{Email: ptr("teen@example.de"), Country: ptr("DE"),
		AdUserData: &granted, AdPersonalization: &granted, EEA: ptr(true), BirthDate: ptr(time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC))})
	if err != nil || rec.AgeStatus != "under_age" || rec.BirthDate != "2012-01-01" {
		t.Fatalf("Correct(14-year-old in DE) = %+v, %v", rec, err)
	}
	birth := time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
	want := custmatch.Exclusion{ContactID: "teen", Reason: custmatch.ReasonUnderAge}
	for _, b := range []custmatch.Builder{
		{},
		{AgeGate: agegate.Gate{Default: 13}},
		{AgeGate: agegate.Gate{ByCountry: map[string]int{"DE": 13}}},
	} {
		up, _, err := subj.CustomerMatch(ctx, b)
		if err != nil || len(up.Adds) != 0 || len(up.Removes) != 1 || up.Removes[0].Email != hashOf(t, "teen@example.de") ||
			!slices.Equal(up.Excluded, []custmatch.Exclusion{want}) {
			t.Fatalf("CustomerMatch(%+v) = %+v, %v; want the 14-year-old removed", b, up, err)
		}
	}
	// A new check once the person is old enough lifts the verdict.
	now = time.Date(2028, 1, 2, 0, 0, 0, 0, time.UTC)
	if rec, err := subj.Correct(ctx, "teen", privacy.Correction{BirthDate: &birth}); err != nil || rec.AgeStatus != "allowed" || rec.BirthDate != "" {
		t.Fatalf("re-check at 16 = %+v, %v", rec, err)
	}
	if up, _, err := subj.CustomerMatch(ctx, custmatch.Builder{}); err != nil || len(up.Adds) != 1 {
		t.Fatalf("CustomerMatch at 16 = %+v, %v", up, err)
	}
}

// TestCorrectRaces: concurrent corrections do not undo each other, and a
// correction racing an erasure never brings the erased hashes back.
func TestCorrectRaces(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			clock := func() time.Time { return t0 }
			db := mk(t, metering.Options{Clock: clock})
			ps := db.Contacts()
			subj := &privacy.Subjects{Contacts: ps, Ledger: db.Ledger(), Clock: clock}
			const rounds = 20
			for i := range rounds {
				account := fmt.Sprint("lost-update-", i)
				if _, err := subj.Correct(ctx, account, privacy.Correction{Email: ptr("old@example.com")}); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				errs := make([]error, 2)
				wg.Go(func() { _, errs[0] = subj.Correct(ctx, account, privacy.Correction{OptedOut: ptr(true)}) })
				wg.Go(func() { _, errs[1] = subj.Correct(ctx, account, privacy.Correction{Email: ptr("new@example.com")}) })
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatal(err)
				}
				rec, ok, err := ps.GetContact(ctx, account)
				if err != nil || !ok || !rec.OptedOut || rec.EmailSHA256 != hashOf(t, "new@example.com") {
					t.Fatalf("round %d: record after two concurrent corrections = %+v, %v, %v; want both applied", i, rec, ok, err)
				}
			}
			if rs, err := ps.PendingRemovals(ctx); err != nil || len(rs) != rounds {
				t.Fatalf("%d pending removals, %v; want one old address per round (%d)", len(rs), err, rounds)
			}

			for i := range rounds {
				account := fmt.Sprint("erased-", i)
				if _, err := subj.Correct(ctx, account, privacy.Correction{Email: ptr("gone@example.com"), Phone: ptr("+46701234567")}); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				errs := make([]error, 2)
				wg.Go(func() { _, errs[0] = subj.Correct(ctx, account, privacy.Correction{OptedOut: ptr(true)}) })
				wg.Go(func() { _, errs[1] = subj.Erase(ctx, account) })
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatal(err)
				}
				rec, ok, err := ps.GetContact(ctx, account)
				if err != nil || ok && (rec.EmailSHA256 != "" || rec.PhoneSHA256 != "") {
					t.Fatalf("round %d: a correction racing erasure left %+v (%v, %v); the erased hashes came back", i, rec, ok, err)
				}
			}
		})
	}
}

// TestExportAttempts: the export lists the attempts that were not
// charged, erasure deletes them and says that a re-run is billed again.
func TestExportAttempts(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			now := t0
			clock := func() time.Time { return now }
			db := mk(t, metering.Options{Clock: clock, HoldTTL: 15 * time.Minute})
			l := db.Ledger()
			subj := &privacy.Subjects{Contacts: db.Contacts(), Ledger: l, Clock: clock}
			if _, err := l.TopUp(ctx, metering.TopUp{Account: "jane", Credits: 10, PaymentRef: "pay-1"}); err != nil {
				t.Fatal(err)
			}
			authorize := func(key string, credits int64) metering.Hold {
				h, err := l.Authorize(ctx, metering.Authorization{Account: "jane", IdempotencyKey: key, Credits: credits, Task: "metadata", MediaType: "video"})
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			if err := l.Void(ctx, authorize("failed", 2), errcode.ProviderFailure); err != nil {
				t.Fatal(err)
			}
			authorize("crashed", 3)
			now = now.Add(time.Hour) // "crashed" ran out
			authorize("running", 1)

			x, err := subj.Export(ctx, "jane")
			if err != nil {
				t.Fatal(err)
			}
			type row struct {
				key, state, failure string
				at                  time.Time
			}
			var got []row
			for _, a := range x.Attempts {
				if a.Task != "metadata" || a.MediaType != "video" || a.KeptUntil.IsZero() {
					t.Fatalf("attempt = %+v", a)
				}
				got = append(got, row{a.IdempotencyKey, a.State, a.Failure, a.Time})
			}
			want := []row{{"crashed", "expired", "", t0}, {"failed", "voided", "provider_failure", t0}, {"running", "held", "", t0.Add(time.Hour)}}
			if !slices.Equal(got, want) {
				t.Fatalf("export attempts = %+v, want %+v", got, want)
			}
			if !x.Attempts[0].KeptUntil.Equal(time.Date(2026, 6, 11, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("attempt kept until %v", x.Attempts[0].KeptUntil)
			}
			if k := kinds(x.Retained); !slices.Contains(k, retention.KindAttempt) {
				t.Fatalf("retention statement %v does not cover the attempts", k)
			}

			rep, err := subj.Erase(ctx, "jane")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Deleted[retention.KindAttempt] != 2 || !slices.Equal(rep.Notes, []string{privacy.NoteRebilled}) {
				t.Fatalf("erasure report = %+v", rep)
			}
			after, err := subj.Export(ctx, "jane")
			if err != nil || len(after.Attempts) != 1 || after.Attempts[0].IdempotencyKey != "running" {
				t.Fatalf("attempts after erasure = %+v, %v; want only the one still running", after.Attempts, err)
			}
		})
	}
}
