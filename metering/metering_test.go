package metering_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/metering/meteringtest"
)

func TestPricing(t *testing.T) {
	p := metering.Pricing{Rates: []metering.Rate{
		{Base: 1},
		{MediaType: "video", Base: 2, PerUnit: 3},
		{Task: "prompt", Base: 4},
		{Task: "metadata", MediaType: "audio", Base: 5, PerUnit: 1, Unit: 30 * time.Second},
		{Task: "prompt", Base: 99}, // shadowed by the earlier equally specific rate
	}}
	for _, c := range []struct {
		in   metering.PriceInput
		want int64
	}{
		{metering.PriceInput{Task: "metadata", MediaType: "image"}, 1},
		{metering.PriceInput{Task: "metadata", MediaType: "video"}, 2},
		{metering.PriceInput{Task: "metadata", MediaType: "video", Duration: time.Minute}, 2 + 3},
		{metering.PriceInput{Task: "metadata", MediaType: "video", Duration: time.Minute + time.Millisecond}, 2 + 6},
		{metering.PriceInput{Task: "metadata", MediaType: "video", Duration: 1}, 2 + 3},
		{metering.PriceInput{Task: "prompt", MediaType: "video", Duration: time.Hour}, 4},
		{metering.PriceInput{Task: "metadata", MediaType: "audio", Duration: 95 * time.Second}, 5 + 4},
		{metering.PriceInput{Task: "metadata", MediaType: "audio"}, 5},
	} {
		got, err := p.Price(c.in)
		if err != nil || got != c.want {
			t.Errorf("Price(%+v) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	if _, err := (metering.Pricing{Rates: []metering.Rate{{Task: "prompt", Base: 1}}}).Price(metering.PriceInput{Task: "metadata"}); !errors.Is(err, metering.ErrNoPrice) {
		t.Errorf("unpriced task: %v, want ErrNoPrice", err)
	}
	if _, err := p.Price(metering.PriceInput{Duration: -time.Second}); !errors.Is(err, metering.ErrInvalid) {
		t.Errorf("negative duration: %v, want ErrInvalid", err)
	}
	huge := metering.Pricing{Rates: []metering.Rate{{Base: 1, PerUnit: 1 << 40, Unit: time.Nanosecond}}}
	if _, err := huge.Price(metering.PriceInput{Duration: time.Hour}); !errors.Is(err, metering.ErrInvalid) {
		t.Errorf("overflowing price: %v, want ErrInvalid", err)
	}
	if _, err := (metering.Pricing{Rates: []metering.Rate{{Base: -1}}}).Price(metering.PriceInput{}); !errors.Is(err, metering.ErrInvalid) {
		t.Errorf("negative rate: %v, want ErrInvalid", err)
	}
}

func TestDiscard(t *testing.T) {
	var d metering.Hook = metering.Discard{}
	h, err := d.Authorize(t.Context(), metering.Authorization{Account: "a", IdempotencyKey: "k", Credits: 1 << 60})
	if err != nil || h.Credits != 1<<60 || h.Account != "a" {
		t.Fatalf("Discard.Authorize = %+v, %v", h, err)
	}
	if d.Capture(t.Context(), h, metering.Event{}) != nil || d.Void(t.Context(), h, errcode.Internal) != nil {
		t.Fatal("Discard must not fail")
	}
}

func newLedger(t *testing.T, credits int64) *metering.Ledger {
	t.Helper()
	l := metering.NewLedger(memstore.New(), metering.Options{Clock: meteringtest.NewClock(meteringtest.Epoch).Now})
	if credits > 0 {
		if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acct", Credits: credits, PaymentRef: "pay"}); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func available(t *testing.T, l *metering.Ledger) int64 {
	t.Helper()
	b, err := l.Balance(t.Context(), "acct")
	if err != nil {
		t.Fatal(err)
	}
	return b.Available
}

func TestMulti(t *testing.T) {
	a, b := newLedger(t, 100), newLedger(t, 100)
	m := metering.Multi(a, metering.Discard{}, b)
	auth := metering.Authorization{Account: "acct", IdempotencyKey: "k1", Credits: 10}
	h, err := m.Authorize(t.Context(), auth)
	if err != nil || h.Settled || h.Credits != 10 {
		t.Fatalf("Authorize = %+v, %v", h, err)
	}
	if available(t, a) != 90 || available(t, b) != 90 {
		t.Fatal("both ledgers must hold")
	}
	if err := m.Capture(t.Context(), h, metering.Event{File: "f.jpg"}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*metering.Ledger{a, b} {
		if bal, _ := l.Balance(t.Context(), "acct"); bal.Credits != 90 || bal.Held != 0 {
			t.Fatalf("after capture: %+v", bal)
		}
	}
	// A replay is settled only when every hook says so; Discard never
	// does, but capturing the replay still charges nobody again.
	h2, err := m.Authorize(t.Context(), auth)
	if err != nil || h2.Settled {
		t.Fatalf("replay through Discard = %+v, %v; want unsettled", h2, err)
	}
	if err := m.Capture(t.Context(), h2, metering.Event{File: "f.jpg"}); err != nil {
		t.Fatal(err)
	}
	if h2, err = metering.Multi(a, b).Authorize(t.Context(), auth); err != nil || !h2.Settled {
		t.Fatalf("replay = %+v, %v; want settled", h2, err)
	}
	if available(t, a) != 90 || available(t, b) != 90 {
		t.Fatal("a replay charged again")
	}

	// Void reaches every hook.
	h3, err := m.Authorize(t.Context(), metering.Authorization{Account: "acct", IdempotencyKey: "k2", Credits: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Void(t.Context(), h3, errcode.BadOutput); err != nil {
		t.Fatal(err)
	}
	if available(t, a) != 90 || available(t, b) != 90 {
		t.Fatal("void must release both holds")
	}

	// When a later hook refuses, the earlier holds are voided.
	poor := newLedger(t, 3)
	m2 := metering.Multi(a, poor)
	_, err = m2.Authorize(t.Context(), metering.Authorization{Account: "acct", IdempotencyKey: "k3", Credits: 5})
	if !errors.Is(err, metering.ErrInsufficientCredits) {
		t.Fatalf("Authorize with a poor ledger: %v", err)
	}
	if available(t, a) != 90 {
		t.Fatalf("the first ledger kept its hold: available %d", available(t, a))
	}

	// A hold that Multi did not make is refused without reaching the hooks.
	if err := m.Capture(t.Context(), metering.Hold{ID: "plain", Account: "acct", IdempotencyKey: "k9"}, metering.Event{}); !errors.Is(err, metering.ErrUnknownHold) {
		t.Fatalf("foreign hold: %v", err)
	}
	// An empty Multi authorizes everything, like Discard.
	if _, err := metering.Multi().Authorize(t.Context(), auth); err != nil {
		t.Fatal(err)
	}
}

func FuzzMultiHoldID(f *testing.F) {
	f.Add("multi:W3siaSI6ImEiLCJjIjoxfSx7ImkiOiJiIiwiYyI6Mn1d")
	f.Add("multi:")
	f.Add("multi:!!!")
	f.Add("plain")
	f.Add("multi:bnVsbA")
	m := metering.Multi(metering.Discard{}, metering.Discard{})
	f.Fuzz(func(t *testing.T, id string) {
		h := metering.Hold{ID: id, Account: "a", IdempotencyKey: "k"}
		err := m.Capture(context.Background(), h, metering.Event{})
		if err != nil && !errors.Is(err, metering.ErrUnknownHold) {
			t.Fatalf("untyped error %v", err)
		}
		if err2 := m.Void(context.Background(), h, ""); (err == nil) != (err2 == nil) {
			t.Fatalf("Capture and Void disagree: %v, %v", err, err2)
		}
	})
}

func TestCaptureClipsLongText(t *testing.T) {
	l := newLedger(t, 10)
	h, err := l.Authorize(t.Context(), metering.Authorization{Account: "acct", IdempotencyKey: "k", Credits: 1})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", metering.MaxTextLen) // 2 bytes each
	if err := l.Capture(t.Context(), h, metering.Event{File: long}); err != nil {
		t.Fatal(err)
	}
	u, err := l.Usage(t.Context(), "acct")
	if err != nil || len(u) != 1 {
		t.Fatal(u, err)
	}
	if n := len(u[0].File); n > metering.MaxTextLen || n < metering.MaxTextLen-1 || !strings.HasPrefix(long, u[0].File) {
		t.Fatalf("file name kept %d bytes", n)
	}
}

// slowStore blocks Capture until its context ends.
type slowStore struct{ driver.Store }

func (slowStore) Capture(ctx context.Context, _ driver.CaptureRequest) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestSettleTimeout(t *testing.T) {
	l := metering.NewLedger(slowStore{memstore.New()}, metering.Options{SettleTimeout: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	err := l.Capture(ctx, metering.Hold{ID: "x", Account: "a", IdempotencyKey: "k", Credits: 1}, metering.Event{})
	if !errors.Is(err, context.DeadlineExceeded) || errcode.Of(err) != errcode.BillingFailure || !errors.Is(err, errcode.Unavailable) {
		t.Fatalf("Capture = %v (%s), want the settle deadline as billing_failure over unavailable (not the caller's cancellation)", err, errcode.Of(err))
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("Capture gave up before the settle timeout")
	}
}

func TestRefuseBefore(t *testing.T) {
	now := time.Date(2025, 5, 31, 12, 0, 0, 0, time.UTC)
	window := func(now time.Time) time.Time { return now.AddDate(0, 0, -90) }
	l := metering.NewLedger(memstore.New(), metering.Options{Clock: func() time.Time { return now }, RefuseBefore: window})
	ctx := t.Context()
	if _, err := l.TopUp(ctx, metering.TopUp{Account: "acme", Credits: 10, PaymentRef: "pay-1"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		want error
	}{
		{window(now).Add(-time.Microsecond), metering.ErrEventTooOld},
		{window(now), nil},
		{time.Time{}, nil}, // no time: now
	} {
		h, err := l.Authorize(ctx, metering.Authorization{Account: "acme", IdempotencyKey: "k" + c.at.String(), Credits: 1})
		if err != nil {
			t.Fatal(err)
		}
		err = l.Capture(ctx, h, metering.Event{Time: c.at})
		if !errors.Is(err, c.want) {
			t.Errorf("Capture of an event at %v = %v, want %v", c.at, err, c.want)
		}
		if err != nil {
			if err := l.Void(ctx, h, errcode.Of(err)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if b, err := l.Balance(ctx, "acme"); err != nil || b.Credits != 8 || b.Held != 0 {
		t.Fatalf("balance = %+v, %v; want 8 credits (the old event not charged)", b, err)
	}
}

// failing is a store whose Balance fails with err.
type failing struct {
	driver.Store
	err error
}

func (f failing) Balance(context.Context, string, time.Time) (driver.Balance, error) {
	return driver.Balance{}, f.err
}

// TestErrorWrapping: the Ledger wraps each store error once, keeps the
// store's code, and classifies an uncoded one as the database failing.
func TestErrorWrapping(t *testing.T) {
	boom := errors.New("disk I/O error")
	for _, c := range []struct {
		err  error
		code errcode.Code
		msg  string
	}{
		{boom, errcode.BillingFailure, "metering: balance: disk I/O error"},
		{errcode.Wrap(errcode.Unavailable, boom), errcode.BillingFailure, "metering: balance: disk I/O error"},
		{context.Canceled, errcode.Canceled, "metering: balance: context canceled"},
		{fmt.Errorf("%w: details", driver.ErrConflict), errcode.Conflict, "metering: balance: idempotency conflict: details"},
	} {
		l := metering.NewLedger(failing{memstore.New(), c.err}, metering.Options{})
		_, err := l.Balance(t.Context(), "acct")
		if !errors.Is(err, c.err) || errcode.Of(err) != c.code || err.Error() != c.msg {
			t.Errorf("store error %v: got %q (%s), want %q (%s)", c.err, err, errcode.Of(err), c.msg, c.code)
		}
		if down := errors.Is(err, errcode.Unavailable); down != (c.code == errcode.BillingFailure) {
			t.Errorf("store error %v: errors.Is(err, errcode.Unavailable) = %v", c.err, down)
		}
	}
	l := newLedger(t, 1)
	_, err := l.Authorize(t.Context(), metering.Authorization{Account: "acct", IdempotencyKey: "k", Credits: 2})
	if got, want := fmt.Sprint(err), "metering: authorize: insufficient credits"; got != want {
		t.Errorf("authorize above the balance: %q, want %q", got, want)
	}
	_, err = l.TopUp(t.Context(), metering.TopUp{Account: "acct", Credits: 0, PaymentRef: "p"})
	if got, want := fmt.Sprint(err), "metering: topup: invalid argument: credits must be positive"; got != want || errcode.Of(err) != errcode.InvalidArgument {
		t.Errorf("top-up of zero: %q, want %q", got, want)
	}
	// Pricing and Multi name the package once too.
	_, err = metering.Pricing{}.Price(metering.PriceInput{})
	if got, want := fmt.Sprint(err), "metering: price: no price for this task and media type"; got != want {
		t.Errorf("unpriced: %q, want %q", got, want)
	}
}

// voidRecorder is a Hook that records the reasons of its voids.
type voidRecorder struct {
	metering.Discard
	reasons []errcode.Code
}

func (v *voidRecorder) Void(_ context.Context, _ metering.Hold, reason errcode.Code) error {
	v.reasons = append(v.reasons, reason)
	return nil
}

// TestVoidReason: the reason reaches every hook of a Multi and is kept
// with the attempt; a hook refusing rolls the others back with its code;
// a reason that is no code is kept as internal.
func TestVoidReason(t *testing.T) {
	a, b := &voidRecorder{}, &voidRecorder{}
	m := metering.Multi(a, b)
	auth := metering.Authorization{Account: "acct", IdempotencyKey: "k", Credits: 1}
	h, err := m.Authorize(t.Context(), auth)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Void(t.Context(), h, errcode.InvalidMedia); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.reasons, []errcode.Code{errcode.InvalidMedia}) || !slices.Equal(b.reasons, a.reasons) {
		t.Fatalf("reasons %v and %v, want invalid_media for both", a.reasons, b.reasons)
	}
	// The hook after a refuses: a's hold is voided with the refusal's code.
	if _, err := metering.Multi(a, newLedger(t, 0)).Authorize(t.Context(), auth); !errors.Is(err, metering.ErrInsufficientCredits) {
		t.Fatal(err)
	}
	if got := a.reasons[len(a.reasons)-1]; got != errcode.InsufficientCredits {
		t.Fatalf("rollback reason %s, want insufficient_credits", got)
	}

	l := newLedger(t, 10)
	for key, c := range map[string]struct{ in, want errcode.Code }{
		"k1": {errcode.ProviderFailure, errcode.ProviderFailure},
		"k2": {"no such code", errcode.Internal},
		"k3": {"", ""},
	} {
		h, err := l.Authorize(t.Context(), metering.Authorization{Account: "acct", IdempotencyKey: key, Credits: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Void(t.Context(), h, c.in); err != nil {
			t.Fatal(err)
		}
		at, err := l.Attempts(t.Context(), "acct")
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(at, func(a metering.Attempt) bool { return a.IdempotencyKey == key })
		if i < 0 || at[i].State != metering.AttemptVoided || at[i].Reason != c.want {
			t.Errorf("void with %q: attempts %+v, want %s kept", c.in, at, c.want)
		}
	}
}

// blocking is a store whose Balance waits until released, and which
// counts its Close calls.
type blocking struct {
	driver.Store
	entered, release chan struct{}
	closes           *int
}

func (b blocking) Balance(ctx context.Context, account string, now time.Time) (driver.Balance, error) {
	close(b.entered)
	<-b.release
	return b.Store.Balance(ctx, account, now)
}

func (b blocking) Close() error { *b.closes++; return nil }

// TestCloseWaits: Close waits for the call in progress, closes the store
// once, and later calls fail with ErrClosed.
func TestCloseWaits(t *testing.T) {
	closes := 0
	st := blocking{memstore.New(), make(chan struct{}), make(chan struct{}), &closes}
	l := metering.NewLedger(st, metering.Options{})
	balanceDone := make(chan error)
	go func() { _, err := l.Balance(context.Background(), "acct"); balanceDone <- err }()
	<-st.entered
	closed := make(chan error)
	go func() { closed <- l.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while a call was in progress")
	case <-time.After(20 * time.Millisecond):
	}
	close(st.release)
	if err := <-balanceDone; err != nil {
		t.Fatalf("the call in progress: %v", err)
	}
	if err := <-closed; err != nil || closes != 1 {
		t.Fatalf("Close = %v after %d store closes; want nil, 1", err, closes)
	}
	if _, err := l.History(t.Context(), "acct"); !errors.Is(err, metering.ErrClosed) {
		t.Fatalf("History after Close: %v", err)
	}
	if err := l.Close(); !errors.Is(err, metering.ErrClosed) || closes != 1 {
		t.Fatalf("second Close = %v, %d store closes", err, closes)
	}
}

// bare is a store without any optional interface.
type bare struct{ driver.Store }

// TestPurgeFallbacks: without the optional interfaces a purge runs
// without a lock and without counts, and a dry run is refused.
func TestPurgeFallbacks(t *testing.T) {
	clock := meteringtest.NewClock(meteringtest.Epoch)
	l := metering.NewLedger(bare{memstore.New()}, metering.Options{Clock: clock.Now})
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acct", Credits: 5, PaymentRef: "p"}); err != nil {
		t.Fatal(err)
	}
	h, err := l.Authorize(t.Context(), metering.Authorization{Account: "acct", IdempotencyKey: "k", Credits: 2})
	if err != nil || l.Capture(t.Context(), h, metering.Event{}) != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	p := metering.Purge{UsageBefore: clock.Now(), BatchSize: 10, MaxBatches: 10, Lease: time.Minute, DryRun: true}
	if _, err := l.Purge(t.Context(), p); !errors.Is(err, metering.ErrDryRunUnsupported) || errcode.Of(err) != errcode.InvalidArgument {
		t.Fatalf("dry run without a counter: %v", err)
	}
	p.DryRun = false
	r, err := l.Purge(t.Context(), p)
	if err != nil || r.Usage != 1 || len(r.UsageAccounts) != 0 || r.Batches != 3 {
		t.Fatalf("purge without a lock or counter = %+v, %v", r, err)
	}
	meteringtest.ReconcileAccount(t, l, "acct")
}
