package privacy_test

import (
	"context"
	"fmt"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/privacy"
)

func ExampleSubjects_Erase() {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ledger := metering.NewLedger(memstore.New(), metering.Options{Clock: clock})
	ledger.TopUp(ctx, metering.TopUp{Account: "jane", Credits: 20, PaymentRef: "pay-1"})
	h, _ := ledger.Authorize(ctx, metering.Authorization{Account: "jane", IdempotencyKey: "beach.jpg", Credits: 2})
	ledger.Capture(ctx, h, metering.Event{File: "beach.jpg"})
	failed, _ := ledger.Authorize(ctx, metering.Authorization{Account: "jane", IdempotencyKey: "blurry.jpg", Credits: 2})
	ledger.Void(ctx, failed, errcode.BadOutput) // the file failed: not charged, but the attempt is on record

	subjects := &privacy.Subjects{Store: privacy.NewMemStore(), Ledger: ledger, Clock: clock}
	email, granted := "jane@example.com", privacy.ConsentGranted
	subjects.Correct(ctx, "jane", privacy.Correction{Email: &email, AdUserData: &granted, AdPersonalization: &granted})

	report, err := subjects.Erase(ctx, "jane")
	if err != nil {
		panic(err)
	}
	fmt.Println("deleted:", report.Deleted)
	fmt.Println("note:", report.Notes[0])
	for _, k := range report.Kept {
		fmt.Printf("kept %s (%d)\n", k.Kind, k.Count)
	}
	x, _ := subjects.Export(ctx, "jane")
	fmt.Println("export after erasure:", len(x.TopUps), "top-up,", len(x.Usage), "usage records, balance", x.Balance.Credits)

	up, ids, _ := subjects.CustomerMatch(ctx, privacy.CustomerMatchBuilder{})
	fmt.Println("removals in the next upload:", len(up.Removes))
	subjects.Store.AckRemovals(ctx, ids) // handed over: forget the hashes
	// Output:
	// deleted: map[attempts:1 contact:1 pseudonyms:0 usage:1]
	// note: usage records and their idempotency keys are deleted, so picfre no longer knows which files were processed: processing the same files again is billed again, as new work
	// kept topups (1)
	// kept balance (1)
	// export after erasure: 1 top-up, 0 usage records, balance 18
	// removals in the next upload: 1
}

func ExampleSubjects_Export() {
	ctx := context.Background()
	subjects := &privacy.Subjects{Store: privacy.NewMemStore(), Clock: func() time.Time { return time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC) }}
	phone, country := "+46 70 123 45 67", "SE"
	subjects.Correct(ctx, "sam", privacy.Correction{Country: &country, Phone: &phone})
	x, _ := subjects.Export(ctx, "sam")
	fmt.Println(x.Version, x.Contact.Country, x.Contact.PhoneSHA256[:16], x.Contact.AdUserData)
	// Output:
	// picfre.export/v1 SE 19317f0437d748c2 unspecified
}
