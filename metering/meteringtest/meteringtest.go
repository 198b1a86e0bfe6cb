package meteringtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
)

// Epoch is the time the suite's clocks start at.
var Epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// ttl is the hold lifetime the suite's ledgers use.
const ttl = 10 * time.Minute

// RunConformanceTests runs one subtest per behaviour of driver.Store,
// through the public metering.Ledger API, against stores made by newStore.
// newStore is called once per subtest and must return an empty store; it
// registers its own cleanup with t.Cleanup (the suite closes a store only
// in the Close subtest, and the drivers' Close may run twice).
func RunConformanceTests(t *testing.T, newStore func(t *testing.T) driver.Store) {
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
		{"ErrorCodes", testErrorCodes},
		{"Overflow", testOverflow},
		{"ReplayWindow", testReplayWindow},
		{"TopUpAmounts", testTopUpAmounts},
		{"ReversePartAndFull", testReversePartAndFull},
		{"ReverseCap", testReverseCap},
		{"ReverseIdempotent", testReverseIdempotent},
		{"ReverseConcurrentSameKey", testReverseConcurrentSameKey},
		{"ReverseOwed", testReverseOwed},
		{"ReverseKeepsHolds", testReverseKeepsHolds},
		{"OwedSurvivesPurgeAndErase", testOwedSurvivesPurgeAndErase},
		{"Close", testClose},
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
	// store is for the few checks the Ledger cannot reach, and for
	// further Ledgers over the same store.
	store  driver.Store
	clock  *Clock
	ledger *metering.Ledger
}

func (s *suite) topUp(t *testing.T, account string, credits int64, ref string) metering.Entry {
	t.Helper()
	e, err := s.ledger.TopUp(t.Context(), metering.TopUp{Account: account, Credits: credits, PaymentRef: ref})
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
	ReconcileAccount(t, s.ledger, account)
}

// ReconcileAccount fails t unless the account's records add up to its
// balance as l sees it now: the sum of History is Balance.Credits, and so
// is top-ups (Ledger.TopUps) plus the credits of purged top-ups plus
// refunds and adjustments, less usage (Ledger.Usage) and purged debits,
// each read from its own listing.
func ReconcileAccount(t testing.TB, l *metering.Ledger, account string) {
	t.Helper()
	ctx := context.Background()
	b, err := l.Balance(ctx, account)
	if err != nil {
		t.Fatalf("Balance: %v", err)
	}
	hist, err := l.History(ctx, account)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	tops, err := l.TopUps(ctx, account)
	if err != nil {
		t.Fatalf("TopUps: %v", err)
	}
	usage, err := l.Usage(ctx, account)
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	var sumHist, sumTop, sumUsage, other int64
	nUsage := 0
	for _, e := range hist {
		sumHist += e.Credits
		switch e.Kind {
		case metering.KindRefund, metering.KindAdjust, metering.KindPurged, metering.KindPurgedTopUps, metering.KindReversal:
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
		t.Fatalf("history has %d usage entries, Usage %d", nUsage, len(usage))
	}
	if b.Credits < 0 || b.Held < 0 || b.Available < 0 || b.Available != b.Credits-b.Held || b.Owed < 0 {
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
	_, err := s.ledger.TopUp(t.Context(), metering.TopUp{Account: "acme", Credits: 50, PaymentRef: "pay-1"})
	wantErr(t, "same reference, other amount", err, metering.ErrConflict)
	_, err = s.ledger.TopUp(t.Context(), metering.TopUp{Account: "other", Credits: 100, PaymentRef: "pay-1"})
	wantErr(t, "same reference, other account", err, metering.ErrConflict)
	s.wantBalance(t, "acme", 100, 0)
	s.wantBalance(t, "other", 0, 0)
	s.topUp(t, "acme", 25, "pay-2")
	s.wantBalance(t, "acme", 125, 0)
	tops, err := s.ledger.TopUps(t.Context(), "acme")
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
		{"top-up of zero", func() error {
			_, err := s.ledger.TopUp(ctx, metering.TopUp{Account: "a", Credits: 0, PaymentRef: "r"})
			return err
		}()},
		{"negative top-up", func() error {
			_, err := s.ledger.TopUp(ctx, metering.TopUp{Account: "a", Credits: -5, PaymentRef: "r"})
			return err
		}()},
		{"top-up without reference", func() error {
			_, err := s.ledger.TopUp(ctx, metering.TopUp{Account: "a", Credits: 5, PaymentRef: ""})
			return err
		}()},
		{"top-up without account", func() error {
			_, err := s.ledger.TopUp(ctx, metering.TopUp{Account: "", Credits: 5, PaymentRef: "r"})
			return err
		}()},
		{"oversized key", func() error { _, err := s.ledger.Authorize(ctx, auth("a", long, 1)); return err }()},
		{"authorize without key", func() error { _, err := s.ledger.Authorize(ctx, auth("a", "", 1)); return err }()},
		{"negative authorize", func() error { _, err := s.ledger.Authorize(ctx, auth("a", "k", -1)); return err }()},
		{"refund of zero", func() error {
			_, err := s.ledger.Refund(ctx, metering.Refund{Account: "a", Credits: 0, Key: "k", Reason: ""})
			return err
		}()},
		{"adjust of zero", func() error {
			_, err := s.ledger.Adjust(ctx, metering.Adjustment{Account: "a", Credits: 0, Key: "k", Reason: ""})
			return err
		}()},
		{"invalid UTF-8 account", func() error { _, err := s.ledger.Balance(ctx, "a\xff"); return err }()},
		{"capture without account", func() error { return s.ledger.Capture(ctx, metering.Hold{ID: "x", IdempotencyKey: "k"}, event(1)) }()},
		{"void without key", func() error { return s.ledger.Void(ctx, metering.Hold{ID: "x", Account: "a"}, errcode.Internal) }()},
		{"capture of negative tokens", func() error {
			e := event(0)
			e.InputTokens = -1
			return s.ledger.Capture(ctx, metering.Hold{ID: "x", Account: "a", IdempotencyKey: "k", Credits: 1}, e)
		}()},
		{"legal hold without account", func() error { return s.ledger.SetLegalHold(ctx, "", true) }()},
		{"usage of an oversized account", func() error { _, err := s.ledger.Usage(ctx, long); return err }()},
		{"erase without account", func() error { _, err := s.ledger.EraseUsage(ctx, ""); return err }()},
		{"purge without cutoff", func() error { _, err := s.ledger.Purge(ctx, purgeAll(time.Time{})); return err }()},
		{"purge batch 0", func() error { p := purgeAll(Epoch); p.BatchSize = 0; _, err := s.ledger.Purge(ctx, p); return err }()},
		{"purge of no batches", func() error { p := purgeAll(Epoch); p.MaxBatches = -1; _, err := s.ledger.Purge(ctx, p); return err }()},
		{"purge without lease", func() error { p := purgeAll(Epoch); p.Lease = 0; _, err := s.ledger.Purge(ctx, p); return err }()},
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
	usage, err := s.ledger.Usage(t.Context(), "acme")
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
	if err := s.ledger.Void(t.Context(), h, errcode.ProviderFailure); err != nil {
		t.Fatalf("Void: %v", err)
	}
	s.wantBalance(t, "acme", 100, 0)
	if err := s.ledger.Void(t.Context(), h, errcode.ProviderFailure); err != nil {
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
	if err := s.ledger.Void(t.Context(), metering.Hold{ID: "x", Account: "acme", IdempotencyKey: "nope", Credits: 5}, errcode.BadOutput); err != nil {
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
	if err := s.ledger.Void(t.Context(), h, errcode.ProviderFailure); err != nil {
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
	if err := s.ledger.Void(t.Context(), again, errcode.ProviderFailure); err != nil {
		t.Fatalf("Void of a settled hold: %v", err)
	}
	s.wantBalance(t, "acme", 70, 0)
	_, err := s.ledger.Authorize(t.Context(), auth("acme", "k1", 31))
	wantErr(t, "replay with other credits", err, metering.ErrConflict)
	a := auth("acme", "k1", 30)
	a.Task = "prompt"
	_, err = s.ledger.Authorize(t.Context(), a)
	wantErr(t, "replay with another task", err, metering.ErrConflict)
	usage, err := s.ledger.Usage(t.Context(), "acme")
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
	if err := s.ledger.Void(t.Context(), stale, errcode.ProviderFailure); err != nil {
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
	r, err := s.ledger.Refund(t.Context(), metering.Refund{Account: "acme", Credits: 15, Key: "refund-k1", Reason: "bad result"})
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if r.Kind != metering.KindRefund || r.Credits != 15 || r.Reason != "bad result" || r.Ref != "refund-k1" {
		t.Fatalf("refund entry = %+v", r)
	}
	r2, err := s.ledger.Refund(t.Context(), metering.Refund{Account: "acme", Credits: 15, Key: "refund-k1", Reason: "bad result"})
	if err != nil || r2.Seq != r.Seq {
		t.Fatalf("replayed refund = %+v, %v; want the first entry", r2, err)
	}
	_, err = s.ledger.Refund(t.Context(), metering.Refund{Account: "acme", Credits: 16, Key: "refund-k1", Reason: "bad result"})
	wantErr(t, "refund key with another amount", err, metering.ErrConflict)
	_, err = s.ledger.Adjust(t.Context(), metering.Adjustment{Account: "acme", Credits: 15, Key: "refund-k1", Reason: "bad result"})
	wantErr(t, "refund key reused for an adjustment", err, metering.ErrConflict)
	s.wantBalance(t, "acme", 75, 0)
	hold := s.authorize(t, "acme", "k2", 50)
	_, err = s.ledger.Adjust(t.Context(), metering.Adjustment{Account: "acme", Credits: -26, Key: "adj-1", Reason: "chargeback"})
	wantErr(t, "negative adjustment into held credits", err, metering.ErrInsufficientCredits)
	s.wantBalance(t, "acme", 75, 50)
	if _, err := s.ledger.Adjust(t.Context(), metering.Adjustment{Account: "acme", Credits: -25, Key: "adj-1", Reason: "chargeback"}); err != nil {
		t.Fatalf("Adjust -25: %v", err)
	}
	s.wantBalance(t, "acme", 50, 50)
	if err := s.ledger.Void(t.Context(), hold, errcode.ProviderFailure); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ledger.Adjust(t.Context(), metering.Adjustment{Account: "acme", Credits: 5, Key: "adj-2", Reason: "goodwill"}); err != nil {
		t.Fatalf("Adjust +5: %v", err)
	}
	s.wantBalance(t, "acme", 55, 0)
	_, err = s.ledger.Adjust(t.Context(), metering.Adjustment{Account: "acme", Credits: -56, Key: "adj-3", Reason: "too much"})
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
	if _, err := s.ledger.Refund(t.Context(), metering.Refund{Account: "acme", Credits: 3, Key: "r1", Reason: "partial"}); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Second)
	s.topUp(t, "acme", 20, "pay-2")
	s.clock.Advance(time.Second)
	if _, err := s.ledger.Adjust(t.Context(), metering.Adjustment{Account: "acme", Credits: -1, Key: "a1", Reason: "fee"}); err != nil {
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
	usage, err := s.ledger.Usage(t.Context(), "acme")
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
	if err := s.ledger.Void(ctx, h2, errcode.Canceled); err != nil {
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
	usage, err := s.ledger.Usage(t.Context(), "acme")
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
		if b.Credits < 0 || b.Held < 0 || b.Available < 0 || b.Available != b.Credits-b.Held || b.Owed < 0 {
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
			e, err := s.ledger.TopUp(context.Background(), metering.TopUp{Account: "acme", Credits: 10, PaymentRef: "pay-dup"})
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
	if err := s.ledger.Void(t.Context(), voided, errcode.ProviderFailure); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Hour)
	s.spend(t, "acme", "u3", 5)
	s.wantBalance(t, "acme", 65, 0)
	cutoff := Epoch.Add(90 * time.Minute)
	// One batch of one record per purge: each batch keeps the balance.
	for i, want := range []int{1, 1, 0} {
		p := purgeAll(cutoff)
		p.BatchSize, p.MaxBatches = 1, 1
		r := s.purge(t, p)
		if r.Usage != want || r.Batches != 1 || !r.Incomplete || r.Holds != 0 {
			t.Fatalf("purge #%d = %+v; want %d usage record in one batch, incomplete", i+1, r, want)
		}
		s.wantBalance(t, "acme", 65, 0)
		s.reconcile(t, "acme")
	}
	// The rest of the work: the voided hold of v1.
	if r := s.purge(t, purgeAll(cutoff)); r.Usage != 0 || r.Holds != 1 || r.Batches != 3 || r.Incomplete {
		t.Fatalf("final purge = %+v; want the voided hold in 1 usage and 2 hold batches", r)
	}
	if a, err := s.ledger.Attempts(t.Context(), "acme"); err != nil || len(a) != 0 {
		t.Fatalf("attempts after the purge = %+v, %v", a, err)
	}
	usage, err := s.ledger.Usage(t.Context(), "acme")
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
	tops, err := s.ledger.TopUps(t.Context(), "acme")
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
	if err := s.ledger.SetLegalHold(t.Context(), "held", true); err != nil {
		t.Fatal(err)
	}
	if on, err := s.ledger.LegalHold(t.Context(), "held"); err != nil || !on {
		t.Fatalf("LegalHold = %v, %v; want true", on, err)
	}
	if on, err := s.ledger.LegalHold(t.Context(), "free"); err != nil || on {
		t.Fatalf("LegalHold(free) = %v, %v; want false", on, err)
	}
	later := Epoch.Add(24 * time.Hour)
	if r := s.purge(t, purgeAll(later)); r.Usage != 2 {
		t.Fatalf("purge = %+v; want the 2 records of the free account", r)
	}
	if u, err := s.ledger.Usage(t.Context(), "held"); err != nil || len(u) != 2 {
		t.Fatalf("held account's usage = %v, %v; want both records kept", u, err)
	}
	_, err := s.ledger.EraseUsage(t.Context(), "held")
	wantErr(t, "erase under legal hold", err, metering.ErrLegalHold)
	if c := errcode.Of(err); c != errcode.FailedPrecondition {
		t.Fatalf("erase under legal hold: code %s, want failed_precondition", c)
	}
	if err := s.ledger.SetLegalHold(t.Context(), "held", false); err != nil {
		t.Fatal(err)
	}
	if r := s.purge(t, purgeAll(later)); r.Usage != 2 {
		t.Fatalf("purge after the hold was lifted = %+v; want 2", r)
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
	tops, err := s.ledger.TopUps(t.Context(), "acme")
	if err != nil || len(tops) != 2 || tops[0].Ref != "pay-1" || tops[1].Ref != "pay-2" || tops[0].Credits != 30 {
		t.Fatalf("ListTopUps = %+v, %v", tops, err)
	}
	usage, err := s.ledger.Usage(t.Context(), "acme")
	if err != nil || len(usage) != 2 || usage[0].IdempotencyKey != "u1" || usage[1].Credits != 6 || usage[0].Account != "acme" {
		t.Fatalf("ListUsage = %+v, %v", usage, err)
	}
	if u, _ := s.ledger.Usage(t.Context(), "nobody"); len(u) != 0 {
		t.Fatalf("ListUsage of an unknown account = %+v", u)
	}
}

func testErase(t *testing.T, s *suite) {
	s.topUp(t, "acme", 30, "pay-1")
	s.spend(t, "acme", "u1", 4)
	s.spend(t, "acme", "u2", 6)
	live := s.authorize(t, "acme", "live", 5)
	failed := s.authorize(t, "acme", "failed", 1)
	if err := s.ledger.Void(t.Context(), failed, errcode.BadOutput); err != nil {
		t.Fatal(err)
	}
	s.topUp(t, "other", 10, "pay-2")
	s.spend(t, "other", "u1", 3)
	n, err := s.ledger.EraseUsage(t.Context(), "acme")
	if err != nil || n != 2 {
		t.Fatalf("EraseUsage = %d, %v; want 2", n, err)
	}
	if u, _ := s.ledger.Usage(t.Context(), "acme"); len(u) != 0 {
		t.Fatalf("usage after erase = %+v", u)
	}
	s.wantBalance(t, "acme", 20, 5)
	s.reconcile(t, "acme")
	if a, err := s.ledger.Attempts(t.Context(), "acme"); err != nil || len(a) != 1 || a[0].IdempotencyKey != "live" {
		t.Fatalf("attempts after erase = %+v, %v; want only the live hold", a, err)
	}
	// A live hold survives erasure and can still be settled.
	s.capture(t, live, 5)
	s.wantBalance(t, "acme", 15, 0)
	s.reconcile(t, "acme")
	if u, _ := s.ledger.Usage(t.Context(), "other"); len(u) != 1 {
		t.Fatalf("another account's usage was erased: %+v", u)
	}
	if n, err := s.ledger.EraseUsage(t.Context(), "nobody"); err != nil || n != 0 {
		t.Fatalf("EraseUsage of an unknown account = %d, %v", n, err)
	}
}

// purgeAll is a purge of everything recorded before cutoff, in batches
// large enough for any test.
func purgeAll(cutoff time.Time) metering.Purge {
	return metering.Purge{UsageBefore: cutoff, BatchSize: 100, MaxBatches: 1000, Lease: time.Minute}
}

func (s *suite) purge(t *testing.T, p metering.Purge) metering.PurgeReport {
	t.Helper()
	r, err := s.ledger.Purge(t.Context(), p)
	if err != nil {
		t.Fatalf("Purge(%+v): %v", p, err)
	}
	return r
}

// testErrorCodes checks that the store reports its outcomes with the
// driver sentinels, so that every Ledger error has the right code and a
// message that names the package once.
func testErrorCodes(t *testing.T, s *suite) {
	ctx := t.Context()
	_, err := s.ledger.Authorize(ctx, auth("acme", "k1", 5))
	if got, want := fmt.Sprint(err), "metering: authorize: insufficient credits"; got != want {
		t.Fatalf("authorize on an empty account: %q, want %q", got, want)
	}
	s.topUp(t, "acme", 10, "pay-1")
	h := s.authorize(t, "acme", "k1", 5)
	_, inProgress := s.ledger.Authorize(ctx, auth("acme", "k1", 5))
	_, conflict := s.ledger.TopUp(ctx, metering.TopUp{Account: "acme", Credits: 11, PaymentRef: "pay-1"})
	exceeds := s.ledger.Capture(ctx, h, event(6))
	if err := s.ledger.Void(ctx, h, errcode.Refused); err != nil {
		t.Fatal(err)
	}
	voided := s.ledger.Capture(ctx, h, event(5))
	unknown := s.ledger.Capture(ctx, metering.Hold{ID: "x", Account: "acme", IdempotencyKey: "nope", Credits: 1}, event(1))
	if err := s.ledger.SetLegalHold(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	_, held := s.ledger.EraseUsage(ctx, "acme")
	_, unknownPayment := s.ledger.Reverse(ctx, metering.Reversal{PaymentRef: "pay-nope", Key: "re-1", Credits: 1})
	s.topUp(t, "owing", 10, "pay-owing")
	s.spend(t, "owing", "u1", 10)
	s.reverse(t, "pay-owing", "re-owing", 10)
	_, blocked := s.ledger.Authorize(ctx, auth("owing", "k2", 1))
	if got, want := fmt.Sprint(blocked), "metering: authorize: account blocked: credits owed after a refund or dispute"; got != want {
		t.Fatalf("authorize on an owing account: %q, want %q", got, want)
	}
	for _, c := range []struct {
		what   string
		err    error
		target error
		code   errcode.Code
	}{
		{"insufficient credits", err, metering.ErrInsufficientCredits, errcode.InsufficientCredits},
		{"in progress", inProgress, metering.ErrInProgress, errcode.Conflict},
		{"conflict", conflict, metering.ErrConflict, errcode.Conflict},
		{"exceeds hold", exceeds, metering.ErrExceedsHold, errcode.BillingFailure},
		{"voided", voided, metering.ErrHoldVoided, errcode.BillingFailure},
		{"unknown hold", unknown, metering.ErrUnknownHold, errcode.BillingFailure},
		{"legal hold", held, metering.ErrLegalHold, errcode.FailedPrecondition},
		{"unknown payment", unknownPayment, metering.ErrUnknownPayment, errcode.NotFound},
		{"blocked", blocked, metering.ErrAccountBlocked, errcode.InsufficientCredits},
	} {
		wantErr(t, c.what, c.err, c.target)
		if got := errcode.Of(c.err); got != c.code {
			t.Errorf("%s: code %s, want %s", c.what, got, c.code)
		}
		if msg := c.err.Error(); strings.Count(msg, "metering") != 1 || !strings.HasPrefix(msg, "metering: ") {
			t.Errorf("%s: message %q must name the package once, first", c.what, msg)
		}
	}
}

// testClose checks that closing the Ledger closes the store and that a
// closed Ledger refuses every call.
func testClose(t *testing.T, s *suite) {
	ctx := t.Context()
	s.topUp(t, "acme", 10, "pay-1")
	if err := s.ledger.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err := s.ledger.Balance(ctx, "acme")
	wantErr(t, "balance after close", err, metering.ErrClosed)
	if c := errcode.Of(err); c != errcode.FailedPrecondition {
		t.Fatalf("balance after close: code %s", c)
	}
	wantErr(t, "second close", s.ledger.Close(), metering.ErrClosed)
	wantErr(t, "void after close", s.ledger.Void(ctx, metering.Hold{ID: "x", Account: "acme", IdempotencyKey: "k"}, ""), metering.ErrClosed)
}

// testOverflow checks that no amount or balance goes past
// metering.MaxAmount: an oversized amount is invalid, a change that would
// take the balance above it fails with ErrOverflow and records nothing,
// and the store never fails with an error of its own (an integer
// overflow, a broken invariant).
func testOverflow(t *testing.T, s *suite) {
	ctx := t.Context()
	max := metering.MaxAmount
	for _, c := range []struct {
		what string
		err  error
	}{
		{"top-up above MaxAmount", second(s.ledger.TopUp(ctx, metering.TopUp{Account: "acme", Credits: max + 1, PaymentRef: "big"}))},
		{"refund of MaxInt64", second(s.ledger.Refund(ctx, metering.Refund{Account: "acme", Credits: math.MaxInt64, Key: "r-big"}))},
		{"adjustment of MinInt64", second(s.ledger.Adjust(ctx, metering.Adjustment{Account: "acme", Credits: math.MinInt64, Key: "a-big"}))},
		{"hold above MaxAmount", second(s.ledger.Authorize(ctx, auth("acme", "k-big", max+1)))},
	} {
		wantErr(t, c.what, c.err, metering.ErrInvalid)
	}
	s.topUp(t, "acme", max-1, "pay-1")
	s.topUp(t, "acme", 1, "pay-2") // exactly MaxAmount
	_, err := s.ledger.TopUp(ctx, metering.TopUp{Account: "acme", Credits: 1, PaymentRef: "pay-3"})
	wantErr(t, "top-up past MaxAmount", err, metering.ErrOverflow)
	if errcode.Of(err) != errcode.InvalidArgument {
		t.Errorf("top-up past MaxAmount: code %s", errcode.Of(err))
	}
	_, err = s.ledger.Refund(ctx, metering.Refund{Account: "acme", Credits: 1, Key: "r-1"})
	wantErr(t, "refund past MaxAmount", err, metering.ErrOverflow)
	_, err = s.ledger.Adjust(ctx, metering.Adjustment{Account: "acme", Credits: max, Key: "a-1"})
	wantErr(t, "adjustment past MaxAmount", err, metering.ErrOverflow)
	if b := s.balance(t, "acme"); b.Credits != max || b.Available != max {
		t.Fatalf("balance %+v after refused changes, want %d", b, max)
	}
	// The refused top-up's reference was not used: it credits once room
	// is made.
	h := s.authorize(t, "acme", "k1", max)
	s.capture(t, h, 1)
	if _, err := s.ledger.TopUp(ctx, metering.TopUp{Account: "acme", Credits: 1, PaymentRef: "pay-3"}); err != nil {
		t.Fatalf("top-up after a charge: %v", err)
	}
	if b := s.balance(t, "acme"); b.Credits != max || b.Held != 0 {
		t.Fatalf("balance %+v, want %d", b, max)
	}
	if _, err := s.ledger.History(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
}

func second[T any](_ T, err error) error { return err }

// testReplayWindow checks the replay window: within it (24 hours by
// default) a captured key is a free replay, after it the same key is a
// new event, held and charged again, with a usage record of its own; a
// purge of the first record does not forget the second; the window is
// configurable.
func testReplayWindow(t *testing.T, s *suite) {
	ctx := t.Context()
	s.topUp(t, "acme", 100, "pay-1")
	first := s.authorize(t, "acme", "k1", 10)
	s.capture(t, first, 10)
	s.clock.Advance(metering.DefaultReplayWindow)
	if h := s.authorize(t, "acme", "k1", 10); !h.Settled || h.ID != first.ID {
		t.Fatalf("replay at the end of the window = %+v, want the settled original", h)
	}
	s.clock.Advance(time.Microsecond)
	second := s.authorize(t, "acme", "k1", 10)
	if second.Settled || second.ID == first.ID {
		t.Fatalf("replay after the window = %+v, want a new hold", second)
	}
	s.wantBalance(t, "acme", 90, 10)
	s.capture(t, second, 10)
	s.wantBalance(t, "acme", 80, 0)
	// The stale first hold cannot settle anything now.
	if err := s.ledger.Capture(ctx, first, event(10)); err != nil {
		t.Fatalf("Capture of the first, captured hold again: %v", err)
	}
	s.wantBalance(t, "acme", 80, 0)
	usage, err := s.ledger.Usage(ctx, "acme")
	if err != nil || len(usage) != 2 || usage[0].IdempotencyKey != "k1" || usage[1].IdempotencyKey != "k1" {
		t.Fatalf("usage %+v, %v; want two records of k1", usage, err)
	}
	// Within the window of the second capture, a replay is free again,
	// even after the first record is purged.
	s.clock.Advance(time.Hour)
	cutoff := s.clock.Now().Add(-2 * time.Hour)
	if r := s.purge(t, purgeAll(cutoff)); r.Usage != 1 {
		t.Fatalf("purge = %+v, want the first record only", r)
	}
	if h := s.authorize(t, "acme", "k1", 10); !h.Settled || h.ID != second.ID {
		t.Fatalf("replay after the purge of the first record = %+v, want the settled second hold", h)
	}
	s.wantBalance(t, "acme", 80, 0)
	s.reconcile(t, "acme")

	// A shorter window, through another Ledger over the same store.
	short := metering.NewLedger(s.store, metering.Options{Clock: s.clock.Now, HoldTTL: ttl, ReplayWindow: time.Hour})
	h, err := short.Authorize(ctx, auth("acme", "k2", 5))
	if err != nil {
		t.Fatal(err)
	}
	if err := short.Capture(ctx, h, event(5)); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Hour + time.Microsecond)
	again, err := short.Authorize(ctx, auth("acme", "k2", 5))
	if err != nil || again.Settled {
		t.Fatalf("replay after a one-hour window = %+v, %v; want a new hold", again, err)
	}
	if err := short.Void(ctx, again, errcode.Canceled); err != nil {
		t.Fatal(err)
	}
	s.wantBalance(t, "acme", 75, 0)
}
