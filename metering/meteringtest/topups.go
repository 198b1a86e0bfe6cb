package meteringtest

import (
	"slices"
	"testing"
	"time"

	"github.com/picfre/picfre/metering"
)

// testPurgeTopUps checks Store.PurgeTopUps: top-ups paid before the cutoff
// are deleted in batches, newer ones and those of accounts under a legal
// hold are kept, balances never change, the history still adds up, and a
// purged payment reference is forgotten.
func testPurgeTopUps(t *testing.T, s *suite) {
	ctx := t.Context()
	s.topUp(t, "acme", 100, "pay-old")
	s.topUp(t, "held", 40, "pay-held")
	s.spend(t, "acme", "u1", 30)
	s.clock.Advance(time.Hour)
	s.topUp(t, "acme", 50, "pay-new")
	s.wantBalance(t, "acme", 120, 0)
	if err := s.store.SetLegalHold(ctx, "held", true); err != nil {
		t.Fatal(err)
	}
	cutoff := Epoch.Add(30 * time.Minute)

	_, err := s.store.PurgeTopUps(ctx, cutoff, 0)
	wantErr(t, "PurgeTopUps with limit 0", err, metering.ErrInvalid)
	if c, ok := s.store.(metering.TopUpPurgeCounter); ok {
		got, err := c.CountPurgeableTopUps(ctx, cutoff)
		want := []metering.PurgeCount{
			{Account: "acme", Records: 1, Credits: 100},
			{Account: "held", Records: 1, Credits: 40, LegalHold: true},
		}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("CountPurgeableTopUps = %+v, %v; want %+v", got, err, want)
		}
	} else {
		t.Fatalf("%T does not implement metering.TopUpPurgeCounter", s.store)
	}
	if n, err := s.store.PurgeUsage(ctx, cutoff, 10); err != nil || n != 1 {
		t.Fatalf("PurgeUsage = %d, %v; want 1", n, err)
	}
	for i, want := range []int{1, 0} {
		n, err := s.store.PurgeTopUps(ctx, cutoff, 1)
		if err != nil || n != want {
			t.Fatalf("PurgeTopUps #%d = %d, %v; want %d", i+1, n, err, want)
		}
		s.wantBalance(t, "acme", 120, 0)
		s.wantBalance(t, "held", 40, 0)
		s.reconcile(t, "acme")
		s.reconcile(t, "held")
	}
	tops, err := s.store.ListTopUps(ctx, "acme")
	if err != nil || len(tops) != 1 || tops[0].Ref != "pay-new" {
		t.Fatalf("ListTopUps after purge = %+v, %v; want only pay-new", tops, err)
	}
	if tops, err := s.store.ListTopUps(ctx, "held"); err != nil || len(tops) != 1 {
		t.Fatalf("legal hold: top-ups = %+v, %v; want pay-held kept", tops, err)
	}
	hist, err := s.store.History(ctx, "acme")
	if err != nil || len(hist) != 3 {
		t.Fatalf("History after purge = %+v, %v", hist, err)
	}
	if p := hist[0]; p.Kind != metering.KindPurged || p.Credits != -30 || p.Seq != 0 {
		t.Fatalf("History[0] = %+v, want the purged debits -30", p)
	}
	if p := hist[1]; p.Kind != metering.KindPurgedTopUps || p.Credits != 100 || p.Seq != 0 || !p.Time.Equal(Epoch) {
		t.Fatalf("History[1] = %+v, want purged top-ups +100 through the epoch", p)
	}
	if hist[2].Kind != metering.KindTopUp || hist[2].Ref != "pay-new" {
		t.Fatalf("History[2] = %+v, want pay-new", hist[2])
	}

	// Lifting the legal hold lets the next purge take the held top-up; a
	// rollup of top-ups alone has no KindPurged entry.
	if err := s.store.SetLegalHold(ctx, "held", false); err != nil {
		t.Fatal(err)
	}
	if n, err := s.store.PurgeTopUps(ctx, cutoff, 10); err != nil || n != 1 {
		t.Fatalf("PurgeTopUps after the hold was lifted = %d, %v; want 1", n, err)
	}
	s.wantBalance(t, "held", 40, 0)
	s.reconcile(t, "held")
	hist, err = s.store.History(ctx, "held")
	if err != nil || len(hist) != 1 || hist[0].Kind != metering.KindPurgedTopUps || hist[0].Credits != 40 {
		t.Fatalf("held account's history = %+v, %v; want one purged-top-ups entry of 40", hist, err)
	}

	// A kept reference is still idempotent; a purged one is forgotten and
	// credits again (documented on Store.PurgeTopUps).
	s.topUp(t, "acme", 50, "pay-new")
	s.wantBalance(t, "acme", 120, 0)
	s.topUp(t, "acme", 100, "pay-old")
	s.wantBalance(t, "acme", 220, 0)
	s.reconcile(t, "acme")

	// The account can still spend all of its balance.
	s.spend(t, "acme", "u2", 220)
	s.wantBalance(t, "acme", 0, 0)
	s.reconcile(t, "acme")
}
