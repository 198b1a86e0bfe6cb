package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/sqlitestore"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	store, err := sqlitestore.Open(ctx, filepath.Join(dir, "ledger.db"), sqlitestore.Options{})
	if err != nil {
		panic(err)
	}
	ledger := metering.NewLedger(store, metering.Options{})
	defer ledger.Close() // closes the store
	ledger.TopUp(ctx, metering.TopUp{Account: "alice", Credits: 40, PaymentRef: "pay-1"})
	h, _ := ledger.Authorize(ctx, metering.Authorization{Account: "alice", IdempotencyKey: "file-1", Credits: 15})
	ledger.Capture(ctx, h, metering.Event{File: "dunes.jpg"})
	b, _ := ledger.Balance(ctx, "alice")
	fmt.Println(b.Credits)
	// Output: 25
}
