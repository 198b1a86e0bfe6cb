package metering_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/metering/sqlitestore"
)

// FuzzLedgerInputs drives a Ledger with an arbitrary sequence of calls and
// arbitrary amounts (zero, negative, near math.MaxInt64), reversals
// included, over the in-memory store and over SQLite, and checks what every
// store must keep whatever it is given: no panic, every error carries a
// valid code, a balance is never negative, Available is Credits - Held, Owed
// is within [0, MaxAmount], and the balance equals the sum of
// the account's history (nothing credited or lost beside the entries).
func FuzzLedgerInputs(f *testing.F) {
	f.Add([]byte{0, 10, 1, 5, 2, 0, 3, 0})
	f.Add([]byte{0, 0xff, 4, 0xff, 0, 1})
	f.Add([]byte{5, 0xff, 0, 1, 0, 1})
	f.Add([]byte{0, 3, 1, 2, 1, 2, 2, 0, 2, 1, 3, 1})
	f.Add([]byte{6, 0xfe, 6, 0xfe, 0, 1, 1, 0xfd})
	f.Add([]byte{0, 8, 1, 4, 2, 0, 7, 8, 7, 0xff, 0, 4, 1, 1})

	dir := f.TempDir()
	sq, err := sqlitestore.Open(context.Background(), filepath.Join(dir, "ledger.db"), sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		f.Fatal(err)
	}
	sqlite := metering.NewLedger(sq, metering.Options{})
	f.Cleanup(func() { sqlite.Close() })
	var run atomic.Int64

	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		n := run.Add(1)
		mem := metering.NewLedger(memstore.New(), metering.Options{})
		defer mem.Close()
		driveLedger(t, mem, fmt.Sprintf("acct-%d", n), ops)
		driveLedger(t, sqlite, fmt.Sprintf("acct-%d", n), ops)
	})
}

// amountOf maps one byte to an amount that covers the edges: small values,
// zero, negatives and the neighbourhood of the int64 limits.
func amountOf(b byte) int64 {
	switch {
	case b == 0xff:
		return math.MaxInt64
	case b == 0xfe:
		return math.MaxInt64 - 1
	case b == 0xfd:
		return math.MinInt64
	case b == 0xfc:
		return -1
	case b >= 0xf0:
		return math.MaxInt64 / int64(b-0xee)
	default:
		return int64(b)
	}
}

func driveLedger(t *testing.T, l *metering.Ledger, account string, ops []byte) {
	t.Helper()
	ctx := context.Background()
	var holds []metering.Hold
	check := func(op string, err error) {
		t.Helper()
		if err == nil {
			return
		}
		if c := errcode.Of(err); !c.Valid() || c == errcode.Internal {
			t.Fatalf("%s: error without a fitting code (%q): %v", op, c, err)
		}
	}
	for i := 0; i+1 < len(ops); i += 2 {
		op, arg := ops[i]%8, ops[i+1]
		amount := amountOf(arg)
		ref := fmt.Sprintf("ref-%d", arg%4)
		switch op {
		case 0:
			_, err := l.TopUp(ctx, metering.TopUp{Account: account, Credits: amount, PaymentRef: ref})
			check("topup", err)
		case 1:
			h, err := l.Authorize(ctx, metering.Authorization{Account: account, IdempotencyKey: "key-" + ref, Credits: amount, Task: "metadata", MediaType: "image"})
			check("authorize", err)
			if err == nil {
				holds = append(holds, h)
			}
		case 2, 3:
			if len(holds) == 0 {
				continue
			}
			h := holds[int(arg)%len(holds)]
			if op == 2 {
				check("capture", l.Capture(ctx, h, metering.Event{Account: account, IdempotencyKey: h.IdempotencyKey, File: "f.jpg", Time: time.Now(), Task: "metadata", MediaType: "image", Credits: h.Credits}))
			} else {
				check("void", l.Void(ctx, h, errcode.ProviderFailure))
			}
		case 4, 5:
			_, err := l.Refund(ctx, metering.Refund{Account: account, Credits: amount, Key: "refund-" + ref, Reason: "fuzz"})
			check("refund", err)
		case 6:
			_, err := l.Adjust(ctx, metering.Adjustment{Account: account, Credits: amount, Key: "adjust-" + ref, Reason: "fuzz"})
			check("adjust", err)
		case 7:
			_, err := l.Reverse(ctx, metering.Reversal{PaymentRef: ref, Key: fmt.Sprintf("reverse-%s-%d", account, i), Credits: amount, Reason: "fuzz"})
			check("reverse", err)
		}
		b, err := l.Balance(ctx, account)
		if err != nil {
			t.Fatalf("balance: %v", err)
		}
		if b.Credits < 0 || b.Held < 0 || b.Available < 0 || b.Available != b.Credits-b.Held || b.Owed < 0 || b.Owed > metering.MaxAmount {
			t.Fatalf("after op %d: impossible balance %+v", i/2, b)
		}
	}
	b, err := l.Balance(ctx, account)
	if err != nil {
		t.Fatalf("balance: %v", err)
	}
	hist, err := l.History(ctx, account)
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	var sum int64
	for _, e := range hist {
		sum += e.Credits
	}
	if sum != b.Credits {
		t.Fatalf("balance %d is not the sum %d of the history's %d entries", b.Credits, sum, len(hist))
	}
}
