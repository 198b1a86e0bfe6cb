package metering_test

import (
	"context"
	"errors"
	"fmt"
	"time"

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
