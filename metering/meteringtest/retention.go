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
