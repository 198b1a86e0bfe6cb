package pgstore_test

import (
	"context"
	"fmt"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/pgstore"
)

// Opening a shared ledger. (Not run as a test: it needs a server; the
// package's tests run the same calls against PICFRE_TEST_POSTGRES.)
func ExampleOpen() {
	ctx := context.Background()
	store, err := pgstore.Open(ctx, "postgres://picfre@db.internal:5432/billing?sslmode=verify-full", pgstore.Options{MaxConns: 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	ledger := metering.NewLedger(store, metering.Options{})
	defer ledger.Close() // closes the store and its pool
	b, _ := ledger.Balance(ctx, "alice")
	fmt.Println(b.Available)
}
