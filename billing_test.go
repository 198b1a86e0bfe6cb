package picfre_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/provider/fake"
)

// flakyCapture is a ledger store whose Capture fails, before reaching the
// store, the first fail calls (all of them when fail is negative) with
// err, as a database that dropped its connection does.
type flakyCapture struct {
	driver.Store
	err error

	mu    sync.Mutex
	fail  int
	calls int
}

func (f *flakyCapture) Capture(ctx context.Context, r driver.CaptureRequest) error {
	f.mu.Lock()
	f.calls++
	failing := f.fail != 0
	if f.fail > 0 {
		f.fail--
	}
	f.mu.Unlock()
	if failing {
		return f.err
	}
	return f.Store.Capture(ctx, r)
}

func (f *flakyCapture) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = 0
}

func (f *flakyCapture) captures() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// billedPipeline returns a pipeline over a fake provider billing 3
// credits a file to a ledger over st, the account "acct" holding 10, with
// capture retries that do not wait long.
func billedPipeline(t *testing.T, st driver.Store, attempts int) (*picfre.Pipeline, *metering.Ledger, *fake.Provider) {
	t.Helper()
	l := metering.NewLedger(st, metering.Options{})
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acct", Credits: 10, PaymentRef: "pay-1"}); err != nil {
		t.Fatal(err)
	}
	p := fake.New(fake.Options{})
	pl := picfre.New(p, picfre.Config{Meter: l, Pricer: flat(3), CaptureAttempts: attempts, CaptureBackoff: time.Microsecond})
	return pl, l, p
}

// A capture that fails while the ledger's database is down is retried,
// and succeeds once it is back.
func TestCaptureRetriedWhileLedgerIsDown(t *testing.T) {
	st := &flakyCapture{Store: memstore.New(), err: errors.New("terminating connection due to administrator command"), fail: 2}
	pl, l, _ := billedPipeline(t, st, 3)
	res, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{Account: "acct"})
	if err != nil {
		t.Fatalf("Tag: %v (%s)", err, errcode.Of(err))
	}
	if st.captures() != 3 || res.Usage.Credits != 3 {
		t.Fatalf("%d captures, %d credits; want 3 captures (two failed) and 3 credits", st.captures(), res.Usage.Credits)
	}
	if b, err := l.Balance(t.Context(), "acct"); err != nil || b.Credits != 7 || b.Held != 0 {
		t.Fatalf("balance %+v, %v; want 7 credits, nothing held", b, err)
	}
}

// A capture that fails for good: the file fails with billing_failure (the
// database's unavailability in the chain) but keeps its answer, the hold
// is voided, and a re-run proceeds at once instead of meeting a conflict.
func TestCaptureFailureVoidsAndKeepsTheAnswer(t *testing.T) {
	st := &flakyCapture{Store: memstore.New(), err: errors.New("attempt to write a readonly database"), fail: -1}
	pl, l, p := billedPipeline(t, st, 2)
	ctx := t.Context()
	file := picfre.File("testdata/samples/coffee.png")
	res, err := pl.Tag(ctx, file, picfre.Options{Account: "acct"})
	if errcode.Of(err) != errcode.BillingFailure || !errors.Is(err, errcode.Unavailable) {
		t.Fatalf("Tag = %v (%s), want billing_failure over unavailable", err, errcode.Of(err))
	}
	if res == nil || res.Title == "" || len(res.Keywords) == 0 || res.Err == nil || res.Usage.Credits != 0 {
		t.Fatalf("result %+v: want the answer, Err set and nothing charged", res)
	}
	if st.captures() != 2 {
		t.Fatalf("%d captures, want 2 (CaptureAttempts)", st.captures())
	}
	if b, err := l.Balance(ctx, "acct"); err != nil || b.Credits != 10 || b.Held != 0 {
		t.Fatalf("balance %+v, %v; want 10 credits and nothing held (the hold voided)", b, err)
	}
	attempts, err := l.Attempts(ctx, "acct")
	if err != nil || len(attempts) != 1 || attempts[0].State != metering.AttemptVoided || attempts[0].Reason != errcode.BillingFailure {
		t.Fatalf("attempts %+v, %v; want one voided with billing_failure", attempts, err)
	}

	// TagAll keeps the answer on the failed file's Result as well.
	var got []*picfre.Result
	if err := pl.TagAll(ctx, slices.Values([]picfre.Media{file}), picfre.Options{Account: "acct"},
		func(r *picfre.Result) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || errcode.Of(got[0].Err) != errcode.BillingFailure || got[0].Title == "" {
		t.Fatalf("TagAll result %+v, want the answer with a billing_failure", got)
	}

	// The database is back: the re-run is held anew and charged, now.
	st.heal()
	res, err = pl.Tag(ctx, file, picfre.Options{Account: "acct"})
	if err != nil || res.Replayed || res.Usage.Credits != 3 {
		t.Fatalf("re-run: %+v, %v (%s); want it charged 3 credits at once", res, err, errcode.Of(err))
	}
	if p.Calls() != 3 {
		t.Fatalf("%d provider calls, want 3", p.Calls())
	}
}

// A capture refused for a reason that does not pass (the hold was voided
// meanwhile) is not retried.
func TestCaptureRefusalIsNotRetried(t *testing.T) {
	st := &flakyCapture{Store: memstore.New(), err: driver.ErrHoldVoided, fail: -1}
	pl, _, _ := billedPipeline(t, st, 4)
	_, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{Account: "acct"})
	if !errors.Is(err, metering.ErrHoldVoided) || errors.Is(err, errcode.Unavailable) {
		t.Fatalf("Tag = %v, want hold voided", err)
	}
	if st.captures() != 1 {
		t.Fatalf("%d captures, want 1", st.captures())
	}
}

// A ledger whose database fails on Authorize fails the file with
// billing_failure, never provider_failure, and the provider is not called.
func TestLedgerOutageIsABillingFailure(t *testing.T) {
	l := metering.NewLedger(failingAuthorize{memstore.New()}, metering.Options{})
	p := fake.New(fake.Options{})
	pl := picfre.New(p, picfre.Config{Meter: l, Pricer: flat(1)})
	_, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{Account: "acct"})
	if errcode.Of(err) != errcode.BillingFailure || !errors.Is(err, errcode.Unavailable) || p.Calls() != 0 {
		t.Fatalf("Tag = %v (%s) after %d provider calls, want billing_failure and no call", err, errcode.Of(err), p.Calls())
	}
}

type failingAuthorize struct{ driver.Store }

func (failingAuthorize) Authorize(context.Context, driver.HoldRequest) (driver.Hold, error) {
	return driver.Hold{}, errors.New("database or disk is full")
}

// No file is held for more than Config.MaxCredits: a dearer one is
// refused before authorize, with its own error and too_large.
func TestMaxCreditsPerFile(t *testing.T) {
	for _, c := range []struct {
		name    string
		ceiling int64
		price   int64
		refused bool
	}{
		{"default ceiling", 0, picfre.DefaultMaxCredits + 1, true},
		{"at the default ceiling", 0, picfre.DefaultMaxCredits, false},
		{"own ceiling", 50, 51, true},
		{"raised ceiling", 5000, 4000, false},
		{"no ceiling", -1, 1 << 40, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := newRecorder()
			p := fake.New(fake.Options{})
			pl := picfre.New(p, picfre.Config{Meter: rec, Pricer: flat(c.price), MaxCredits: c.ceiling})
			res, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{Account: "acct"})
			if !c.refused {
				if err != nil || res.Usage.Credits != c.price {
					t.Fatalf("Tag = %+v, %v; want it charged %d", res, err, c.price)
				}
				return
			}
			if !errors.Is(err, picfre.ErrOverMaxCredits) || errcode.Of(err) != errcode.TooLarge {
				t.Fatalf("Tag = %v (%s), want ErrOverMaxCredits", err, errcode.Of(err))
			}
			if rec.authCalls != 0 || p.Calls() != 0 {
				t.Fatalf("%d authorizations, %d provider calls; want none", rec.authCalls, p.Calls())
			}
		})
	}
}

// A re-run within the ledger's replay window is Replayed at no cost; after
// it, the same file is charged again.
func TestRerunChargedAfterReplayWindow(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l := metering.NewLedger(memstore.New(), metering.Options{Clock: clock})
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acct", Credits: 10, PaymentRef: "pay-1"}); err != nil {
		t.Fatal(err)
	}
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{Meter: l, Pricer: flat(3), Now: clock})
	file := picfre.File("testdata/samples/coffee.png")
	for _, c := range []struct {
		after    time.Duration
		replayed bool
		credits  int64
	}{
		{0, false, 3},
		{time.Hour, true, 0},
		{metering.DefaultReplayWindow, false, 3}, // 25 hours after the first charge
		{23 * time.Hour, true, 0},
	} {
		mu.Lock()
		now = now.Add(c.after)
		mu.Unlock()
		res, err := pl.Tag(t.Context(), file, picfre.Options{Account: "acct"})
		if err != nil || res.Replayed != c.replayed || res.Usage.Credits != c.credits {
			t.Fatalf("after %v: %+v, %v; want replayed %v, %d credits", c.after, res, err, c.replayed, c.credits)
		}
	}
	if b, err := l.Balance(t.Context(), "acct"); err != nil || b.Credits != 4 {
		t.Fatalf("balance %+v, %v; want 4 (two charges of 3)", b, err)
	}
}

// flakyVoid fails every Capture and the first Void, as a database that
// stays down a little longer does.
type flakyVoid struct {
	driver.Store
	mu    sync.Mutex
	voids int
}

func (*flakyVoid) Capture(context.Context, driver.CaptureRequest) error {
	return errors.New("server closed the connection unexpectedly")
}

func (f *flakyVoid) Void(ctx context.Context, r driver.VoidRequest) error {
	f.mu.Lock()
	f.voids++
	first := f.voids == 1
	f.mu.Unlock()
	if first {
		return errors.New("server closed the connection unexpectedly")
	}
	return f.Store.Void(ctx, r)
}

// The void after a failed capture is retried too, so the hold is
// released and nothing stays held.
func TestVoidRetriedAfterFailedCapture(t *testing.T) {
	st := &flakyVoid{Store: memstore.New()}
	pl, l, _ := billedPipeline(t, st, 3)
	res, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{Account: "acct"})
	if errcode.Of(err) != errcode.BillingFailure || res == nil || res.Title == "" {
		t.Fatalf("Tag = %+v, %v; want the answer with billing_failure", res, err)
	}
	st.mu.Lock()
	voids := st.voids
	st.mu.Unlock()
	if b, err := l.Balance(t.Context(), "acct"); err != nil || b.Held != 0 || voids != 2 {
		t.Fatalf("balance %+v, %v after %d voids; want nothing held after 2", b, err, voids)
	}
}
