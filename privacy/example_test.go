package privacy_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/pseudonym"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/store"
)

func ExampleSubjects_Export() {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db := store.Memory(store.Options{Ledger: metering.Options{Clock: clock}}) // or store.Open(ctx, "sqlite:ledger.db", ...)
	defer db.Close()
	ledger := db.Ledger()
	ledger.TopUp(ctx, metering.TopUp{Account: "jane", Credits: 20, PaymentRef: "pay-1"})
	h, _ := ledger.Authorize(ctx, metering.Authorization{Account: "jane", IdempotencyKey: "beach.jpg", Credits: 2})
	ledger.Capture(ctx, h, metering.Event{File: "beach.jpg"})

	subjects := &privacy.Subjects{Contacts: db.Contacts(), Ledger: ledger, Clock: clock,
		Retention: retention.Policy{UsageMonths: 6, TopUpYears: 10}}
	x, err := subjects.Export(ctx, "jane")
	if err != nil {
		panic(err)
	}
	fmt.Println(x.Version, x.Usage[0].File, x.Balance.Credits)
	for _, r := range x.Retained {
		fmt.Printf("%s (%d), until %v:\n  %s\n", r.Kind, r.Count, r.Until, r.Reason)
	}
	for _, n := range x.NotStored {
		fmt.Printf("not stored: %s\n", n.Kind)
	}
	// Output:
	// picfre.export/v2 beach.jpg 18
	// topup (1), until 2037-01-01 00:00:00 +0000 UTC:
	//   Your top-ups are payment records: bookkeeping law requires keeping them until the end of the 7th year after the year of payment (GDPR art. 17(3)(b)). They are deleted after the end of the 10th year after the year of payment.
	// balance (1), until <nil>:
	//   Your balance, and the sums of deleted usage records and top-ups, are part of the payment records: they make your top-ups add up.
	// usage (1), until 2026-09-11 00:00:00 +0000 UTC:
	//   For each file processed for you, its name, the time and the credits charged are kept for billing and for questions about a charge: 6 calendar months, then deleted.
	// not stored: content
	// not stored: contact_details
}

func ExampleSubjects_Correct() {
	ctx := context.Background()
	subjects := &privacy.Subjects{Contacts: contactstore.NewMemory(), Clock: func() time.Time { return time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC) }}
	phone, country, granted := "+46 70 123 45 67", "SE", custmatch.ConsentGranted
	birth := time.Date(2015, 5, 1, 0, 0, 0, 0, time.UTC)
	c, err := subjects.Correct(ctx, "sam", privacy.Correction{Country: &country, Phone: &phone,
		AdUserData: &granted, BirthDate: &birth})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Country, c.PhoneSHA256[:16], c.AdUserData, c.AdPersonalization, c.AgeStatus, c.BirthDate)

	bad := "not an address"
	_, err = subjects.Correct(ctx, "sam", privacy.Correction{Email: &bad})
	fmt.Println(err)
	// Output:
	// SE 19317f0437d748c2 granted unspecified under_age 2015-05-01
	// custmatch: invalid e-mail address
}

func ExampleSubjects_Erase() {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db := store.Memory(store.Options{Ledger: metering.Options{Clock: clock}}) // or store.Open(ctx, "sqlite:ledger.db", ...)
	defer db.Close()
	ledger := db.Ledger()
	ledger.TopUp(ctx, metering.TopUp{Account: "jane", Credits: 20, PaymentRef: "pay-1"})
	h, _ := ledger.Authorize(ctx, metering.Authorization{Account: "jane", IdempotencyKey: "beach.jpg", Credits: 2})
	ledger.Capture(ctx, h, metering.Event{File: "beach.jpg"})
	failed, _ := ledger.Authorize(ctx, metering.Authorization{Account: "jane", IdempotencyKey: "blurry.jpg", Credits: 2})
	ledger.Void(ctx, failed, errcode.BadOutput) // the file failed: not charged, but the attempt is on record

	subjects := &privacy.Subjects{Contacts: db.Contacts(), Ledger: ledger, Clock: clock}
	email, granted := "jane@example.com", custmatch.ConsentGranted
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
	fmt.Println("hashes queued for removal:", report.PendingRemoval)
	x, _ := subjects.Export(ctx, "jane")
	fmt.Println("export after erasure:", len(x.TopUps), "top-up,", len(x.Usage), "usage records, balance", x.Balance.Credits)
	// Output:
	// deleted: map[attempt:1 contact:1 job:0 pseudonym:0 usage:1]
	// note: the records of which files were processed for you are deleted, so files sent again are charged again, as new work
	// kept topup (1)
	// kept balance (1)
	// hashes queued for removal: true
	// export after erasure: 1 top-up, 0 usage records, balance 18
}

func ExampleSubjects_CustomerMatch() {
	ctx := context.Background()
	subjects := &privacy.Subjects{Contacts: contactstore.NewMemory(), Clock: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}
	granted, yes := custmatch.ConsentGranted, true
	jane, sam := "jane@example.com", "sam@example.com"
	subjects.Correct(ctx, "jane", privacy.Correction{Email: &jane, AdUserData: &granted, AdPersonalization: &granted})
	subjects.Correct(ctx, "sam", privacy.Correction{Email: &sam, AdUserData: &granted, AdPersonalization: &granted})
	subjects.Correct(ctx, "sam", privacy.Correction{OptedOut: &yes})
	subjects.Erase(ctx, "jane")

	up, ids, err := subjects.CustomerMatch(ctx, custmatch.Builder{})
	if err != nil {
		panic(err)
	}
	fmt.Println("adds:", len(up.Adds), "removes:", len(up.Removes), "queued removals:", len(ids))
	custmatch.WriteCSV(os.Stdout, up.Removes) // sam (opted out), then jane (erased)
	// Output:
	// adds: 0 removes: 2 queued removals: 1
	// Email,Phone
	// cd25a6171969f2a3c6e35c7667e3908ef1bd2424241db04411a0eec454ca6c16,
	// 8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d,
}

func ExampleSubjects_AckRemovals() {
	ctx := context.Background()
	subjects := &privacy.Subjects{Contacts: contactstore.NewMemory()}
	email := "jane@example.com"
	subjects.Correct(ctx, "jane", privacy.Correction{Email: &email})
	subjects.Erase(ctx, "jane")

	up, ids, _ := subjects.CustomerMatch(ctx, custmatch.Builder{})
	fmt.Println("removals:", len(up.Removes))
	// ... upload up.Removes with the "remove" action, then:
	if err := subjects.AckRemovals(ctx, ids); err != nil {
		panic(err)
	}
	up, _, _ = subjects.CustomerMatch(ctx, custmatch.Builder{})
	fmt.Println("removals after the acknowledgement:", len(up.Removes))
	// Output:
	// removals: 1
	// removals after the acknowledgement: 0
}

func ExampleSubjects_KeepPseudonym() {
	ctx := context.Background()
	subjects := &privacy.Subjects{Contacts: contactstore.NewMemory()}
	keys, _ := pseudonym.NewKeyring("k1", map[string][]byte{"k1": []byte("a key from the secret store......")})
	id := keys.Pseudonym("jane")
	if err := subjects.KeepPseudonym(ctx, "jane", privacy.Pseudonym{Purpose: "ads-contact-id", Value: id}); err != nil {
		panic(err)
	}
	x, _ := subjects.Export(ctx, "jane")
	fmt.Println(x.Pseudonym[0].Purpose, x.Pseudonym[0].Value == id, x.Retained[0].Kind)
	report, _ := subjects.Erase(ctx, "jane")
	fmt.Println("erased:", report.Deleted["pseudonym"])
	// Output:
	// ads-contact-id true pseudonym
	// erased: 1
}
