package retention_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/metering/meteringtest"
	"github.com/picfre/picfre/metering/pgstore"
	"github.com/picfre/picfre/metering/sqlitestore"
	"github.com/picfre/picfre/retention"
)

// opener opens a handle on one shared store; every call of the same
// opener reaches the same data.
type opener func(t *testing.T) driver.Store

// backends returns, per store, a function that makes a fresh shared
// database and returns an opener for it.
func backends() map[string]func(t *testing.T) opener {
	return map[string]func(t *testing.T) opener{
		"memstore": func(t *testing.T) opener {
			s := memstore.New()
			return func(*testing.T) driver.Store { return s }
		},
		"sqlite": func(t *testing.T) opener {
			file := filepath.Join(t.TempDir(), "ledger.db")
			return func(t *testing.T) driver.Store {
				s, err := sqlitestore.Open(t.Context(), file, sqlitestore.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		},
		"postgres": func(t *testing.T) opener {
			dsn := testenv.Postgres(t)
			return func(t *testing.T) driver.Store {
				s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		},
	}
}

func TestSweeper(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			open := mk(t)
			t.Run("MustHold", func(t *testing.T) { testMustHold(t, open(t)) })
		})
	}
	for name, mk := range backends() {
		t.Run(name+"/ShortBatch", func(t *testing.T) { testShortBatch(t, mk(t)(t)) })
		t.Run(name+"/StuckHolds", func(t *testing.T) { testSweepStuckHolds(t, mk(t)(t)) })
		t.Run(name+"/TopUps", func(t *testing.T) { testSweepTopUps(t, mk(t)(t)) })
	}
	for name, mk := range backends() {
		t.Run(name+"/Concurrent", func(t *testing.T) { testConcurrent(t, mk(t)) })
	}
}

var today = time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC)

func spend(t *testing.T, l *metering.Ledger, account, key string, credits int64) {
	t.Helper()
	h, err := l.Authorize(t.Context(), metering.Authorization{Account: account, IdempotencyKey: key, Credits: credits, Task: "metadata", MediaType: "image"})
	if err != nil {
		t.Fatalf("Authorize(%s, %s): %v", account, key, err)
	}
	if err := l.Capture(t.Context(), h, metering.Event{File: key + ".jpg"}); err != nil {
		t.Fatalf("Capture(%s, %s): %v", account, key, err)
	}
}

type snapshot struct {
	bal  metering.Balance
	tops []metering.Entry
}

func snap(t *testing.T, l *metering.Ledger, account string) snapshot {
	t.Helper()
	b, err := l.Balance(t.Context(), account)
	if err != nil {
		t.Fatal(err)
	}
	tops, err := l.TopUps(t.Context(), account)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{b, tops}
}

func usageCount(t *testing.T, l *metering.Ledger, account string) int {
	t.Helper()
	u, err := l.Usage(t.Context(), account)
	if err != nil {
		t.Fatal(err)
	}
	return len(u)
}

// testMustHold: usage recorded today survives a sweep as of one day
// before three months have passed and is gone one day after; top-ups and
// balances are unchanged by any sweep; a legal hold stops the sweep for
// that account; an event older than the window is refused.
func testMustHold(t *testing.T, st driver.Store) {
	clock := meteringtest.NewClock(today)
	policy := retention.Policy{}
	l := metering.NewLedger(st, metering.Options{Clock: clock.Now, RefuseBefore: policy.Cutoff})
	accounts := []string{"acme", "bolt", "held"}
	for _, a := range accounts {
		if _, err := l.TopUp(t.Context(), metering.TopUp{Account: a, Credits: 100, PaymentRef: "pay-" + a}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		spend(t, l, "acme", fmt.Sprint("a", i), 3)
	}
	spend(t, l, "bolt", "b0", 4)
	spend(t, l, "held", "h0", 5)
	// A voided hold is no usage record and costs nothing.
	h, err := l.Authorize(t.Context(), metering.Authorization{Account: "bolt", IdempotencyKey: "void", Credits: 1})
	if err != nil || l.Void(t.Context(), h, errcode.ProviderFailure) != nil {
		t.Fatal(err)
	}
	before := map[string]snapshot{}
	for _, a := range accounts {
		before[a] = snap(t, l, a)
	}
	unchanged := func(when string) {
		t.Helper()
		for _, a := range accounts {
			if got := snap(t, l, a); got.bal != before[a].bal || !slices.Equal(got.tops, before[a].tops) {
				t.Fatalf("%s: %s changed from %+v to %+v", when, a, before[a], got)
			}
			meteringtest.ReconcileAccount(t, l, a)
		}
	}

	three := retention.AddMonths(today, 3)
	sw := &retention.Sweeper{Ledger: l, Policy: policy, Clock: func() time.Time { return three.AddDate(1, 0, 0) }, BatchSize: 2}

	r, err := sw.Sweep(t.Context(), retention.SweepOptions{AsOf: three.AddDate(0, 0, -1)})
	if err != nil || r.Purged != 0 || len(r.Accounts) != 0 {
		t.Fatalf("sweep one day before three months: %+v, %v; want nothing purged", r, err)
	}
	if n := usageCount(t, l, "acme"); n != 5 {
		t.Fatalf("usage after the early sweep: %d records, want 5", n)
	}
	unchanged("early sweep")

	if err := l.SetLegalHold(t.Context(), "held", true); err != nil {
		t.Fatal(err)
	}
	after := retention.SweepOptions{AsOf: three.AddDate(0, 0, 1)}
	dry := after
	dry.DryRun = true
	r, err = sw.Sweep(t.Context(), dry)
	wantAccounts := []retention.AccountReport{{Account: "acme", Records: 5, Credits: 15}, {Account: "bolt", Records: 1, Credits: 4}}
	if err != nil || !r.DryRun || r.Purged != 6 || !slices.Equal(r.Accounts, wantAccounts) || !slices.Equal(r.SkippedHeld, []string{"held"}) || r.Batches != 0 {
		t.Fatalf("dry run: %+v, %v", r, err)
	}
	if n := usageCount(t, l, "acme"); n != 5 {
		t.Fatalf("a dry run deleted usage: %d records left", n)
	}

	r, err = sw.Sweep(t.Context(), after)
	if err != nil || r.Purged != 6 || !slices.Equal(r.Accounts, wantAccounts) || !slices.Equal(r.SkippedHeld, []string{"held"}) {
		t.Fatalf("sweep one day after three months: %+v, %v", r, err)
	}
	// Usage 2 + 2 + 2 + 0 (until a batch deletes nothing), then holds:
	// bolt's voided one, then none.
	if r.Batches != 6 || r.Holds != 1 || r.Incomplete {
		t.Errorf("batches = %d, holds = %d, incomplete = %v; want 4 usage batches of size 2 and 2 hold batches purging 1",
			r.Batches, r.Holds, r.Incomplete)
	}
	if !r.Cutoff.Equal(time.Date(2025, 1, 16, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("cutoff = %v", r.Cutoff)
	}
	for a, want := range map[string]int{"acme": 0, "bolt": 0, "held": 1} {
		if n := usageCount(t, l, a); n != want {
			t.Errorf("usage of %s after the sweep: %d, want %d", a, n, want)
		}
	}
	unchanged("sweep")

	// A late retry of a purged event is refused, not charged again.
	clock.Advance(three.AddDate(0, 0, 1).Sub(today))
	h, err = l.Authorize(t.Context(), metering.Authorization{Account: "acme", IdempotencyKey: "a0", Credits: 3, Task: "metadata", MediaType: "image"})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Capture(t.Context(), h, metering.Event{File: "a0.jpg", Time: today}); !errors.Is(err, metering.ErrEventTooOld) {
		t.Fatalf("capture of a purged event's replay: %v, want ErrEventTooOld", err)
	}
	if err := l.Void(t.Context(), h, errcode.Of(err)); err != nil {
		t.Fatal(err)
	}
	unchanged("refused replay")

	// The hold lifted, the next sweep takes the held account's record.
	if err := l.SetLegalHold(t.Context(), "held", false); err != nil {
		t.Fatal(err)
	}
	r, err = sw.Sweep(t.Context(), after)
	if err != nil || r.Purged != 1 || len(r.SkippedHeld) != 0 {
		t.Fatalf("sweep after the hold was lifted: %+v, %v", r, err)
	}
	unchanged("last sweep")

	// Deleting as of a future time is refused unless allowed.
	if _, err := sw.Sweep(t.Context(), retention.SweepOptions{AsOf: three.AddDate(2, 0, 0)}); !errors.Is(err, retention.ErrFutureAsOf) {
		t.Fatalf("future sweep: %v, want ErrFutureAsOf", err)
	}
	if _, err := sw.Sweep(t.Context(), retention.SweepOptions{AsOf: three.AddDate(2, 0, 0), DryRun: true}); err != nil {
		t.Fatalf("future dry run: %v", err)
	}
	bad := *sw
	bad.Policy.TopUpYears = 3
	if _, err := bad.Sweep(t.Context(), retention.SweepOptions{}); !errors.Is(err, retention.ErrBelowLegalFloor) {
		t.Fatalf("sweep with top-ups below the legal floor: %v", err)
	}
}

// gated is a store whose PurgeUsage waits to be released, so that a
// second sweep surely overlaps the first.
type gated struct {
	driver.Store
	driver.PurgeCounter
	driver.SweepLocker
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (g *gated) PurgeUsage(ctx context.Context, before time.Time, limit int) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	return g.Store.PurgeUsage(ctx, before, limit)
}

func testConcurrent(t *testing.T, open opener) {
	st := open(t)
	l := metering.NewLedger(st, metering.Options{Clock: func() time.Time { return today }})
	for _, a := range []string{"a", "b", "c"} {
		if _, err := l.TopUp(t.Context(), metering.TopUp{Account: a, Credits: 1000, PaymentRef: "pay-" + a}); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			spend(t, l, a, fmt.Sprint(i), 1)
		}
	}
	later := func() time.Time { return today.AddDate(1, 0, 0) }

	// One sweep holds the lock: a second, on its own handle, does nothing.
	first := open(t)
	g := &gated{Store: first, PurgeCounter: first.(driver.PurgeCounter), SweepLocker: first.(driver.SweepLocker),
		entered: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	var firstReport retention.Report
	go func() {
		var err error
		firstReport, err = (&retention.Sweeper{Ledger: metering.NewLedger(g, metering.Options{Clock: later}), Clock: later, BatchSize: 7}).Sweep(context.Background(), retention.SweepOptions{AsOf: today.AddDate(0, 4, 0)})
		done <- err
	}()
	<-g.entered
	r, err := (&retention.Sweeper{Ledger: metering.NewLedger(open(t), metering.Options{Clock: later}), Clock: later}).Sweep(t.Context(), retention.SweepOptions{AsOf: today.AddDate(0, 4, 0)})
	if !errors.Is(err, retention.ErrSweepInProgress) || r.Skipped == "" || r.Purged != 0 {
		t.Fatalf("overlapping sweep: %+v, %v; want ErrSweepInProgress", r, err)
	}
	close(g.release)
	if err := <-done; err != nil || firstReport.Purged != 60 {
		t.Fatalf("first sweep: %+v, %v", firstReport, err)
	}

	// Many sweeps racing on their own handles: every record is purged
	// once, and the rest report a running sweep.
	for _, a := range []string{"a", "b", "c"} {
		for i := range 20 {
			spend(t, l, a, fmt.Sprint("second-", i), 1)
		}
	}
	var wg sync.WaitGroup
	reports := make([]retention.Report, 4)
	errs := make([]error, 4)
	for i := range reports {
		sw := &retention.Sweeper{Ledger: metering.NewLedger(open(t), metering.Options{Clock: later}), Clock: later, BatchSize: 5}
		wg.Go(func() {
			reports[i], errs[i] = sw.Sweep(t.Context(), retention.SweepOptions{AsOf: today.AddDate(0, 4, 0)})
		})
	}
	wg.Wait()
	total := 0
	for i, r := range reports {
		if errs[i] != nil && !errors.Is(errs[i], retention.ErrSweepInProgress) {
			t.Fatalf("sweep %d: %v", i, errs[i])
		}
		total += r.Purged
	}
	if total != 60 {
		t.Fatalf("racing sweeps purged %d records in all, want 60", total)
	}
	for _, a := range []string{"a", "b", "c"} {
		if n := usageCount(t, l, a); n != 0 {
			t.Errorf("%s has %d usage records left", a, n)
		}
		if b := snap(t, l, a).bal; b.Credits != 960 {
			t.Errorf("%s balance %+v, want 960", a, b)
		}
		meteringtest.ReconcileAccount(t, l, a)
	}
}

func BenchmarkSweepSQLite(b *testing.B) {
	file := filepath.Join(b.TempDir(), "ledger.db")
	st, err := sqlitestore.Open(b.Context(), file, sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	clock := meteringtest.NewClock(today)
	l := metering.NewLedger(st, metering.Options{Clock: clock.Now})
	defer l.Close()
	if _, err := l.TopUp(b.Context(), metering.TopUp{Account: "acme", Credits: 1 << 40, PaymentRef: "pay"}); err != nil {
		b.Fatal(err)
	}
	sw := &retention.Sweeper{Ledger: l, Clock: func() time.Time { return today.AddDate(1, 0, 0) }, BatchSize: 500}
	const records = 1000
	round := 0
	for b.Loop() {
		b.StopTimer()
		for i := range records {
			h, err := l.Authorize(b.Context(), metering.Authorization{Account: "acme", IdempotencyKey: fmt.Sprint(round, "-", i), Credits: 1})
			if err != nil {
				b.Fatal(err)
			}
			if err := l.Capture(b.Context(), h, metering.Event{File: "f.jpg"}); err != nil {
				b.Fatal(err)
			}
		}
		round++
		b.StartTimer()
		r, err := sw.Sweep(b.Context(), retention.SweepOptions{AsOf: today.AddDate(0, 4, 0)})
		if err != nil || r.Purged != records {
			b.Fatalf("%+v, %v", r, err)
		}
	}
	b.ReportMetric(records, "records/op")
}

// shortFirst is a store whose first PurgeUsage deletes fewer records than
// it is allowed to while more remain, as pgstore does when an account of
// the selected batch is put under a legal hold between its SELECT and its
// locks.
type shortFirst struct {
	driver.Store
	calls int
}

func (s *shortFirst) PurgeUsage(ctx context.Context, before time.Time, limit int) (int, error) {
	s.calls++
	if s.calls == 1 {
		limit = 1
	}
	return s.Store.PurgeUsage(ctx, before, limit)
}

// testShortBatch: a batch that deletes fewer records than the batch size
// does not end the sweep; it goes on until a batch deletes nothing.
func testShortBatch(t *testing.T, st driver.Store) {
	clock := meteringtest.NewClock(today)
	l := metering.NewLedger(st, metering.Options{Clock: clock.Now})
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acme", Credits: 100, PaymentRef: "pay"}); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		spend(t, l, "acme", fmt.Sprint("k", i), 1)
	}
	short := &shortFirst{Store: st}
	sw := &retention.Sweeper{Ledger: metering.NewLedger(short, metering.Options{Clock: clock.Now}), Clock: func() time.Time { return today.AddDate(1, 0, 0) }, BatchSize: 3}
	r, err := sw.Sweep(t.Context(), retention.SweepOptions{AsOf: today.AddDate(0, 4, 0)})
	if err != nil || r.Purged != 7 || r.Incomplete {
		t.Fatalf("sweep after a short batch: %+v, %v; want all 7 records purged", r, err)
	}
	if n := usageCount(t, l, "acme"); n != 0 {
		t.Fatalf("%d usage records left after the sweep", n)
	}
	// 1 (short) + 3 + 3 + 0, then one hold batch finding nothing.
	if short.calls != 4 || r.Batches != 5 {
		t.Fatalf("PurgeUsage called %d times, %d batches; want 4 and 5", short.calls, r.Batches)
	}
	meteringtest.ReconcileAccount(t, l, "acme")

	// A store that never runs dry stops at MaxBatches, marked incomplete.
	endless := &endlessStore{Store: st}
	sw = &retention.Sweeper{Ledger: metering.NewLedger(endless, metering.Options{Clock: clock.Now}), Clock: func() time.Time { return today.AddDate(1, 0, 0) }, MaxBatches: 5}
	r, err = sw.Sweep(t.Context(), retention.SweepOptions{AsOf: today.AddDate(0, 4, 0)})
	if err != nil || !r.Incomplete || r.Batches != 5 || endless.calls != 5 {
		t.Fatalf("endless sweep: %+v, %v (%d calls); want it stopped after 5 batches", r, err, endless.calls)
	}
}

// endlessStore pretends every PurgeUsage deleted a record.
type endlessStore struct {
	driver.Store
	calls int
}

func (s *endlessStore) PurgeUsage(context.Context, time.Time, int) (int, error) {
	s.calls++
	return 1, nil
}

// testSweepStuckHolds: a hold left open by a crashed worker, on an
// account that never authorizes again, is purged by the sweep and its
// credits are given back; a failed attempt's voided hold goes too.
func testSweepStuckHolds(t *testing.T, st driver.Store) {
	clock := meteringtest.NewClock(today)
	l := metering.NewLedger(st, metering.Options{Clock: clock.Now})
	for _, a := range []string{"crashed", "failed"} {
		if _, err := l.TopUp(t.Context(), metering.TopUp{Account: a, Credits: 10, PaymentRef: "pay-" + a}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Authorize(t.Context(), metering.Authorization{Account: "crashed", IdempotencyKey: "k", Credits: 10}); err != nil {
		t.Fatal(err)
	}
	h, err := l.Authorize(t.Context(), metering.Authorization{Account: "failed", IdempotencyKey: "k", Credits: 2})
	if err != nil || l.Void(t.Context(), h, errcode.ProviderFailure) != nil {
		t.Fatal(err)
	}
	sw := &retention.Sweeper{Ledger: l, Clock: func() time.Time { return today.AddDate(1, 0, 0) }, BatchSize: 1}
	r, err := sw.Sweep(t.Context(), retention.SweepOptions{AsOf: today.AddDate(0, 4, 0)})
	if err != nil || r.Purged != 0 || r.Holds != 2 || r.Batches != 4 { // usage 0; holds 1 + 1 + 0
		t.Fatalf("sweep = %+v, %v; want 2 holds purged in 3 hold batches", r, err)
	}
	for _, a := range []string{"crashed", "failed"} {
		if at, err := l.Attempts(t.Context(), a); err != nil || len(at) != 0 {
			t.Fatalf("attempts of %s after the sweep: %+v, %v", a, at, err)
		}
	}
	// The crashed worker's 10 credits can be held again.
	clock.Advance(24 * time.Hour)
	spend(t, l, "crashed", "again", 10)
	meteringtest.ReconcileAccount(t, l, "crashed")
}
