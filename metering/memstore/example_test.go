package memstore_test

import (
	"context"
	"fmt"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
)

func ExampleNew() {
	ctx := context.Background()
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	defer ledger.Close()
	ledger.TopUp(ctx, metering.TopUp{Account: "alice", Credits: 25, PaymentRef: "pay-1"})
	b, _ := ledger.Balance(ctx, "alice")
	fmt.Println(b.Credits, b.Available)
	// Output: 25 25
}
