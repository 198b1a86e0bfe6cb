package meteringtest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
)

// testCountPurgeable checks the dry run of Purge: the counts match what a
// purge then deletes, and accounts under a legal hold are listed but
// kept. A store without driver.PurgeCounter is refused a dry run.
func testCountPurgeable(t *testing.T, s *suite) {
	ctx := t.Context()
	dry := func(cutoff time.Time) (metering.PurgeReport, error) {
		p := purgeAll(cutoff)
		p.DryRun = true
		return s.ledger.Purge(ctx, p)
	}
	if _, ok := s.store.(driver.PurgeCounter); !ok {
		_, err := dry(Epoch)
		wantErr(t, "dry run on a store that cannot count", err, metering.ErrDryRunUnsupported)
		return
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
	if err := s.ledger.SetLegalHold(ctx, "b-held", true); err != nil {
		t.Fatal(err)
	}
	want := []metering.PurgeCount{
		{Account: "a-free", Records: 2, Credits: 7},
		{Account: "b-held", Records: 1, Credits: 5, LegalHold: true},
	}
	r, err := dry(cutoff)
	if err != nil || !slices.Equal(r.UsageAccounts, want) || r.Usage != 2 || r.Batches != 0 || r.Holds != 0 {
		t.Fatalf("dry run = %+v, %v; want %+v and 2 records", r, err, want)
	}
	// Counting deletes nothing.
	if u, err := s.ledger.Usage(ctx, "a-free"); err != nil || len(u) != 3 {
		t.Fatalf("usage after a count = %d records, %v; want 3", len(u), err)
	}
	r = s.purge(t, purgeAll(cutoff))
	if r.Usage != 2 || !slices.Equal(r.UsageAccounts, want) {
		t.Fatalf("purge = %+v; want the 2 records counted for the free account, and the counts", r)
	}
	r, err = dry(cutoff)
	if err != nil || !slices.Equal(r.UsageAccounts, want[1:]) || r.Usage != 0 {
		t.Fatalf("dry run after the purge = %+v, %v; want only %+v", r, err, want[1])
	}
	if r, err := dry(Epoch.Add(-time.Hour)); err != nil || len(r.UsageAccounts) != 0 {
		t.Fatalf("dry run before any record = %+v, %v", r, err)
	}
}

// gatedStore is a store whose first PurgeUsage waits to be released, so
// that a second purge surely overlaps the first.
type gatedStore struct {
	driver.Store
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStore) PurgeUsage(ctx context.Context, before time.Time, limit int) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	return g.Store.PurgeUsage(ctx, before, limit)
}

func (g *gatedStore) WithSweepLock(ctx context.Context, now time.Time, lease time.Duration, fn func(context.Context) error) (bool, error) {
	return g.Store.(driver.SweepLocker).WithSweepLock(ctx, now, lease, fn)
}

// failingStore is a store whose PurgeUsage fails.
type failingStore struct {
	driver.Store
	err error
}

func (f failingStore) PurgeUsage(context.Context, time.Time, int) (int, error) { return 0, f.err }

func (f failingStore) WithSweepLock(ctx context.Context, now time.Time, lease time.Duration, fn func(context.Context) error) (bool, error) {
	return f.Store.(driver.SweepLocker).WithSweepLock(ctx, now, lease, fn)
}

// testSweepLock checks that a purge holding the sweep lock keeps a second
// one (another Ledger on the same store) from running, that the store
// stays usable meanwhile, and that the lock is free again once the first
// returns, also after it failed.
func testSweepLock(t *testing.T, s *suite) {
	if _, ok := s.store.(driver.SweepLocker); !ok {
		t.Skip("the store does not implement the optional driver.SweepLocker")
	}
	ctx := t.Context()
	s.topUp(t, "acme", 10, "pay-1")
	s.spend(t, "acme", "u1", 1)
	s.clock.Advance(time.Hour)
	cutoff := s.clock.Now()
	g := &gatedStore{Store: s.store, entered: make(chan struct{}), release: make(chan struct{})}
	first := metering.NewLedger(g, metering.Options{Clock: s.clock.Now})
	done := make(chan error, 1)
	var firstReport metering.PurgeReport
	go func() {
		var err error
		firstReport, err = first.Purge(context.Background(), purgeAll(cutoff))
		done <- err
	}()
	<-g.entered
	r, err := s.ledger.Purge(ctx, purgeAll(cutoff))
	wantErr(t, "a purge beside a running one", err, metering.ErrSweepInProgress)
	if errcode.Of(err) != errcode.Conflict || err.Error() != "metering: purge: another sweep is running" || r.Usage != 0 || r.Batches != 0 {
		t.Errorf("overlapping purge = %+v, %q (%s)", r, err, errcode.Of(err))
	}
	// The store stays usable, and a dry run needs no lock.
	s.wantBalance(t, "acme", 9, 0)
	if _, ok := s.store.(driver.PurgeCounter); ok {
		p := purgeAll(cutoff)
		p.DryRun = true
		if r, err := s.ledger.Purge(ctx, p); err != nil || r.Usage != 1 {
			t.Errorf("dry run beside a running purge = %+v, %v", r, err)
		}
	}
	close(g.release)
	if err := <-done; err != nil || firstReport.Usage != 1 {
		t.Fatalf("first purge = %+v, %v", firstReport, err)
	}
	// A purge that fails releases the lock too, and its error is the
	// database's.
	boom := errors.New("boom")
	_, err = metering.NewLedger(failingStore{s.store, boom}, metering.Options{Clock: s.clock.Now}).Purge(ctx, purgeAll(cutoff))
	if !errors.Is(err, boom) || errcode.Of(err) != errcode.BillingFailure || !errors.Is(err, errcode.Unavailable) {
		t.Fatalf("failing purge = %v (%s); want boom, billing_failure over unavailable", err, errcode.Of(err))
	}
	if r := s.purge(t, purgeAll(cutoff)); r.Usage != 0 || r.Incomplete {
		t.Fatalf("purge after the others = %+v", r)
	}
}

// testAttempts checks Attempts: holds that were not captured are listed,
// oldest first, with their state, task, media type, credits, times and
// the reason they were voided with; captured ones are usage records and
// are not.
func testAttempts(t *testing.T, s *suite) {
	ctx := t.Context()
	s.topUp(t, "acme", 100, "pay-1")
	s.topUp(t, "other", 100, "pay-2")
	failed := s.authorize(t, "acme", "failed", 3)
	if err := s.ledger.Void(ctx, failed, errcode.TooLarge); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Minute)
	s.authorize(t, "acme", "crashed", 4)
	s.clock.Advance(time.Minute)
	s.spend(t, "acme", "done", 5)
	s.authorize(t, "other", "theirs", 1)
	s.clock.Advance(2 * ttl) // "crashed" expires; Adjust sweeps it
	if _, err := s.ledger.Adjust(ctx, metering.Adjustment{Account: "acme", Credits: 1, Key: "adj-1", Reason: "sweep"}); err != nil {
		t.Fatal(err)
	}
	live := s.authorize(t, "acme", "live", 2)
	// A key voided and held again is open, without the old reason.
	retried := s.authorize(t, "acme", "retried", 1)
	if err := s.ledger.Void(ctx, retried, errcode.RateLimited); err != nil {
		t.Fatal(err)
	}
	retried = s.authorize(t, "acme", "retried", 1)
	got, err := s.ledger.Attempts(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := []metering.Attempt{
		{Account: "acme", IdempotencyKey: "failed", State: metering.AttemptVoided, Credits: 3, Task: "metadata", MediaType: "image",
			Reason: errcode.TooLarge, Time: Epoch, ExpiresAt: Epoch.Add(ttl)},
		{Account: "acme", IdempotencyKey: "crashed", State: metering.AttemptExpired, Credits: 4, Task: "metadata", MediaType: "image",
			Time: Epoch.Add(time.Minute), ExpiresAt: Epoch.Add(time.Minute + ttl)},
		{Account: "acme", IdempotencyKey: "live", State: metering.AttemptHeld, Credits: 2, Task: "metadata", MediaType: "image",
			Time: s.clock.Now(), ExpiresAt: s.clock.Now().Add(ttl)},
		{Account: "acme", IdempotencyKey: "retried", State: metering.AttemptHeld, Credits: 1, Task: "metadata", MediaType: "image",
			Time: s.clock.Now(), ExpiresAt: s.clock.Now().Add(ttl)},
	}
	if len(got) != len(want) {
		t.Fatalf("Attempts = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Account != w.Account || g.IdempotencyKey != w.IdempotencyKey || g.State != w.State || g.Reason != w.Reason ||
			g.Credits != w.Credits || g.Task != w.Task || g.MediaType != w.MediaType ||
			!g.Time.Equal(w.Time) || !g.ExpiresAt.Equal(w.ExpiresAt) {
			t.Fatalf("Attempts[%d] = %+v, want %+v", i, g, w)
		}
	}
	if got, err := s.ledger.Attempts(ctx, "nobody"); err != nil || len(got) != 0 {
		t.Fatalf("Attempts of an unknown account = %+v, %v", got, err)
	}
	// Erasure deletes the settled attempts and keeps the open holds.
	if _, err := s.ledger.EraseUsage(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ledger.Attempts(ctx, "acme"); err != nil || len(got) != 2 || got[0].IdempotencyKey != "live" || got[1].IdempotencyKey != "retried" {
		t.Fatalf("Attempts after erasure = %+v, %v; want only the open holds", got, err)
	}
	s.capture(t, live, 2)
	s.capture(t, retried, 1)
	if got, err := s.ledger.Attempts(ctx, "acme"); err != nil || len(got) != 0 {
		t.Fatalf("Attempts after the captures = %+v, %v", got, err)
	}
	if got, err := s.ledger.Attempts(ctx, "other"); err != nil || len(got) != 1 || got[0].State != metering.AttemptHeld {
		t.Fatalf("Attempts(other) = %+v, %v", got, err)
	}
}

// testPurgeHolds checks that a purge deletes holds that can no longer
// settle — voided and expired ones made before the cutoff, and holds left
// "held" by a crashed worker whose expiry is before it — in batches, gives
// the stuck holds' credits back, and keeps live holds and accounts under a
// legal hold.
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
	if err := s.ledger.Void(ctx, v, errcode.ProviderFailure); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(2 * ttl)
	cutoff := s.clock.Now()
	live := s.authorize(t, "busy", "live", 3) // expires after the cutoff
	if err := s.ledger.SetLegalHold(ctx, "held", true); err != nil {
		t.Fatal(err)
	}
	p := purgeAll(cutoff)
	p.BatchSize = 2
	// No usage: one empty usage batch; holds 2 + 1 + 0.
	if r := s.purge(t, p); r.Holds != 3 || r.Usage != 0 || r.Batches != 4 || r.Incomplete {
		t.Fatalf("purge = %+v; want 3 holds in batches of 2, 4 batches in all", r)
	}
	if got, err := s.ledger.Attempts(ctx, "stuck"); err != nil || len(got) != 0 {
		t.Fatalf("stuck holds after the purge = %+v, %v", got, err)
	}
	if got, err := s.ledger.Attempts(ctx, "held"); err != nil || len(got) != 1 {
		t.Fatalf("an account under a legal hold lost its holds: %+v, %v", got, err)
	}
	if got, err := s.ledger.Attempts(ctx, "busy"); err != nil || len(got) != 1 || got[0].IdempotencyKey != "live" {
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

	// The usage batches leave uncaptured holds to the hold batches: a
	// purge stopped after its first batch keeps the held account's stuck
	// hold, which the next purge takes once the legal hold is lifted.
	if err := s.ledger.SetLegalHold(ctx, "held", false); err != nil {
		t.Fatal(err)
	}
	p.MaxBatches = 1
	if r := s.purge(t, p); r.Holds != 0 || !r.Incomplete {
		t.Fatalf("purge of one batch = %+v; want no hold, incomplete", r)
	}
	if got, err := s.ledger.Attempts(ctx, "held"); err != nil || len(got) != 1 {
		t.Fatalf("a usage batch deleted a hold that was never captured: %+v, %v", got, err)
	}
	if r := s.purge(t, purgeAll(cutoff)); r.Holds != 1 {
		t.Fatalf("purge after the legal hold was lifted = %+v; want 1 hold", r)
	}
	s.spend(t, "held", "k2", 10)
	s.wantBalance(t, "held", 0, 0)
	s.reconcile(t, "held")
}
