package meteringtest

import (
	"slices"
	"testing"
	"time"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
)

// testPurgeTopUps checks the purge of top-ups: those paid before the
// cutoff are deleted in batches, newer ones and those of accounts under a
// legal hold are kept, balances never change, the history still adds up,
// and a purged payment reference is forgotten.
func testPurgeTopUps(t *testing.T, s *suite) {
	ctx := t.Context()
	s.topUp(t, "acme", 100, "pay-old")
	s.topUp(t, "held", 40, "pay-held")
	s.spend(t, "acme", "u1", 30)
	s.clock.Advance(time.Hour)
	s.topUp(t, "acme", 50, "pay-new")
	s.wantBalance(t, "acme", 120, 0)
	if err := s.ledger.SetLegalHold(ctx, "held", true); err != nil {
		t.Fatal(err)
	}
	cutoff := Epoch.Add(30 * time.Minute)
	p := purgeAll(cutoff)
	p.TopUpsBefore, p.BatchSize = cutoff, 1

	if _, ok := s.store.(driver.TopUpPurgeCounter); !ok {
		t.Fatalf("%T does not implement driver.TopUpPurgeCounter", s.store)
	}
	dry := p
	dry.DryRun = true
	r, err := s.ledger.Purge(ctx, dry)
	want := []metering.PurgeCount{
		{Account: "acme", Records: 1, Credits: 100},
		{Account: "held", Records: 1, Credits: 40, LegalHold: true},
	}
	if err != nil || !slices.Equal(r.TopUpAccounts, want) || r.TopUps != 1 || r.Usage != 1 {
		t.Fatalf("dry run = %+v, %v; want top-ups %+v", r, err, want)
	}
	// Usage 1 + 0, holds 0, then the first top-up batch: stop there.
	p.MaxBatches = 4
	if r := s.purge(t, p); r.Usage != 1 || r.TopUps != 1 || !r.Incomplete || !slices.Equal(r.TopUpAccounts, want) {
		t.Fatalf("purge of 4 batches = %+v; want u1 and one top-up", r)
	}
	for _, a := range []string{"acme", "held"} {
		s.wantBalance(t, a, map[string]int64{"acme": 120, "held": 40}[a], 0)
		s.reconcile(t, a)
	}
	p.MaxBatches = 1000
	if r := s.purge(t, p); r.TopUps != 0 || r.Usage != 0 || r.Incomplete {
		t.Fatalf("purge of the rest = %+v; want nothing left", r)
	}
	s.wantBalance(t, "acme", 120, 0)
	s.reconcile(t, "acme")
	tops, err := s.ledger.TopUps(ctx, "acme")
	if err != nil || len(tops) != 1 || tops[0].Ref != "pay-new" {
		t.Fatalf("TopUps after purge = %+v, %v; want only pay-new", tops, err)
	}
	if tops, err := s.ledger.TopUps(ctx, "held"); err != nil || len(tops) != 1 {
		t.Fatalf("legal hold: top-ups = %+v, %v; want pay-held kept", tops, err)
	}
	hist, err := s.ledger.History(ctx, "acme")
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
	if err := s.ledger.SetLegalHold(ctx, "held", false); err != nil {
		t.Fatal(err)
	}
	if r := s.purge(t, p); r.TopUps != 1 {
		t.Fatalf("purge after the hold was lifted = %+v; want 1 top-up", r)
	}
	s.wantBalance(t, "held", 40, 0)
	s.reconcile(t, "held")
	hist, err = s.ledger.History(ctx, "held")
	if err != nil || len(hist) != 1 || hist[0].Kind != metering.KindPurgedTopUps || hist[0].Credits != 40 {
		t.Fatalf("held account's history = %+v, %v; want one purged-top-ups entry of 40", hist, err)
	}

	// A kept reference is still idempotent; a purged one is forgotten and
	// credits again (documented on driver.Store.PurgeTopUps).
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
