package meteringtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre/metering"
)

// Epoch is the time the suite's clocks start at.
var Epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// ttl is the hold lifetime the suite's ledgers use.
const ttl = 10 * time.Minute

// RunConformanceTests runs one subtest per behaviour of metering.Store,
// through a metering.Ledger, against stores made by newStore. newStore is
// called once per subtest and must return an empty store; it registers its
// own cleanup with t.Cleanup.
func RunConformanceTests(t *testing.T, newStore func(t *testing.T) metering.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		f    func(t *testing.T, s *suite)
	}{
		{"TopUpIdempotent", testTopUpIdempotent},
		{"Validation", testValidation},
		{"InsufficientCredits", testInsufficientCredits},
		{"CaptureOnce", testCaptureOnce},
		{"CaptureAtMostHeld", testCaptureAtMostHeld},
		{"Void", testVoid},
		{"VoidAfterCapture", testVoidAfterCapture},
		{"SettledReplay", testSettledReplay},
		{"InProgress", testInProgress},
		{"HoldExpiry", testHoldExpiry},
		{"ExpiredCapture", testExpiredCapture},
		{"SupersededHold", testSupersededHold},
		{"RefundsAndAdjustments", testRefundsAndAdjustments},
		{"HistoryOrder", testHistoryOrder},
		{"UsageEventRoundTrip", testUsageEventRoundTrip},
		{"CancelledContext", testCancelledContext},
		{"ConcurrentSpend", testConcurrentSpend},
		{"ConcurrentSameKey", testConcurrentSameKey},
		{"ConcurrentTopUp", testConcurrentTopUp},
		{"ConcurrentCapture", testConcurrentCapture},
		{"PurgeKeepsBalance", testPurgeKeepsBalance},
		{"LegalHold", testLegalHold},
		{"Export", testExport},
		{"Erase", testErase},
		{"CountPurgeable", testCountPurgeable},
		{"SweepLock", testSweepLock},
		{"Attempts", testAttempts},
		{"PurgeHolds", testPurgeHolds},
		{"PurgeTopUps", testPurgeTopUps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			clock := NewClock(Epoch)
			tc.f(t, &suite{
				store:  st,
				clock:  clock,
				ledger: metering.NewLedger(st, metering.Options{Clock: clock.Now, HoldTTL: ttl}),
			})
		})
	}
}

type suite struct {
	store  metering.Store
	clock  *Clock
	ledger *metering.Ledger
}

func (s *suite) topUp(t *testing.T, account string, credits int64, ref string) metering.Entry {
	t.Helper()
	e, err := s.ledger.TopUp(t.Context(), account, credits, ref)
	if err != nil {
		t.Fatalf("TopUp(%s, %d, %s): %v", account, credits, ref, err)
	}
	return e
}

func (s *suite) authorize(t *testing.T, account, key string, credits int64) metering.Hold {
	t.Helper()
	h, err := s.ledger.Authorize(t.Context(), auth(account, key, credits))
	if err != nil {
		t.Fatalf("Authorize(%s, %s, %d): %v", account, key, credits, err)
	}
	return h
}

func (s *suite) capture(t *testing.T, h metering.Hold, credits int64) {
	t.Helper()
	if err := s.ledger.Capture(t.Context(), h, event(credits)); err != nil {
		t.Fatalf("Capture(%s): %v", h.IdempotencyKey, err)
	}
}

func (s *suite) balance(t *testing.T, account string) metering.Balance {
	t.Helper()
	b, err := s.ledger.Balance(t.Context(), account)
	if err != nil {
		t.Fatalf("Balance(%s): %v", account, err)
	}
	return b
}

func (s *suite) wantBalance(t *testing.T, account string, credits, held int64) {
	t.Helper()
	b := s.balance(t, account)
	want := metering.Balance{Credits: credits, Held: held, Available: credits - held}
	if b != want {
		t.Fatalf("Balance(%s) = %+v, want %+v", account, b, want)
	}
}

// reconcile checks that the account's records add up to its balance:
// top-ups + refunds + adjustments - usage - purged = credits, and the
// history's credits add up to the same.
func (s *suite) reconcile(t *testing.T, account string) {
	t.Helper()
	ReconcileAccount(t, s.store, account, s.clock.Now())
}

// ReconcileAccount fails t unless the account's records add up to its
// balance: the sum of History is Balance.Credits, and so is top-ups plus
// the credits of purged top-ups plus refunds and adjustments, less usage
// and purged debits, each read from its own listing.
func ReconcileAccount(t testing.TB, st metering.Store, account string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	b, err := st.Balance(ctx, account, now)
	if err != nil {
		t.Fatalf("Balance: %v", err)
	}
	hist, err := st.History(ctx, account)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	tops, err := st.ListTopUps(ctx, account)
	if err != nil {
		t.Fatalf("ListTopUps: %v", err)
	}
	usage, err := st.ListUsage(ctx, account)
	if err != nil {
		t.Fatalf("ListUsage: %v", err)
	}
	var sumHist, sumTop, sumUsage, other int64
	nUsage := 0
	for _, e := range hist {
		sumHist += e.Credits
		switch e.Kind {
		case metering.KindRefund, metering.KindAdjust, metering.KindPurged, metering.KindPurgedTopUps:
			other += e.Credits
		case metering.KindUsage:
			nUsage++
		}
	}
	for _, e := range tops {
		sumTop += e.Credits
	}
	for _, u := range usage {
		sumUsage += u.Credits
	}
	if sumHist != b.Credits {
		t.Fatalf("history adds up to %d, balance is %d", sumHist, b.Credits)
	}
	if got := sumTop - sumUsage + other; got != b.Credits {
		t.Fatalf("top-ups %d - usage %d + other %d = %d, balance is %d", sumTop, sumUsage, other, got, b.Credits)
	}
	if nUsage != len(usage) {
		t.Fatalf("history has %d usage entries, ListUsage %d", nUsage, len(usage))
	}
	if b.Credits < 0 || b.Held < 0 || b.Available < 0 || b.Available != b.Credits-b.Held {
		t.Fatalf("inconsistent balance %+v", b)
	}
}

func auth(account, key string, credits int64) metering.Authorization {
	return metering.Authorization{Account: account, IdempotencyKey: key, Credits: credits, Task: "metadata", MediaType: "image"}
}

func event(credits int64) metering.Event {
	return metering.Event{File: "photo.jpg", Task: "metadata", MediaType: "image", Credits: credits, Provider: "local", Model: "local-1"}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func testTopUpIdempotent(t *testing.T, s *suite) {
	first := s.topUp(t, "acme", 100, "pay-1")
	if first.Kind != metering.KindTopUp || first.Credits != 100 || first.Ref != "pay-1" || first.Account != "acme" {
		t.Fatalf("top-up entry = %+v", first)
	}
	s.clock.Advance(time.Minute)
	again := s.topUp(t, "acme", 100, "pay-1")
	if again.Seq != first.Seq || !again.Time.Equal(first.Time) {
		t.Fatalf("replayed top-up = %+v, want the first entry %+v", again, first)
	}
	s.wantBalance(t, "acme", 100, 0)
	_, err := s.ledger.TopUp(t.Context(), "acme", 50, "pay-1")
	wantErr(t, "same reference, other amount", err, metering.ErrConflict)
	_, err = s.ledger.TopUp(t.Context(), "other", 100, "pay-1")
	wantErr(t, "same reference, other account", err, metering.ErrConflict)
	s.wantBalance(t, "acme", 100, 0)
	s.wantBalance(t, "other", 0, 0)
	s.topUp(t, "acme", 25, "pay-2")
	s.wantBalance(t, "acme", 125, 0)
	tops, err := s.store.ListTopUps(t.Context(), "acme")
	if err != nil || len(tops) != 2 {
		t.Fatalf("ListTopUps = %v, %v; want 2 entries", tops, err)
	}
	s.reconcile(t, "acme")
}

func testValidation(t *testing.T, s *suite) {
	ctx := t.Context()
	long := strings.Repeat("k", metering.MaxIDLen+1)
	checks := []struct {
		what string
		err  error
	}{
		{"top-up of zero", func() error { _, err := s.ledger.TopUp(ctx, "a", 0, "r"); return err }()},
		{"negative top-up", func() error { _, err := s.ledger.TopUp(ctx, "a", -5, "r"); return err }()},
		{"top-up without reference", func() error { _, err := s.ledger.TopUp(ctx, "a", 5, ""); return err }()},
		{"top-up without account", func() error { _, err := s.ledger.TopUp(ctx, "", 5, "r"); return err }()},
		{"oversized key", func() error { _, err := s.ledger.Authorize(ctx, auth("a", long, 1)); return err }()},
		{"authorize without key", func() error { _, err := s.ledger.Authorize(ctx, auth("a", "", 1)); return err }()},
		{"negative authorize", func() error { _, err := s.ledger.Authorize(ctx, auth("a", "k", -1)); return err }()},
		{"refund of zero", func() error { _, err := s.ledger.Refund(ctx, "a", 0, "k", ""); return err }()},
		{"adjust of zero", func() error { _, err := s.ledger.Adjust(ctx, "a", 0, "k", ""); return err }()},
		{"invalid UTF-8 account", func() error { _, err := s.ledger.Balance(ctx, "a\xff"); return err }()},
		{"purge limit 0", func() error { _, err := s.store.PurgeUsage(ctx, Epoch, 0); return err }()},
	}
	for _, c := range checks {
		wantErr(t, c.what, c.err, metering.ErrInvalid)
	}
	s.wantBalance(t, "a", 0, 0)
}

func testInsufficientCredits(t *testing.T, s *suite) {
	_, err := s.ledger.Authorize(t.Context(), auth("nobody", "k0", 1))
	wantErr(t, "authorize on an unknown account", err, metering.ErrInsufficientCredits)
	s.topUp(t, "acme", 10, "pay-1")
	_, err = s.ledger.Authorize(t.Context(), auth("acme", "k1", 11))
	wantErr(t, "authorize above the balance", err, metering.ErrInsufficientCredits)
	s.wantBalance(t, "acme", 10, 0)
	h := s.authorize(t, "acme", "k2", 7)
	_, err = s.ledger.Authorize(t.Context(), auth("acme", "k3", 4))
	wantErr(t, "authorize above the available credits", err, metering.ErrInsufficientCredits)
	s.authorize(t, "acme", "k4", 3)
	s.wantBalance(t, "acme", 10, 10)
	s.capture(t, h, 0)
	s.wantBalance(t, "acme", 3, 3)
	// A free file needs no credits, even on an empty account.
	free := s.authorize(t, "nobody", "free", 0)
	s.capture(t, free, 0)
	s.wantBalance(t, "nobody", 0, 0)
	s.reconcile(t, "acme")
}

func testCaptureOnce(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	h := s.authorize(t, "acme", "k1", 10)
	if h.Settled || h.ID == "" || h.Credits != 10 || h.Account != "acme" || h.IdempotencyKey != "k1" {
		t.Fatalf("hold = %+v", h)
	}
	s.wantBalance(t, "acme", 100, 10)
	s.capture(t, h, 10)
	s.wantBalance(t, "acme", 90, 0)
	s.capture(t, h, 10)
	s.wantBalance(t, "acme", 90, 0)
	usage, err := s.store.ListUsage(t.Context(), "acme")
	if err != nil || len(usage) != 1 {
		t.Fatalf("ListUsage = %v, %v; want one record", usage, err)
	}
	s.reconcile(t, "acme")
}

func testCaptureAtMostHeld(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	h := s.authorize(t, "acme", "k1", 10)
	err := s.ledger.Capture(t.Context(), h, event(11))
	wantErr(t, "capture above the hold", err, metering.ErrExceedsHold)
	s.wantBalance(t, "acme", 100, 10)
	// A forged hold claiming more credits is held to the stored hold.
	forged := h
	forged.Credits = 50
	err = s.ledger.Capture(t.Context(), forged, event(50))
	wantErr(t, "capture above the stored hold", err, metering.ErrExceedsHold)
	s.wantBalance(t, "acme", 100, 10)
	// A partial capture takes 4 and releases the whole hold.
	s.capture(t, h, 4)
	s.wantBalance(t, "acme", 96, 0)
	s.reconcile(t, "acme")
}

func testVoid(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	h := s.authorize(t, "acme", "k1", 30)
	s.wantBalance(t, "acme", 100, 30)
	if err := s.ledger.Void(t.Context(), h); err != nil {
		t.Fatalf("Void: %v", err)
	}
	s.wantBalance(t, "acme", 100, 0)
	if err := s.ledger.Void(t.Context(), h); err != nil {
		t.Fatalf("second Void: %v", err)
	}
	err := s.ledger.Capture(t.Context(), h, event(30))
	wantErr(t, "capture after void", err, metering.ErrHoldVoided)
	s.wantBalance(t, "acme", 100, 0)
	// The key may be held again after a void.
	h2 := s.authorize(t, "acme", "k1", 30)
	s.capture(t, h2, 30)
	s.wantBalance(t, "acme", 70, 0)
	// Voiding an unknown hold is a no-op.
	if err := s.ledger.Void(t.Context(), metering.Hold{ID: "x", Account: "acme", IdempotencyKey: "nope", Credits: 5}); err != nil {
		t.Fatalf("Void of an unknown hold: %v", err)
	}
	err = s.ledger.Capture(t.Context(), metering.Hold{ID: "x", Account: "acme", IdempotencyKey: "nope", Credits: 5}, event(5))
	wantErr(t, "capture of an unknown hold", err, metering.ErrUnknownHold)
	s.wantBalance(t, "acme", 70, 0)
	s.reconcile(t, "acme")
}

func testVoidAfterCapture(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	h := s.authorize(t, "acme", "k1", 30)
	s.capture(t, h, 30)
	if err := s.ledger.Void(t.Context(), h); err != nil {
		t.Fatalf("Void after capture: %v", err)
	}
	s.wantBalance(t, "acme", 70, 0)
	s.reconcile(t, "acme")
}

func testSettledReplay(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	h := s.authorize(t, "acme", "k1", 30)
	s.capture(t, h, 30)
	s.clock.Advance(time.Hour)
	again := s.authorize(t, "acme", "k1", 30)
	if !again.Settled || again.ID != h.ID || again.Credits != 30 {
		t.Fatalf("replayed hold = %+v, want the settled original %+v", again, h)
	}
	s.wantBalance(t, "acme", 70, 0)
	s.capture(t, again, 30)
	if err := s.ledger.Void(t.Context(), again); err != nil {
		t.Fatalf("Void of a settled hold: %v", err)
	}
	s.wantBalance(t, "acme", 70, 0)
	_, err := s.ledger.Authorize(t.Context(), auth("acme", "k1", 31))
	wantErr(t, "replay with other credits", err, metering.ErrConflict)
	a := auth("acme", "k1", 30)
	a.Task = "prompt"
	_, err = s.ledger.Authorize(t.Context(), a)
	wantErr(t, "replay with another task", err, metering.ErrConflict)
	usage, err := s.store.ListUsage(t.Context(), "acme")
	if err != nil || len(usage) != 1 {
		t.Fatalf("ListUsage = %v, %v; want one record", usage, err)
	}
	s.reconcile(t, "acme")
}

func testInProgress(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	h := s.authorize(t, "acme", "k1", 30)
	_, err := s.ledger.Authorize(t.Context(), auth("acme", "k1", 30))
	wantErr(t, "authorize of a key with a live hold", err, metering.ErrInProgress)
	s.wantBalance(t, "acme", 100, 30)
	s.capture(t, h, 30)
	if h2 := s.authorize(t, "acme", "k1", 30); !h2.Settled {
		t.Fatalf("authorize after capture = %+v, want settled", h2)
	}
	// Keys are per account.
	s.topUp(t, "other", 100, "pay-2")
	if h3 := s.authorize(t, "other", "k1", 30); h3.Settled {
		t.Fatalf("another account's key was settled: %+v", h3)
	}
}

func testHoldExpiry(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	s.authorize(t, "acme", "crashed", 60)
	s.wantBalance(t, "acme", 100, 60)
	s.clock.Advance(ttl - time.Second)
	s.wantBalance(t, "acme", 100, 60)
	_, err := s.ledger.Authorize(t.Context(), auth("acme", "k2", 41))
	wantErr(t, "authorize while the hold lives", err, metering.ErrInsufficientCredits)
	s.clock.Advance(time.Second)
	s.wantBalance(t, "acme", 100, 0)
	h := s.authorize(t, "acme", "k2", 100)
	s.wantBalance(t, "acme", 100, 100)
	s.capture(t, h, 100)
	s.wantBalance(t, "acme", 0, 0)
	s.reconcile(t, "acme")
}

func testExpiredCapture(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	slow := s.authorize(t, "acme", "slow", 30)
	late := s.authorize(t, "acme", "late", 50)
	s.clock.Advance(ttl + time.Minute)
	// The expired hold still fits the balance: the work was done, charge it.
	s.capture(t, slow, 30)
	s.wantBalance(t, "acme", 70, 0)
	// Now the balance is taken by another hold: the late capture is refused.
	h := s.authorize(t, "acme", "k3", 70)
	err := s.ledger.Capture(t.Context(), late, event(50))
	wantErr(t, "capture of an expired hold that no longer fits", err, metering.ErrHoldExpired)
	s.wantBalance(t, "acme", 70, 70)
	s.capture(t, h, 70)
	s.wantBalance(t, "acme", 0, 0)
	s.reconcile(t, "acme")
}

func testSupersededHold(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	stale := s.authorize(t, "acme", "k1", 30)
	s.clock.Advance(ttl + time.Second)
	fresh := s.authorize(t, "acme", "k1", 30)
	if fresh.ID == stale.ID || fresh.Settled {
		t.Fatalf("re-authorized hold = %+v, want a new live hold", fresh)
	}
	// The stale holder's void must not release the fresh hold...
	if err := s.ledger.Void(t.Context(), stale); err != nil {
		t.Fatalf("Void of a superseded hold: %v", err)
	}
	s.wantBalance(t, "acme", 100, 30)
	// ...nor can it capture while the fresh one is live.
	err := s.ledger.Capture(t.Context(), stale, event(30))
	wantErr(t, "capture of a superseded hold", err, metering.ErrHoldExpired)
	s.capture(t, fresh, 30)
	s.wantBalance(t, "acme", 70, 0)
	// Once the key is captured, the stale capture is a no-op.
	if err := s.ledger.Capture(t.Context(), stale, event(30)); err != nil {
		t.Fatalf("Capture of a superseded hold after the key was captured: %v", err)
	}
	s.wantBalance(t, "acme", 70, 0)
	s.reconcile(t, "acme")
}

func testRefundsAndAdjustments(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	h := s.authorize(t, "acme", "k1", 40)
	s.capture(t, h, 40)
	r, err := s.ledger.Refund(t.Context(), "acme", 15, "refund-k1", "bad result")
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if r.Kind != metering.KindRefund || r.Credits != 15 || r.Reason != "bad result" || r.Ref != "refund-k1" {
		t.Fatalf("refund entry = %+v", r)
	}
	r2, err := s.ledger.Refund(t.Context(), "acme", 15, "refund-k1", "bad result")
	if err != nil || r2.Seq != r.Seq {
		t.Fatalf("replayed refund = %+v, %v; want the first entry", r2, err)
	}
	_, err = s.ledger.Refund(t.Context(), "acme", 16, "refund-k1", "bad result")
	wantErr(t, "refund key with another amount", err, metering.ErrConflict)
	_, err = s.ledger.Adjust(t.Context(), "acme", 15, "refund-k1", "bad result")
	wantErr(t, "refund key reused for an adjustment", err, metering.ErrConflict)
	s.wantBalance(t, "acme", 75, 0)
	hold := s.authorize(t, "acme", "k2", 50)
	_, err = s.ledger.Adjust(t.Context(), "acme", -26, "adj-1", "chargeback")
	wantErr(t, "negative adjustment into held credits", err, metering.ErrInsufficientCredits)
	s.wantBalance(t, "acme", 75, 50)
	if _, err := s.ledger.Adjust(t.Context(), "acme", -25, "adj-1", "chargeback"); err != nil {
		t.Fatalf("Adjust -25: %v", err)
	}
	s.wantBalance(t, "acme", 50, 50)
	if err := s.ledger.Void(t.Context(), hold); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ledger.Adjust(t.Context(), "acme", 5, "adj-2", "goodwill"); err != nil {
		t.Fatalf("Adjust +5: %v", err)
	}
	s.wantBalance(t, "acme", 55, 0)
	_, err = s.ledger.Adjust(t.Context(), "acme", -56, "adj-3", "too much")
	wantErr(t, "adjustment below zero", err, metering.ErrInsufficientCredits)
	s.wantBalance(t, "acme", 55, 0)
	s.reconcile(t, "acme")
}

func testHistoryOrder(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	s.clock.Advance(time.Second)
	h := s.authorize(t, "acme", "k1", 10)
	s.clock.Advance(time.Second)
	s.capture(t, h, 10)
	s.clock.Advance(time.Second)
	if _, err := s.ledger.Refund(t.Context(), "acme", 3, "r1", "partial"); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Second)
	s.topUp(t, "acme", 20, "pay-2")
	s.clock.Advance(time.Second)
	if _, err := s.ledger.Adjust(t.Context(), "acme", -1, "a1", "fee"); err != nil {
		t.Fatal(err)
	}
	s.topUp(t, "someone-else", 7, "pay-3")
	hist, err := s.ledger.History(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind    metering.EntryKind
		credits int64
		ref     string
		at      time.Duration
	}{
		{metering.KindTopUp, 100, "pay-1", 0},
		{metering.KindUsage, -10, "k1", 2 * time.Second},
		{metering.KindRefund, 3, "r1", 3 * time.Second},
		{metering.KindTopUp, 20, "pay-2", 4 * time.Second},
		{metering.KindAdjust, -1, "a1", 5 * time.Second},
	}
	if len(hist) != len(want) {
		t.Fatalf("History has %d entries, want %d: %+v", len(hist), len(want), hist)
	}
	for i, w := range want {
		e := hist[i]
		if e.Kind != w.kind || e.Credits != w.credits || e.Ref != w.ref || e.Account != "acme" || !e.Time.Equal(Epoch.Add(w.at)) {
			t.Errorf("entry %d = %+v, want %s %d %s at +%s", i, e, w.kind, w.credits, w.ref, w.at)
		}
		if i > 0 && e.Seq <= hist[i-1].Seq {
			t.Errorf("entry %d has seq %d after %d", i, e.Seq, hist[i-1].Seq)
		}
		if (e.Usage != nil) != (e.Kind == metering.KindUsage) {
			t.Errorf("entry %d: usage %v on a %s entry", i, e.Usage, e.Kind)
		}
	}
	s.wantBalance(t, "acme", 112, 0)
	s.reconcile(t, "acme")
}

func testUsageEventRoundTrip(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	h, err := s.ledger.Authorize(t.Context(), metering.Authorization{
		Account: "acme", IdempotencyKey: "acme/metadata/9f86d0", Credits: 12, Task: "metadata", MediaType: "video"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 2, 28, 23, 59, 58, 123456000, time.FixedZone("CET", 3600))
	ev := metering.Event{
		File: "Ferien am Meer – 2025.mp4", Time: at, Task: "metadata", MediaType: "video", Credits: 12,
		Provider: "gemini", Model: "gemini-2.5-flash", InputTokens: 15780, OutputTokens: 412,
	}
	if err := s.ledger.Capture(t.Context(), h, ev); err != nil {
		t.Fatal(err)
	}
	usage, err := s.store.ListUsage(t.Context(), "acme")
	if err != nil || len(usage) != 1 {
		t.Fatalf("ListUsage = %v, %v", usage, err)
	}
	want := ev
	want.Account, want.IdempotencyKey, want.Time = "acme", "acme/metadata/9f86d0", at.UTC()
	got := usage[0]
	if !got.Time.Equal(want.Time) {
		t.Fatalf("usage time = %v, want %v", got.Time, want.Time)
	}
	got.Time = want.Time
	if got != want {
		t.Fatalf("usage = %+v\nwant    %+v", got, want)
	}
	hist, err := s.ledger.History(t.Context(), "acme")
	if err != nil || len(hist) != 2 || hist[1].Usage == nil {
		t.Fatalf("History = %+v, %v", hist, err)
	}
	if u := *hist[1].Usage; u.File != want.File || u.Model != want.Model || u.InputTokens != want.InputTokens || !u.Time.Equal(want.Time) {
		t.Fatalf("history usage = %+v, want %+v", u, want)
	}
	// An event that names another account is refused.
	h2 := s.authorize(t, "acme", "k2", 1)
	bad := event(1)
	bad.Account = "mallory"
	err = s.ledger.Capture(t.Context(), h2, bad)
	wantErr(t, "capture with another account's event", err, metering.ErrConflict)
}

func testCancelledContext(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	h := s.authorize(t, "acme", "k1", 10)
	h2 := s.authorize(t, "acme", "k2", 10)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.ledger.Authorize(ctx, auth("acme", "k3", 10))
	wantErr(t, "authorize with a cancelled context", err, context.Canceled)
	if err := s.ledger.Capture(ctx, h, event(10)); err != nil {
		t.Fatalf("Capture with a cancelled context: %v", err)
	}
	if err := s.ledger.Void(ctx, h2); err != nil {
		t.Fatalf("Void with a cancelled context: %v", err)
	}
	s.wantBalance(t, "acme", 90, 0)
}

// testConcurrentSpend: 16 goroutines demand more than the balance.
func testConcurrentSpend(t *testing.T, s *suite) {
	const (
		workers = 16
		tries   = 4
		price   = 3
		credits = 50
		allowed = credits / price
	)
	s.topUp(t, "acme", credits, "pay-1")
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	watchErr := make(chan error, 1)
	go func() { watchErr <- watchBalance(s.ledger, "acme", stop) }()
	for w := range workers {
		wg.Go(func() {
			for i := range tries {
				h, err := s.ledger.Authorize(context.Background(), auth("acme", fmt.Sprintf("w%d-%d", w, i), price))
				if errors.Is(err, metering.ErrInsufficientCredits) {
					refused.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("Authorize: %v", err)
					return
				}
				if err := s.ledger.Capture(context.Background(), h, event(price)); err != nil {
					t.Errorf("Capture: %v", err)
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	if err := <-watchErr; err != nil {
		t.Fatal(err)
	}
	if ok.Load() != allowed || ok.Load()+refused.Load() != workers*tries {
		t.Fatalf("%d charges succeeded and %d were refused; want %d of %d", ok.Load(), refused.Load(), allowed, workers*tries)
	}
	s.wantBalance(t, "acme", credits-allowed*price, 0)
	usage, err := s.store.ListUsage(t.Context(), "acme")
	if err != nil || len(usage) != allowed {
		t.Fatalf("ListUsage has %d records (%v), want %d", len(usage), err, allowed)
	}
	s.reconcile(t, "acme")
}

// watchBalance polls the balance until stop is closed and reports the
// first negative or inconsistent reading.
func watchBalance(l *metering.Ledger, account string, stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		b, err := l.Balance(context.Background(), account)
		if err != nil {
			return fmt.Errorf("balance: %w", err)
		}
		if b.Credits < 0 || b.Held < 0 || b.Available < 0 || b.Available != b.Credits-b.Held {
			return fmt.Errorf("balance went wrong during the run: %+v", b)
		}
		time.Sleep(time.Millisecond)
	}
}

func testConcurrentSameKey(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	const workers = 16
	var wg sync.WaitGroup
	holds := make(chan metering.Hold, workers)
	var inProgress atomic.Int64
	for range workers {
		wg.Go(func() {
			h, err := s.ledger.Authorize(context.Background(), auth("acme", "same-file", 10))
			switch {
			case errors.Is(err, metering.ErrInProgress):
				inProgress.Add(1)
			case err != nil:
				t.Errorf("Authorize: %v", err)
			default:
				holds <- h
			}
		})
	}
	wg.Wait()
	close(holds)
	var got []metering.Hold
	for h := range holds {
		got = append(got, h)
	}
	if len(got) != 1 || inProgress.Load() != workers-1 {
		t.Fatalf("%d holds and %d in-progress refusals, want 1 and %d", len(got), inProgress.Load(), workers-1)
	}
	s.wantBalance(t, "acme", 100, 10)
	s.capture(t, got[0], 10)
	var settled atomic.Int64
	for range workers {
		wg.Go(func() {
			h, err := s.ledger.Authorize(context.Background(), auth("acme", "same-file", 10))
			if err != nil {
				t.Errorf("replay: %v", err)
				return
			}
			if h.Settled {
				settled.Add(1)
			}
			if err := s.ledger.Capture(context.Background(), h, event(10)); err != nil {
				t.Errorf("Capture of replay: %v", err)
			}
		})
	}
	wg.Wait()
	if settled.Load() != workers {
		t.Fatalf("%d of %d replays settled", settled.Load(), workers)
	}
	s.wantBalance(t, "acme", 90, 0)
	s.reconcile(t, "acme")
}

func testConcurrentTopUp(t *testing.T, s *suite) {
	const workers = 16
	var wg sync.WaitGroup
	seqs := make([]int64, workers)
	for w := range workers {
		wg.Go(func() {
			e, err := s.ledger.TopUp(context.Background(), "acme", 10, "pay-dup")
			if err != nil {
				t.Errorf("TopUp: %v", err)
				return
			}
			seqs[w] = e.Seq
		})
	}
	wg.Wait()
	for _, q := range seqs {
		if q != seqs[0] {
			t.Fatalf("replayed top-ups returned different entries: %v", seqs)
		}
	}
	s.wantBalance(t, "acme", 10, 0)
	s.reconcile(t, "acme")
}

func testConcurrentCapture(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	h := s.authorize(t, "acme", "k1", 25)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if err := s.ledger.Capture(context.Background(), h, event(25)); err != nil {
				t.Errorf("Capture: %v", err)
			}
		})
	}
	wg.Wait()
	s.wantBalance(t, "acme", 75, 0)
	s.reconcile(t, "acme")
}

// spend tops up nothing; it charges credits on account under key at the
// clock's current time.
func (s *suite) spend(t *testing.T, account, key string, credits int64) {
	t.Helper()
	s.capture(t, s.authorize(t, account, key, credits), credits)
}

func testPurgeKeepsBalance(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pay-1")
	s.spend(t, "acme", "u1", 10)
	s.clock.Advance(time.Hour)
	s.spend(t, "acme", "u2", 20)
	voided := s.authorize(t, "acme", "v1", 1)
	if err := s.ledger.Void(t.Context(), voided); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Hour)
	s.spend(t, "acme", "u3", 5)
	s.wantBalance(t, "acme", 65, 0)
	cutoff := Epoch.Add(90 * time.Minute)
	for i, want := range []int{1, 1, 0} {
		n, err := s.store.PurgeUsage(t.Context(), cutoff, 1)
		if err != nil || n != want {
			t.Fatalf("PurgeUsage #%d = %d, %v; want %d", i+1, n, err, want)
		}
		s.wantBalance(t, "acme", 65, 0)
		s.reconcile(t, "acme")
	}
	usage, err := s.store.ListUsage(t.Context(), "acme")
	if err != nil || len(usage) != 1 || usage[0].IdempotencyKey != "u3" {
		t.Fatalf("ListUsage after purge = %+v, %v; want only u3", usage, err)
	}
	hist, err := s.ledger.History(t.Context(), "acme")
	if err != nil || len(hist) != 3 {
		t.Fatalf("History after purge = %+v, %v", hist, err)
	}
	if p := hist[0]; p.Kind != metering.KindPurged || p.Credits != -30 || !p.Time.Equal(Epoch.Add(time.Hour)) {
		t.Fatalf("purged summary = %+v, want -30 through +1h", p)
	}
	if hist[1].Kind != metering.KindTopUp || hist[2].Ref != "u3" {
		t.Fatalf("History after purge = %+v", hist)
	}
	tops, err := s.store.ListTopUps(t.Context(), "acme")
	if err != nil || len(tops) != 1 {
		t.Fatalf("top-ups must survive a purge: %+v, %v", tops, err)
	}
	// Purging does not stop the account from spending its balance.
	s.spend(t, "acme", "u4", 65)
	s.wantBalance(t, "acme", 0, 0)
	s.reconcile(t, "acme")
}

func testLegalHold(t *testing.T, s *suite) {
	for _, a := range []string{"held", "free"} {
		s.topUp(t, a, 50, "pay-"+a)
		s.spend(t, a, "u1", 10)
		s.spend(t, a, "u2", 5)
	}
	if err := s.store.SetLegalHold(t.Context(), "held", true); err != nil {
		t.Fatal(err)
	}
	if on, err := s.store.LegalHold(t.Context(), "held"); err != nil || !on {
		t.Fatalf("LegalHold = %v, %v; want true", on, err)
	}
	if on, err := s.store.LegalHold(t.Context(), "free"); err != nil || on {
		t.Fatalf("LegalHold(free) = %v, %v; want false", on, err)
	}
	later := Epoch.Add(24 * time.Hour)
	n, err := s.store.PurgeUsage(t.Context(), later, 100)
	if err != nil || n != 2 {
		t.Fatalf("PurgeUsage = %d, %v; want the 2 records of the free account", n, err)
	}
	if u, err := s.store.ListUsage(t.Context(), "held"); err != nil || len(u) != 2 {
		t.Fatalf("held account's usage = %v, %v; want both records kept", u, err)
	}
	_, err = s.store.EraseUsage(t.Context(), "held")
	wantErr(t, "erase under legal hold", err, metering.ErrLegalHold)
	if err := s.store.SetLegalHold(t.Context(), "held", false); err != nil {
		t.Fatal(err)
	}
	n, err = s.store.PurgeUsage(t.Context(), later, 100)
	if err != nil || n != 2 {
		t.Fatalf("PurgeUsage after the hold was lifted = %d, %v; want 2", n, err)
	}
	for _, a := range []string{"held", "free"} {
		s.wantBalance(t, a, 35, 0)
		s.reconcile(t, a)
	}
}

func testExport(t *testing.T, s *suite) {
	s.topUp(t, "acme", 30, "pay-1")
	s.topUp(t, "acme", 20, "pay-2")
	s.topUp(t, "other", 10, "pay-3")
	s.spend(t, "acme", "u1", 4)
	s.spend(t, "other", "u1", 3)
	s.spend(t, "acme", "u2", 6)
	tops, err := s.store.ListTopUps(t.Context(), "acme")
	if err != nil || len(tops) != 2 || tops[0].Ref != "pay-1" || tops[1].Ref != "pay-2" || tops[0].Credits != 30 {
		t.Fatalf("ListTopUps = %+v, %v", tops, err)
	}
	usage, err := s.store.ListUsage(t.Context(), "acme")
	if err != nil || len(usage) != 2 || usage[0].IdempotencyKey != "u1" || usage[1].Credits != 6 || usage[0].Account != "acme" {
		t.Fatalf("ListUsage = %+v, %v", usage, err)
	}
	if u, _ := s.store.ListUsage(t.Context(), "nobody"); len(u) != 0 {
		t.Fatalf("ListUsage of an unknown account = %+v", u)
	}
}

func testErase(t *testing.T, s *suite) {
	s.topUp(t, "acme", 30, "pay-1")
	s.spend(t, "acme", "u1", 4)
	s.spend(t, "acme", "u2", 6)
	live := s.authorize(t, "acme", "live", 5)
	s.topUp(t, "other", 10, "pay-2")
	s.spend(t, "other", "u1", 3)
	n, err := s.store.EraseUsage(t.Context(), "acme")
	if err != nil || n != 2 {
		t.Fatalf("EraseUsage = %d, %v; want 2", n, err)
	}
	if u, _ := s.store.ListUsage(t.Context(), "acme"); len(u) != 0 {
		t.Fatalf("usage after erase = %+v", u)
	}
	s.wantBalance(t, "acme", 20, 5)
	s.reconcile(t, "acme")
	// A live hold survives erasure and can still be settled.
	s.capture(t, live, 5)
	s.wantBalance(t, "acme", 15, 0)
	s.reconcile(t, "acme")
	if u, _ := s.store.ListUsage(t.Context(), "other"); len(u) != 1 {
		t.Fatalf("another account's usage was erased: %+v", u)
	}
	if n, err := s.store.EraseUsage(t.Context(), "nobody"); err != nil || n != 0 {
		t.Fatalf("EraseUsage of an unknown account = %d, %v", n, err)
	}
}
