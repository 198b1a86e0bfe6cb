package meteringtest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
)

func (s *suite) reverse(t *testing.T, ref, key string, credits int64) metering.Entry {
	t.Helper()
	e, err := s.ledger.Reverse(t.Context(), metering.Reversal{PaymentRef: ref, Key: key, Credits: credits, Reason: "refund"})
	if err != nil {
		t.Fatalf("Reverse(%s, %s, %d): %v", ref, key, credits, err)
	}
	return e
}

// wantOwed checks the whole balance, Owed included.
func (s *suite) wantOwed(t *testing.T, account string, credits, held, owed int64) {
	t.Helper()
	b := s.balance(t, account)
	want := metering.Balance{Credits: credits, Held: held, Available: credits - held, Owed: owed}
	if b != want {
		t.Fatalf("Balance(%s) = %+v, want %+v", account, b, want)
	}
}

// testTopUpAmounts checks that the money of a top-up is kept with its
// entry, in TopUps and History, and that the same payment reference with
// another amount or currency is a conflict.
func testTopUpAmounts(t *testing.T, s *suite) {
	ctx := t.Context()
	e, err := s.ledger.TopUp(ctx, metering.TopUp{Account: "acme", Credits: 100, PaymentRef: "pi_1", Amount: 1999, Currency: "eur"})
	if err != nil || e.Amount != 1999 || e.Currency != "eur" || e.Credits != 100 || e.Kind != metering.KindTopUp {
		t.Fatalf("TopUp with an amount = %+v, %v", e, err)
	}
	s.topUp(t, "acme", 5, "manual-1") // no amount
	again, err := s.ledger.TopUp(ctx, metering.TopUp{Account: "acme", Credits: 100, PaymentRef: "pi_1", Amount: 1999, Currency: "eur"})
	if err != nil || again != e {
		t.Fatalf("replayed TopUp = %+v, %v; want the first entry %+v", again, err, e)
	}
	for _, c := range []metering.TopUp{
		{Account: "acme", Credits: 100, PaymentRef: "pi_1", Amount: 2000, Currency: "eur"},
		{Account: "acme", Credits: 100, PaymentRef: "pi_1", Amount: 1999, Currency: "usd"},
		{Account: "acme", Credits: 100, PaymentRef: "pi_1"},
		{Account: "acme", Credits: 5, PaymentRef: "manual-1", Amount: 500, Currency: "usd"},
	} {
		_, err := s.ledger.TopUp(ctx, c)
		wantErr(t, "TopUp "+c.PaymentRef+" with other money", err, metering.ErrConflict)
	}
	s.wantOwed(t, "acme", 105, 0, 0)
	tops, err := s.ledger.TopUps(ctx, "acme")
	if err != nil || len(tops) != 2 || tops[0] != e || tops[1].Amount != 0 || tops[1].Currency != "" {
		t.Fatalf("TopUps = %+v, %v; want %+v and a top-up without money", tops, err, e)
	}
	hist, err := s.ledger.History(ctx, "acme")
	if err != nil || len(hist) != 2 || hist[0] != e {
		t.Fatalf("History = %+v, %v; want %+v first", hist, err, e)
	}
	// The largest amount fits.
	if e, err := s.ledger.TopUp(ctx, metering.TopUp{Account: "big", Credits: 1, PaymentRef: "pi_big", Amount: metering.MaxAmount, Currency: "jpy"}); err != nil || e.Amount != metering.MaxAmount {
		t.Fatalf("TopUp of MaxAmount money = %+v, %v", e, err)
	}
	s.reconcile(t, "acme")
}

// testReversePartAndFull reverses a top-up in two parts, which together
// take back all of it.
func testReversePartAndFull(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pi_1")
	s.topUp(t, "acme", 50, "pi_2")
	s.clock.Advance(time.Minute)
	e := s.reverse(t, "pi_1", "re_1", 30)
	if e.Kind != metering.KindReversal || e.Credits != -30 || e.Ref != "re_1" || e.Reason != "refund" ||
		e.Account != "acme" || !e.Time.Equal(Epoch.Add(time.Minute)) || e.Seq == 0 {
		t.Fatalf("Reverse = %+v; want a reversal of -30 under re_1", e)
	}
	s.wantOwed(t, "acme", 120, 0, 0)
	s.reverse(t, "pi_1", "re_2", 70)
	s.wantOwed(t, "acme", 50, 0, 0)
	hist, err := s.ledger.History(t.Context(), "acme")
	if err != nil || len(hist) != 4 || hist[2] != e || hist[3].Credits != -70 || hist[3].Kind != metering.KindReversal {
		t.Fatalf("History = %+v, %v", hist, err)
	}
	// The top-up's entry is unchanged: reversals are entries of their own.
	tops, err := s.ledger.TopUps(t.Context(), "acme")
	if err != nil || len(tops) != 2 || tops[0].Credits != 100 {
		t.Fatalf("TopUps = %+v, %v", tops, err)
	}
	s.reconcile(t, "acme")
	// The rest of the account is spendable.
	s.spend(t, "acme", "u1", 50)
	s.wantOwed(t, "acme", 0, 0, 0)
}

// testReverseCap checks that the reversals of one top-up never take more
// than it credited: a reversal asking for more takes what remains, and
// one finding nothing left is recorded with 0 credits.
func testReverseCap(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pi_1")
	s.topUp(t, "acme", 40, "pi_2")
	if e := s.reverse(t, "pi_1", "re_1", 60); e.Credits != -60 {
		t.Fatalf("first reversal = %+v", e)
	}
	if e := s.reverse(t, "pi_1", "re_2", 60); e.Credits != -40 {
		t.Fatalf("reversal beyond the top-up = %+v; want -40, what remained", e)
	}
	s.wantOwed(t, "acme", 40, 0, 0)
	e := s.reverse(t, "pi_1", "re_3", 5)
	if e.Credits != 0 || e.Kind != metering.KindReversal || e.Ref != "re_3" {
		t.Fatalf("reversal of a fully reversed top-up = %+v; want an entry of 0", e)
	}
	if again := s.reverse(t, "pi_1", "re_3", 5); again != e {
		t.Fatalf("replay of the empty reversal = %+v, want %+v", again, e)
	}
	// More than a top-up's credits at once takes only its credits, and
	// the other top-up is not touched.
	if e := s.reverse(t, "pi_2", "re_4", metering.MaxAmount); e.Credits != -40 {
		t.Fatalf("reversal of MaxAmount = %+v; want -40", e)
	}
	s.wantOwed(t, "acme", 0, 0, 0)
	s.reconcile(t, "acme")
}

// testReverseIdempotent checks replays, conflicts and unknown payments.
func testReverseIdempotent(t *testing.T, s *suite) {
	ctx := t.Context()
	s.topUp(t, "acme", 100, "pi_1")
	s.topUp(t, "acme", 100, "pi_2")
	s.topUp(t, "other", 100, "pi_3")
	first := s.reverse(t, "pi_1", "re_1", 30)
	s.clock.Advance(time.Minute)
	if again := s.reverse(t, "pi_1", "re_1", 30); again != first {
		t.Fatalf("replay = %+v, want %+v", again, first)
	}
	for _, r := range []metering.Reversal{
		{PaymentRef: "pi_1", Key: "re_1", Credits: 31, Reason: "refund"},
		{PaymentRef: "pi_2", Key: "re_1", Credits: 30, Reason: "refund"},
		{PaymentRef: "pi_3", Key: "re_1", Credits: 30, Reason: "refund"},
		{PaymentRef: "pi_1", Key: "re_1", Credits: 30, Reason: "dispute"},
	} {
		_, err := s.ledger.Reverse(ctx, r)
		wantErr(t, "Reverse with other values", err, metering.ErrConflict)
	}
	_, err := s.ledger.Reverse(ctx, metering.Reversal{PaymentRef: "pi_unknown", Key: "re_9", Credits: 1})
	wantErr(t, "Reverse of an unknown payment", err, metering.ErrUnknownPayment)
	if c := errcode.Of(err); c != errcode.NotFound {
		t.Fatalf("errcode.Of(unknown payment) = %s, want %s", c, errcode.NotFound)
	}
	// The unknown payment recorded nothing: its key is free.
	if e := s.reverse(t, "pi_2", "re_9", 1); e.Credits != -1 {
		t.Fatalf("Reverse with the key of a failed reversal = %+v", e)
	}
	s.wantOwed(t, "acme", 169, 0, 0)
	s.wantOwed(t, "other", 100, 0, 0)
	s.reconcile(t, "acme")
	s.reconcile(t, "other")
}

// testReverseConcurrentSameKey runs the same reversal five times at once:
// it takes the credits once.
func testReverseConcurrentSameKey(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pi_1")
	const n = 5
	var wg sync.WaitGroup
	entries := make([]metering.Entry, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			entries[i], errs[i] = s.ledger.Reverse(t.Context(), metering.Reversal{PaymentRef: "pi_1", Key: "re_1", Credits: 40, Reason: "refund"})
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || entries[i] != entries[0] || entries[i].Credits != -40 {
			t.Fatalf("reversal %d = %+v, %v; want %+v", i, entries[i], errs[i], entries[0])
		}
	}
	s.wantOwed(t, "acme", 60, 0, 0)
	s.reconcile(t, "acme")
}

// testReverseOwed reverses credits already spent: the balance stops at 0,
// the rest is owed and blocks the account, and the next top-ups pay it
// first.
func testReverseOwed(t *testing.T, s *suite) {
	ctx := t.Context()
	s.topUp(t, "acme", 100, "pi_1")
	s.spend(t, "acme", "u1", 70)
	e := s.reverse(t, "pi_1", "dp_1", 100)
	if e.Credits != -30 {
		t.Fatalf("reversal after spending = %+v; want -30, what was left", e)
	}
	s.wantOwed(t, "acme", 0, 0, 70)
	s.reconcile(t, "acme")

	_, err := s.ledger.Authorize(ctx, auth("acme", "u2", 1))
	wantErr(t, "Authorize while owing", err, metering.ErrAccountBlocked)
	if c := errcode.Of(err); c != errcode.InsufficientCredits {
		t.Fatalf("errcode.Of(blocked) = %s, want %s", c, errcode.InsufficientCredits)
	}
	// A hold of 0 credits holds nothing and is allowed, and a replay of
	// a captured key is still recognised.
	free := s.authorize(t, "acme", "free", 0)
	s.capture(t, free, 0)
	if h := s.authorize(t, "acme", "u1", 70); !h.Settled {
		t.Fatalf("replay of u1 while blocked = %+v; want Settled", h)
	}

	// A top-up smaller than the debt pays part of it and credits nothing.
	if e := s.topUpMoney(t, "acme", 50, "pi_2"); e.Credits != 50 || e.Kind != metering.KindTopUp {
		t.Fatalf("TopUp while owing = %+v; want the top-up entry", e)
	}
	s.wantOwed(t, "acme", 0, 0, 20)
	_, err = s.ledger.Authorize(ctx, auth("acme", "u2", 1))
	wantErr(t, "Authorize while still owing", err, metering.ErrAccountBlocked)
	// A replayed top-up pays nothing more.
	s.topUpMoney(t, "acme", 50, "pi_2")
	s.wantOwed(t, "acme", 0, 0, 20)

	// The next one pays the rest and unblocks the account.
	s.topUpMoney(t, "acme", 50, "pi_3")
	s.wantOwed(t, "acme", 30, 0, 0)
	s.spend(t, "acme", "u2", 30)
	s.wantOwed(t, "acme", 0, 0, 0)
	s.reconcile(t, "acme")

	hist, err := s.ledger.History(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var owed []metering.Entry
	for _, e := range hist {
		if e.Kind == metering.KindReversal && e.Ref != "dp_1" {
			owed = append(owed, e)
		}
	}
	if len(owed) != 2 || owed[0].Ref != "pi_2/owed" || owed[0].Credits != -50 || owed[1].Ref != "pi_3/owed" || owed[1].Credits != -20 {
		t.Fatalf("entries paying what was owed = %+v; want pi_2/owed -50, pi_3/owed -20", owed)
	}

	// A reversal of the top-up that paid the debt takes what is left of
	// it; that top-up's payment was refunded, so its credits are owed
	// again. The cap still counts the full top-up.
	s.reverse(t, "pi_3", "re_3", 50)
	s.wantOwed(t, "acme", 0, 0, 50)
	if e := s.reverse(t, "pi_3", "re_4", 1); e.Credits != 0 {
		t.Fatalf("reversal beyond pi_3 = %+v; want 0", e)
	}
	s.wantOwed(t, "acme", 0, 0, 50)
	s.reconcile(t, "acme")
	if errors.Is(err, metering.ErrInsufficientCredits) {
		t.Fatal("ErrAccountBlocked must not be ErrInsufficientCredits")
	}
}

func (s *suite) topUpMoney(t *testing.T, account string, credits int64, ref string) metering.Entry {
	t.Helper()
	e, err := s.ledger.TopUp(t.Context(), metering.TopUp{Account: account, Credits: credits, PaymentRef: ref, Amount: credits * 10, Currency: "usd"})
	if err != nil {
		t.Fatalf("TopUp(%s, %d, %s): %v", account, credits, ref, err)
	}
	return e
}

// testReverseKeepsHolds checks that a reversal takes only the available
// credits: an open hold keeps its credits, and their capture still works.
func testReverseKeepsHolds(t *testing.T, s *suite) {
	s.topUp(t, "acme", 100, "pi_1")
	h := s.authorize(t, "acme", "u1", 60)
	if e := s.reverse(t, "pi_1", "re_1", 100); e.Credits != -40 {
		t.Fatalf("reversal with a hold open = %+v; want -40", e)
	}
	s.wantOwed(t, "acme", 60, 60, 60)
	s.capture(t, h, 60)
	s.wantOwed(t, "acme", 0, 0, 60)
	s.reconcile(t, "acme")
	// An expired hold is swept before the reversal takes its credits.
	s.topUp(t, "b", 100, "pi_2")
	s.authorize(t, "b", "u1", 60)
	s.clock.Advance(2 * ttl)
	if e := s.reverse(t, "pi_2", "re_2", 100); e.Credits != -100 {
		t.Fatalf("reversal after the hold expired = %+v; want -100", e)
	}
	s.wantOwed(t, "b", 0, 0, 0)
}

// testOwedSurvivesPurgeAndErase checks that retention and erasure keep
// what an account owes, and the reversal entries with their credits.
func testOwedSurvivesPurgeAndErase(t *testing.T, s *suite) {
	ctx := t.Context()
	s.topUp(t, "acme", 100, "pi_1")
	s.spend(t, "acme", "u1", 80)
	s.reverse(t, "pi_1", "re_1", 100)
	s.wantOwed(t, "acme", 0, 0, 80)
	s.clock.Advance(time.Hour)
	p := purgeAll(s.clock.Now())
	p.TopUpsBefore = s.clock.Now()
	if r := s.purge(t, p); r.Usage != 1 || r.TopUps != 1 {
		t.Fatalf("purge = %+v; want u1 and pi_1", r)
	}
	s.wantOwed(t, "acme", 0, 0, 80)
	s.reconcile(t, "acme")
	if _, err := s.ledger.EraseUsage(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	s.wantOwed(t, "acme", 0, 0, 80)
	s.reconcile(t, "acme")
	// The purged top-up is unknown now.
	_, err := s.ledger.Reverse(ctx, metering.Reversal{PaymentRef: "pi_1", Key: "re_2", Credits: 1})
	wantErr(t, "Reverse of a purged top-up", err, metering.ErrUnknownPayment)
	// Its reversal's key is still recognised.
	if e := s.reverse(t, "pi_1", "re_1", 100); e.Credits != -20 {
		t.Fatalf("replay after the purge = %+v", e)
	}
	hist, err := s.ledger.History(ctx, "acme")
	if err != nil || len(hist) != 3 || hist[2].Kind != metering.KindReversal || hist[2].Credits != -20 {
		t.Fatalf("History after the purge = %+v, %v", hist, err)
	}
	_, err = s.ledger.Authorize(ctx, auth("acme", "u2", 1))
	wantErr(t, "Authorize after the purge", err, metering.ErrAccountBlocked)
	s.topUp(t, "acme", 100, "pi_2")
	s.wantOwed(t, "acme", 20, 0, 0)
	s.reconcile(t, "acme")
}
