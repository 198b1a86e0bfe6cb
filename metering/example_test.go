package metering_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
)

// The billing cycle of one file: authorize, call the provider, capture.
func ExampleLedger() {
	ctx := context.Background()
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	if _, err := ledger.TopUp(ctx, metering.TopUp{Account: "alice", Credits: 10, PaymentRef: "stripe-pi-001"}); err != nil {
		panic(err)
	}
	hold, err := ledger.Authorize(ctx, metering.Authorization{
		Account: "alice", IdempotencyKey: "alice/metadata/9f86d081", Credits: 3,
		Task: "metadata", MediaType: "image",
	})
	if err != nil {
		panic(err)
	}
	// ... the provider is called here; on failure:
	// ledger.Void(ctx, hold, errcode.Of(err)) ...
	err = ledger.Capture(context.WithoutCancel(ctx), hold, metering.Event{
		File: "beach.jpg", Provider: "openai", Model: "gpt-5-mini", InputTokens: 310, OutputTokens: 120,
	})
	if err != nil {
		panic(err)
	}
	b, _ := ledger.Balance(ctx, "alice")
	fmt.Printf("credits %d, held %d, available %d\n", b.Credits, b.Held, b.Available)

	// Running the same file again is settled: no second charge.
	again, _ := ledger.Authorize(ctx, metering.Authorization{
		Account: "alice", IdempotencyKey: "alice/metadata/9f86d081", Credits: 3,
		Task: "metadata", MediaType: "image",
	})
	fmt.Println("settled:", again.Settled)
	// Output:
	// credits 7, held 0, available 7
	// settled: true
}

func ExampleLedger_TopUp() {
	ctx := context.Background()
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	ledger.TopUp(ctx, metering.TopUp{Account: "alice", Credits: 100, PaymentRef: "pay-1"})
	ledger.TopUp(ctx, metering.TopUp{Account: "alice", Credits: 100, PaymentRef: "pay-1"}) // a retried webhook: credits once
	_, err := ledger.TopUp(ctx, metering.TopUp{Account: "alice", Credits: 50, PaymentRef: "pay-1"})
	fmt.Println(errors.Is(err, metering.ErrConflict))
	b, _ := ledger.Balance(ctx, "alice")
	fmt.Println(b.Credits)
	// Output:
	// true
	// 100
}

func ExampleLedger_Authorize_insufficient() {
	ctx := context.Background()
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	ledger.TopUp(ctx, metering.TopUp{Account: "bob", Credits: 2, PaymentRef: "pay-7"})
	_, err := ledger.Authorize(ctx, metering.Authorization{Account: "bob", IdempotencyKey: "k", Credits: 5})
	fmt.Println(errors.Is(err, metering.ErrInsufficientCredits))
	// Output: true
}

// Holds expire by themselves: a worker that died after Authorize gives
// its credits back once the hold TTL has passed.
func ExampleOptions_holdTTL() {
	ctx := context.Background()
	now := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	ledger := metering.NewLedger(memstore.New(), metering.Options{
		Clock:   func() time.Time { return now },
		HoldTTL: 5 * time.Minute,
	})
	ledger.TopUp(ctx, metering.TopUp{Account: "carol", Credits: 10, PaymentRef: "pay-9"})
	ledger.Authorize(ctx, metering.Authorization{Account: "carol", IdempotencyKey: "k", Credits: 10})
	b, _ := ledger.Balance(ctx, "carol")
	fmt.Println("available while held:", b.Available)
	now = now.Add(6 * time.Minute)
	b, _ = ledger.Balance(ctx, "carol")
	fmt.Println("available after expiry:", b.Available)
	// Output:
	// available while held: 0
	// available after expiry: 10
}

func ExampleLedger_History() {
	ctx := context.Background()
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	ledger.TopUp(ctx, metering.TopUp{Account: "dave", Credits: 20, PaymentRef: "pay-3"})
	h, _ := ledger.Authorize(ctx, metering.Authorization{Account: "dave", IdempotencyKey: "k1", Credits: 4})
	ledger.Capture(ctx, h, metering.Event{File: "a.jpg"})
	ledger.Refund(ctx, metering.Refund{Account: "dave", Credits: 4, Key: "refund-k1", Reason: "blurry result"})
	entries, _ := ledger.History(ctx, "dave")
	for _, e := range entries {
		fmt.Println(e.Kind, e.Credits, e.Ref)
	}
	// Output:
	// topup 20 pay-3
	// usage -4 k1
	// refund 4 refund-k1
}

func ExamplePricing() {
	prices := metering.Pricing{Rates: []metering.Rate{
		{Task: "metadata", Base: 1},                                 // any photo
		{Task: "metadata", MediaType: "video", Base: 2, PerUnit: 1}, // + 1 per started minute
		{Task: "prompt", Base: 2},
	}}
	photo, _ := prices.Price(metering.PriceInput{Task: "metadata", MediaType: "image"})
	clip, _ := prices.Price(metering.PriceInput{Task: "metadata", MediaType: "video", Duration: 90 * time.Second})
	fmt.Println(photo, clip)
	// Output: 1 4
}

func ExampleMulti() {
	ctx := context.Background()
	billing := metering.NewLedger(memstore.New(), metering.Options{})
	billing.TopUp(ctx, metering.TopUp{Account: "erin", Credits: 5, PaymentRef: "pay-5"})
	hook := metering.Multi(billing, metering.Discard{})
	h, err := hook.Authorize(ctx, metering.Authorization{Account: "erin", IdempotencyKey: "k", Credits: 2})
	if err != nil {
		panic(err)
	}
	hook.Capture(ctx, h, metering.Event{File: "x.png"})
	b, _ := billing.Balance(ctx, "erin")
	fmt.Println(b.Credits)
	// Output: 3
}

// A failed file is not charged; the attempt stays on record, naming no
// file, with the code it failed with, until a purge deletes it.
func ExampleLedger_Attempts() {
	ctx := context.Background()
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	ledger.TopUp(ctx, metering.TopUp{Account: "fay", Credits: 5, PaymentRef: "pay-8"})
	h, _ := ledger.Authorize(ctx, metering.Authorization{Account: "fay", IdempotencyKey: "k", Credits: 2, Task: "metadata", MediaType: "image"})
	ledger.Void(ctx, h, errcode.TooLarge)
	attempts, _ := ledger.Attempts(ctx, "fay")
	for _, a := range attempts {
		fmt.Println(a.IdempotencyKey, a.State, a.Reason, a.Credits)
	}
	b, _ := ledger.Balance(ctx, "fay")
	fmt.Println("available", b.Available)
	// Output:
	// k voided too_large 2
	// available 5
}

// A purge deletes old usage records and folds their debits into the
// history, so the balance stays; an account under a legal hold keeps its
// records, and cannot be erased, until the hold is lifted.
func ExampleLedger_Purge() {
	ctx := context.Background()
	now := time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC)
	ledger := metering.NewLedger(memstore.New(), metering.Options{Clock: func() time.Time { return now }})
	for _, account := range []string{"gus", "hal"} {
		ledger.TopUp(ctx, metering.TopUp{Account: account, Credits: 10, PaymentRef: "pay-" + account})
		h, _ := ledger.Authorize(ctx, metering.Authorization{Account: account, IdempotencyKey: "photo", Credits: 3})
		ledger.Capture(ctx, h, metering.Event{File: "photo.jpg"})
	}
	ledger.SetLegalHold(ctx, "hal", true)
	_, err := ledger.EraseUsage(ctx, "hal")
	fmt.Println(errors.Is(err, metering.ErrLegalHold))

	now = now.AddDate(0, 4, 0)
	r, err := ledger.Purge(ctx, metering.Purge{
		UsageBefore: now.AddDate(0, -3, 0), // usually retention.Policy.Cutoff(now)
		BatchSize:   500, MaxBatches: 1000, Lease: 15 * time.Minute,
	})
	fmt.Println("purged", r.Usage, err)
	for _, c := range r.UsageAccounts {
		fmt.Println(c.Account, c.Records, "legal hold:", c.LegalHold)
	}
	for _, account := range []string{"gus", "hal"} {
		h, _ := ledger.History(ctx, account)
		b, _ := ledger.Balance(ctx, account)
		fmt.Println(account, h[0].Kind, h[len(h)-1].Kind, b.Credits)
	}
	// Output:
	// true
	// purged 1 <nil>
	// gus 1 legal hold: false
	// hal 1 legal hold: true
	// gus purged topup 7
	// hal topup usage 7
}

// Usage lists what a data subject's export shows of each charged file.
func ExampleLedger_Usage() {
	ctx := context.Background()
	ledger := metering.NewLedger(memstore.New(), metering.Options{
		Clock: func() time.Time { return time.Date(2025, 5, 1, 9, 30, 0, 0, time.UTC) },
	})
	ledger.TopUp(ctx, metering.TopUp{Account: "ivy", Credits: 5, PaymentRef: "pay-4"})
	h, _ := ledger.Authorize(ctx, metering.Authorization{Account: "ivy", IdempotencyKey: "k1", Credits: 1, Task: "metadata", MediaType: "image"})
	ledger.Capture(ctx, h, metering.Event{File: "harbour.jpg", Provider: "local", Model: "local-1"})
	usage, _ := ledger.Usage(ctx, "ivy")
	for _, u := range usage {
		fmt.Println(u.File, u.Time.Format(time.RFC3339), u.Task, u.Credits, u.Model)
	}
	// Output: harbour.jpg 2025-05-01T09:30:00Z metadata 1 local-1
}

// A refund of credits already spent: the balance stops at zero, the rest
// is owed and blocks the account until the next top-up pays it.
func ExampleLedger_Reverse() {
	ctx := context.Background()
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	ledger.TopUp(ctx, metering.TopUp{Account: "alice", Credits: 100, PaymentRef: "pi_1", Amount: 1000, Currency: "usd"})
	hold, _ := ledger.Authorize(ctx, metering.Authorization{Account: "alice", IdempotencyKey: "file-1", Credits: 60})
	ledger.Capture(ctx, hold, metering.Event{})

	// The payment of pi_1 is refunded in full (re_1 is the refund's id;
	// a redelivered webhook with it reverses nothing more).
	e, _ := ledger.Reverse(ctx, metering.Reversal{PaymentRef: "pi_1", Key: "re_1", Credits: 100, Reason: "refund"})
	fmt.Println("reversed:", e.Credits)
	b, _ := ledger.Balance(ctx, "alice")
	fmt.Printf("credits %d, owed %d\n", b.Credits, b.Owed)
	_, err := ledger.Authorize(ctx, metering.Authorization{Account: "alice", IdempotencyKey: "file-2", Credits: 1})
	fmt.Println("blocked:", errors.Is(err, metering.ErrAccountBlocked))

	// The next top-up pays what is owed first.
	ledger.TopUp(ctx, metering.TopUp{Account: "alice", Credits: 100, PaymentRef: "pi_2", Amount: 1000, Currency: "usd"})
	b, _ = ledger.Balance(ctx, "alice")
	fmt.Printf("credits %d, owed %d\n", b.Credits, b.Owed)
	// Output:
	// reversed: -40
	// credits 0, owed 60
	// blocked: true
	// credits 40, owed 0
}
