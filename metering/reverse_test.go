package metering_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
)

// TestReverseArguments: Reverse and TopUp refuse malformed arguments with
// ErrInvalid before the store sees them, and record nothing.
func TestReverseArguments(t *testing.T) {
	ctx := t.Context()
	l := metering.NewLedger(memstore.New(), metering.Options{})
	if _, err := l.TopUp(ctx, metering.TopUp{Account: "acct", Credits: 100, PaymentRef: "pi_1", Amount: 500, Currency: "usd"}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("k", metering.MaxIDLen+1)
	for _, r := range []metering.Reversal{
		{PaymentRef: "", Key: "re_1", Credits: 1},
		{PaymentRef: long, Key: "re_1", Credits: 1},
		{PaymentRef: "pi_\xff", Key: "re_1", Credits: 1},
		{PaymentRef: "pi_1", Key: "", Credits: 1},
		{PaymentRef: "pi_1", Key: long, Credits: 1},
		{PaymentRef: "pi_1", Key: "re_1", Credits: 0},
		{PaymentRef: "pi_1", Key: "re_1", Credits: -5},
		{PaymentRef: "pi_1", Key: "re_1", Credits: metering.MaxAmount + 1},
	} {
		_, err := l.Reverse(ctx, r)
		if !errors.Is(err, metering.ErrInvalid) || errcode.Of(err) != errcode.InvalidArgument || !strings.HasPrefix(err.Error(), "metering: reverse: ") {
			t.Errorf("Reverse(%+v) = %v, want ErrInvalid", r, err)
		}
	}
	for _, tu := range []metering.TopUp{
		{Account: "acct", Credits: 1, PaymentRef: "pi_2", Amount: -1, Currency: "usd"},
		{Account: "acct", Credits: 1, PaymentRef: "pi_2", Amount: metering.MaxAmount + 1, Currency: "usd"},
		{Account: "acct", Credits: 1, PaymentRef: "pi_2", Amount: 100},
		{Account: "acct", Credits: 1, PaymentRef: "pi_2", Amount: 0, Currency: "usd"},
		{Account: "acct", Credits: 1, PaymentRef: "pi_2", Amount: 100, Currency: "USD"},
		{Account: "acct", Credits: 1, PaymentRef: "pi_2", Amount: 100, Currency: "us"},
		{Account: "acct", Credits: 1, PaymentRef: "pi_2", Amount: 100, Currency: "usdt"},
		{Account: "acct", Credits: 1, PaymentRef: "pi_2", Amount: 100, Currency: "u$d"},
	} {
		if _, err := l.TopUp(ctx, tu); !errors.Is(err, metering.ErrInvalid) {
			t.Errorf("TopUp(%+v) = %v, want ErrInvalid", tu, err)
		}
	}
	b, err := l.Balance(ctx, "acct")
	if err != nil || b != (metering.Balance{Credits: 100, Available: 100}) {
		t.Fatalf("balance after refused calls = %+v, %v; want 100 untouched", b, err)
	}
	// The reason is cut like the other recorded texts.
	e, err := l.Reverse(ctx, metering.Reversal{PaymentRef: "pi_1", Key: "re_1", Credits: 10, Reason: strings.Repeat("é", metering.MaxTextLen)})
	if err != nil || len(e.Reason) > metering.MaxTextLen || !strings.HasPrefix(e.Reason, "éé") || e.Credits != -10 {
		t.Fatalf("Reverse with a long reason = %d bytes, %v", len(e.Reason), err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reverse(ctx, metering.Reversal{PaymentRef: "pi_1", Key: "re_2", Credits: 1}); !errors.Is(err, metering.ErrClosed) {
		t.Fatalf("Reverse after Close = %v, want ErrClosed", err)
	}
}
