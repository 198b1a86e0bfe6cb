package meteringtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/picfre/picfre/metering"
)

// testCountPurgeable checks the dry run of PurgeUsage: the counts match
// what PurgeUsage then deletes, and held accounts are listed but kept.
func testCountPurgeable(t *testing.T, s *suite) {
	pc, ok := s.store.(metering.PurgeCounter)
	if !ok {
		t.Skip("the store does not implement the optional metering.PurgeCounter")
	}
	for _, a := range []string{"a-free", "b-held", "c-new"} {
		s.topUp(t, a, 100, "pay-"+a)
	}
	s.spend(t, "a-free", "u1", 3)
	s.spend(t, "a-free", "u2", 4)
	s.spend(t, "b-held", "u1", 5)
	s.clock.Advance(time.Hour)
	cutoff := s.clock.Now()
	s.spend(t, "a-free", "u3", 6)
	s.spend(t, "c-new", "u1", 7)
	if err := s.store.SetLegalHold(t.Context(), "b-held", true); err != nil {
		t.Fatal(err)
	}
	got, err := pc.CountPurgeable(t.Context(), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	want := []metering.PurgeCount{
		{Account: "a-free", Records: 2, Credits: 7},
		{Account: "b-held", Records: 1, Credits: 5, LegalHold: true},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("CountPurgeable = %+v, want %+v", got, want)
	}
	// Counting deletes nothing.
	if u, err := s.store.ListUsage(t.Context(), "a-free"); err != nil || len(u) != 3 {
		t.Fatalf("usage after a count = %d records, %v; want 3", len(u), err)
	}
	n, err := s.store.PurgeUsage(t.Context(), cutoff, 100)
	if err != nil || n != 2 {
		t.Fatalf("PurgeUsage = %d, %v; want the 2 records counted for the free account", n, err)
	}
	got, err = pc.CountPurgeable(t.Context(), cutoff)
	if err != nil || len(got) != 1 || got[0] != want[1] {
		t.Fatalf("CountPurgeable after the purge = %+v, %v; want only %+v", got, err, want[1])
	}
	if got, err := pc.CountPurgeable(t.Context(), Epoch.Add(-time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("CountPurgeable before any record = %+v, %v", got, err)
	}
}

// testSweepLock checks that the sweep lock excludes a second sweep while
// it is held, and is free again once the first returns.
func testSweepLock(t *testing.T, s *suite) {
	sl, ok := s.store.(metering.SweepLocker)
	if !ok {
		t.Skip("the store does not implement the optional metering.SweepLocker")
	}
	ctx := t.Context()
	now := s.clock.Now()
	ran := 0
	locked, err := sl.WithSweepLock(ctx, now, time.Minute, func(ctx context.Context) error {
		ran++
		inner, err := sl.WithSweepLock(ctx, now, time.Minute, func(context.Context) error {
			t.Error("a second sweep ran while the lock was held")
			return nil
		})
		if err != nil || inner {
			t.Errorf("second WithSweepLock = %v, %v; want false, nil", inner, err)
		}
		// The store stays usable while the lock is held.
		_, err = s.store.PurgeUsage(ctx, now, 10)
		return err
	})
	if err != nil || !locked || ran != 1 {
		t.Fatalf("WithSweepLock = %v, %v (fn ran %d times); want true, nil, once", locked, err, ran)
	}
	boom := errors.New("boom")
	locked, err = sl.WithSweepLock(ctx, now, time.Minute, func(context.Context) error { return boom })
	if !locked || !errors.Is(err, boom) {
		t.Fatalf("WithSweepLock after release = %v, %v; want true and fn's error", locked, err)
	}
	locked, err = sl.WithSweepLock(ctx, now, time.Minute, func(context.Context) error { return nil })
	if !locked || err != nil {
		t.Fatalf("WithSweepLock after a failed sweep = %v, %v; want the lock released", locked, err)
	}
}

// testAttempts checks ListAttempts: holds that were not captured are
// listed, oldest first, with their state, task, media type, credits and
// times; captured ones are usage records and are not.
func testAttempts(t *testing.T, s *suite) {
	ctx := t.Context()
	s.topUp(t, "acme", 100, "pay-1")
	s.topUp(t, "other", 100, "pay-2")
	failed := s.authorize(t, "acme", "failed", 3)
	if err := s.ledger.Void(ctx, failed); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Minute)
	s.authorize(t, "acme", "crashed", 4)
	s.clock.Advance(time.Minute)
	s.spend(t, "acme", "done", 5)
	s.authorize(t, "other", "theirs", 1)
	s.clock.Advance(2 * ttl) // "crashed" expires; Adjust sweeps it
	if _, err := s.ledger.Adjust(ctx, "acme", 1, "adj-1", "sweep"); err != nil {
		t.Fatal(err)
	}
	live := s.authorize(t, "acme", "live", 2)
	got, err := s.store.ListAttempts(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := []metering.Attempt{
		{Account: "acme", IdempotencyKey: "failed", State: metering.AttemptVoided, Credits: 3, Task: "metadata", MediaType: "image",
			Time: Epoch, ExpiresAt: Epoch.Add(ttl)},
		{Account: "acme", IdempotencyKey: "crashed", State: metering.AttemptExpired, Credits: 4, Task: "metadata", MediaType: "image",
			Time: Epoch.Add(time.Minute), ExpiresAt: Epoch.Add(time.Minute + ttl)},
		{Account: "acme", IdempotencyKey: "live", State: metering.AttemptHeld, Credits: 2, Task: "metadata", MediaType: "image",
			Time: s.clock.Now(), ExpiresAt: s.clock.Now().Add(ttl)},
	}
	if len(got) != len(want) {
		t.Fatalf("ListAttempts = %+v, want %+v", got, want)
	}
	for i := range want {
		g := got[i]
		if g.Account != want[i].Account || g.IdempotencyKey != want[i].IdempotencyKey || g.State != want[i].State ||
			g.Credits != want[i].Credits || g.Task != want[i].Task || g.MediaType != want[i].MediaType ||
			!g.Time.Equal(want[i].Time) || !g.ExpiresAt.Equal(want[i].ExpiresAt) {
			t.Fatalf("ListAttempts[%d] = %+v, want %+v", i, g, want[i])
		}
	}
	if got, err := s.store.ListAttempts(ctx, "nobody"); err != nil || len(got) != 0 {
		t.Fatalf("ListAttempts of an unknown account = %+v, %v", got, err)
	}
	// Erasure deletes the settled attempts and keeps the live hold.
	if _, err := s.store.EraseUsage(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.store.ListAttempts(ctx, "acme"); err != nil || len(got) != 1 || got[0].IdempotencyKey != "live" {
		t.Fatalf("ListAttempts after erasure = %+v, %v; want only the live hold", got, err)
	}
	s.capture(t, live, 2)
	if got, err := s.store.ListAttempts(ctx, "acme"); err != nil || len(got) != 0 {
		t.Fatalf("ListAttempts after the capture = %+v, %v", got, err)
	}
	if got, err := s.store.ListAttempts(ctx, "other"); err != nil || len(got) != 1 || got[0].State != metering.AttemptHeld {
		t.Fatalf("ListAttempts(other) = %+v, %v", got, err)
	}
}

// testPurgeHolds checks that PurgeHolds deletes holds that
// can no longer settle — voided and expired ones made before the cutoff,
// and holds left "held" by a crashed worker whose expiry is before it —
// and give the stuck holds' credits back, and keep live holds and
// accounts under a legal hold.
func testPurgeHolds(t *testing.T, s *suite) {
	ctx := t.Context()
	for _, a := range []string{"stuck", "held", "busy"} {
		s.topUp(t, a, 10, "pay-"+a)
	}
	// Crashed workers: every credit of "stuck" is held, and no one ever
	// authorizes on the account again.
	s.authorize(t, "stuck", "k1", 6)
	s.authorize(t, "stuck", "k2", 4)
	s.authorize(t, "held", "k1", 10)
	v := s.authorize(t, "busy", "v1", 1)
	if err := s.ledger.Void(ctx, v); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(2 * ttl)
	cutoff := s.clock.Now()
	live := s.authorize(t, "busy", "live", 3) // expires after the cutoff
	if err := s.store.SetLegalHold(ctx, "held", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.PurgeHolds(ctx, cutoff, 0); !errors.Is(err, metering.ErrInvalid) {
		t.Fatalf("PurgeHolds with limit 0: %v", err)
	}
	for i, want := range []int{2, 1, 0} {
		n, err := s.store.PurgeHolds(ctx, cutoff, 2)
		if err != nil || n != want {
			t.Fatalf("PurgeHolds #%d = %d, %v; want %d", i+1, n, err, want)
		}
	}
	if got, err := s.store.ListAttempts(ctx, "stuck"); err != nil || len(got) != 0 {
		t.Fatalf("stuck holds after the purge = %+v, %v", got, err)
	}
	if got, err := s.store.ListAttempts(ctx, "held"); err != nil || len(got) != 1 {
		t.Fatalf("an account under a legal hold lost its holds: %+v, %v", got, err)
	}
	if got, err := s.store.ListAttempts(ctx, "busy"); err != nil || len(got) != 1 || got[0].IdempotencyKey != "live" {
		t.Fatalf("busy account's holds = %+v, %v; want only the live one", got, err)
	}
	// The stuck credits are free again: the whole balance can be held
	// (a counter left too high would refuse this; one decremented twice
	// would have failed the purge on the held >= 0 constraint).
	s.wantBalance(t, "stuck", 10, 0)
	s.spend(t, "stuck", "k3", 10)
	s.wantBalance(t, "stuck", 0, 0)
	s.reconcile(t, "stuck")
	s.capture(t, live, 3)
	s.wantBalance(t, "busy", 7, 0)

	// Usage purges leave uncaptured holds to PurgeHolds; once the legal
	// hold is lifted, PurgeHolds takes the held account's stuck hold.
	if err := s.store.SetLegalHold(ctx, "held", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.PurgeUsage(ctx, cutoff, 10); err != nil {
		t.Fatal(err)
	}
	if got, err := s.store.ListAttempts(ctx, "held"); err != nil || len(got) != 1 {
		t.Fatalf("PurgeUsage deleted a hold that was never captured: %+v, %v", got, err)
	}
	if n, err := s.store.PurgeHolds(ctx, cutoff, 10); err != nil || n != 1 {
		t.Fatalf("PurgeHolds after the legal hold was lifted = %d, %v; want 1", n, err)
	}
	s.spend(t, "held", "k2", 10)
	s.wantBalance(t, "held", 0, 0)
	s.reconcile(t, "held")
}
