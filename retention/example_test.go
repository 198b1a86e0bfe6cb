package retention_test

import (
	"context"
	"fmt"
	"time"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/retention"
)

func ExampleAddMonths() {
	may31 := time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC)
	fmt.Println(retention.AddMonths(may31, -3).Format(time.DateOnly))
	fmt.Println(may31.AddDate(0, -3, 0).Format(time.DateOnly), "(AddDate rolls over)")
	fmt.Println(retention.AddMonths(time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), 1).Format(time.DateOnly))
	// Output:
	// 2025-02-28
	// 2025-03-03 (AddDate rolls over)
	// 2024-02-29
}

func ExamplePolicy_Cutoff() {
	var p retention.Policy // three months
	now := time.Date(2025, 5, 31, 9, 0, 0, 0, time.UTC)
	fmt.Println("purge usage recorded before", p.Cutoff(now).Format(time.DateTime))
	recorded := time.Date(2024, 11, 30, 15, 0, 0, 0, time.UTC)
	fmt.Println("recorded 30 Nov, kept until", p.UsageExpires(recorded).Format(time.DateTime))
	// Output:
	// purge usage recorded before 2025-03-01 00:00:00
	// recorded 30 Nov, kept until 2025-03-01 00:00:00
}

func ExamplePolicy_Validate() {
	fmt.Println(retention.Policy{TopUpYears: 5}.Validate())
	// Output:
	// retention: top-up retention below the legal floor: top-ups must be kept at least 7 years after the year of payment, not 5
}

func ExampleSweeper() {
	ctx := context.Background()
	recorded := time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC)
	policy := retention.Policy{}
	ledger := metering.NewLedger(memstore.New(), metering.Options{
		Clock:        func() time.Time { return recorded },
		RefuseBefore: policy.Cutoff, // a late retry of a purged event is refused
	})
	ledger.TopUp(ctx, metering.TopUp{Account: "acme", Credits: 100, PaymentRef: "pay-1"})
	h, _ := ledger.Authorize(ctx, metering.Authorization{Account: "acme", IdempotencyKey: "beach.jpg", Credits: 2})
	ledger.Capture(ctx, h, metering.Event{File: "beach.jpg"})

	sw := &retention.Sweeper{Ledger: ledger, Policy: policy, Clock: func() time.Time { return recorded.AddDate(1, 0, 0) }}
	for _, asOf := range []string{"2025-04-14T10:00:00Z", "2025-04-16T10:00:00Z"} {
		t, _ := time.Parse(time.RFC3339, asOf)
		r, err := sw.Sweep(ctx, retention.SweepOptions{AsOf: t})
		fmt.Println(asOf, "purged", r.Purged, err)
	}
	b, _ := ledger.Balance(ctx, "acme")
	fmt.Println("balance", b.Credits)
	// Output:
	// 2025-04-14T10:00:00Z purged 0 <nil>
	// 2025-04-16T10:00:00Z purged 1 <nil>
	// balance 98
}
