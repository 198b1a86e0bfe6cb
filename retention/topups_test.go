package retention_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
	"github.com/picfre/picfre/metering/meteringtest"
	"github.com/picfre/picfre/retention"
)

func topUpRefs(t *testing.T, l *metering.Ledger, account string) []string {
	t.Helper()
	tops, err := l.TopUps(t.Context(), account)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, e := range tops {
		refs = append(refs, e.Ref)
	}
	return refs
}

// testSweepTopUps checks that a sweep with TopUpYears = 7 purges a top-up
// exactly when its retention ends (the end of the seventh year after the
// year of payment), keeps newer ones and those under a legal hold, never
// changes a balance, and that the default policy purges no top-up.
func testSweepTopUps(t *testing.T, st driver.Store) {
	paid2017 := time.Date(2017, 12, 31, 23, 0, 0, 0, time.UTC)
	clock := meteringtest.NewClock(paid2017)
	l := metering.NewLedger(st, metering.Options{Clock: clock.Now})
	for _, tu := range []struct {
		account, ref string
		credits      int64
	}{{"acme", "pay-2017", 100}, {"held", "pay-held", 30}} {
		if _, err := l.TopUp(t.Context(), metering.TopUp{Account: tu.account, Credits: tu.credits, PaymentRef: tu.ref}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour) // 2018-01-01T00:00Z: kept a year longer
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acme", Credits: 50, PaymentRef: "pay-2018"}); err != nil {
		t.Fatal(err)
	}
	spend(t, l, "acme", "u1", 20)
	if err := l.SetLegalHold(t.Context(), "held", true); err != nil {
		t.Fatal(err)
	}
	balances := map[string]int64{"acme": 130, "held": 30}
	check := func(when string, acme []string) {
		t.Helper()
		for a, want := range balances {
			b, err := l.Balance(t.Context(), a)
			if err != nil || b.Credits != want {
				t.Fatalf("%s: balance of %s = %+v, %v; want %d", when, a, b, err, want)
			}
			meteringtest.ReconcileAccount(t, l, a)
		}
		if got := topUpRefs(t, l, "acme"); !slices.Equal(got, acme) {
			t.Fatalf("%s: acme's top-ups = %v, want %v", when, got, acme)
		}
		if got := topUpRefs(t, l, "held"); !slices.Equal(got, []string{"pay-held"}) {
			t.Fatalf("%s: held account's top-ups = %v, want pay-held kept", when, got)
		}
	}
	check("before any sweep", []string{"pay-2017", "pay-2018"})

	boundary := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if until, ok := (retention.Policy{TopUpYears: 7}).TopUpKeptUntil(paid2017); !ok || !until.Equal(boundary) {
		t.Fatalf("TopUpKeptUntil(%v) = %v, %v; want %v", paid2017, until, ok, boundary)
	}
	far := func() time.Time { return time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC) }

	// The default policy keeps top-ups forever.
	keep := &retention.Sweeper{Ledger: l, Clock: far, BatchSize: 1}
	r, err := keep.Sweep(t.Context(), retention.SweepOptions{AsOf: far()})
	if err != nil || r.TopUpsPurged != 0 || !r.TopUpCutoff.IsZero() || len(r.TopUpAccounts) != 0 || r.Purged != 1 {
		t.Fatalf("sweep with the default policy: %+v, %v; want usage purged and no top-up", r, err)
	}
	out, err := json.Marshal(r)
	if err != nil || strings.Contains(string(out), "topup_cutoff") || !strings.Contains(string(out), `"topups_purged":0`) {
		t.Fatalf("default report JSON = %s, %v", out, err)
	}
	check("default policy", []string{"pay-2017", "pay-2018"})

	sw := &retention.Sweeper{Ledger: l, Policy: retention.Policy{TopUpYears: 7}, Clock: far, BatchSize: 1}
	r, err = sw.Sweep(t.Context(), retention.SweepOptions{AsOf: boundary.Add(-time.Microsecond)})
	if err != nil || r.TopUpsPurged != 0 || !r.TopUpCutoff.Equal(time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("sweep just before the boundary: %+v, %v; want nothing purged", r, err)
	}
	check("just before the boundary", []string{"pay-2017", "pay-2018"})

	wantAccounts := []retention.AccountReport{{Account: "acme", Records: 1, Credits: 100}}
	r, err = sw.Sweep(t.Context(), retention.SweepOptions{AsOf: boundary, DryRun: true})
	if err != nil || r.TopUpsPurged != 1 || !slices.Equal(r.TopUpAccounts, wantAccounts) ||
		!slices.Equal(r.SkippedHeld, []string{"held"}) || r.Batches != 0 {
		t.Fatalf("dry run at the boundary: %+v, %v", r, err)
	}
	check("dry run", []string{"pay-2017", "pay-2018"})

	r, err = sw.Sweep(t.Context(), retention.SweepOptions{AsOf: boundary})
	if err != nil || r.TopUpsPurged != 1 || !slices.Equal(r.TopUpAccounts, wantAccounts) ||
		!slices.Equal(r.SkippedHeld, []string{"held"}) || !r.TopUpCutoff.Equal(time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("sweep at the boundary: %+v, %v", r, err)
	}
	out, err = json.Marshal(r)
	if err != nil || !strings.Contains(string(out), `"topups_purged":1`) {
		t.Fatalf("report JSON = %s, %v", out, err)
	}
	check("sweep at the boundary", []string{"pay-2018"})

	// pay-2018 goes one year later; the held account's never while held.
	r, err = sw.Sweep(t.Context(), retention.SweepOptions{AsOf: boundary.AddDate(1, 0, 0)})
	if err != nil || r.TopUpsPurged != 1 {
		t.Fatalf("sweep a year later: %+v, %v", r, err)
	}
	check("a year later", nil)
	if err := l.SetLegalHold(t.Context(), "held", false); err != nil {
		t.Fatal(err)
	}
	r, err = sw.Sweep(t.Context(), retention.SweepOptions{AsOf: boundary})
	if err != nil || r.TopUpsPurged != 1 || len(r.SkippedHeld) != 0 {
		t.Fatalf("sweep after the legal hold was lifted: %+v, %v", r, err)
	}
	b, err := l.Balance(t.Context(), "held")
	if err != nil || b.Credits != 30 {
		t.Fatalf("held account's balance after its top-up was purged = %+v, %v", b, err)
	}
	meteringtest.ReconcileAccount(t, l, "held")
	if got := topUpRefs(t, l, "held"); len(got) != 0 {
		t.Fatalf("held account's top-ups after the hold was lifted = %v", got)
	}
}

// TestTopUpCutoff checks TopUpCutoff against TopUpKeptUntil: a top-up paid
// before the cutoff is exactly one whose retention has ended.
func TestTopUpCutoff(t *testing.T) {
	if _, ok := (retention.Policy{}).TopUpCutoff(time.Now()); ok {
		t.Fatal("the default policy has a top-up cutoff")
	}
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []retention.Policy{{TopUpYears: 7}, {TopUpYears: 10, Location: stockholm}} {
		base := time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)
		for i := range 400 {
			// Paid times on and around new year in both zones.
			paid := base.Add(time.Duration(i) * 131 * time.Hour / 7)
			until, ok := p.TopUpKeptUntil(paid)
			if !ok {
				t.Fatal("TopUpKeptUntil: not ok")
			}
			for _, now := range []time.Time{until.Add(-time.Microsecond), until, until.Add(time.Microsecond),
				until.AddDate(0, -6, 0), until.AddDate(1, 0, 0)} {
				cut, ok := p.TopUpCutoff(now)
				if !ok {
					t.Fatal("TopUpCutoff: not ok")
				}
				if purged, ended := paid.Before(cut), !until.After(now); purged != ended {
					t.Fatalf("%+v: paid %v, kept until %v, now %v: cutoff %v purges = %v, retention ended = %v",
						p, paid, until, now, cut, purged, ended)
				}
			}
		}
	}
}
