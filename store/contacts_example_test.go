package store_test

import (
	"context"
	"fmt"

	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/store"
)

func ExampleDB_Contacts() {
	ctx := context.Background()
	db := store.Memory(store.Options{}) // or store.Open(ctx, "sqlite:picfre.db", store.Options{})
	defer db.Close()
	subjects := &privacy.Subjects{Contacts: db.Contacts(), Ledger: db.Ledger()}
	optOut := true
	if _, err := subjects.Correct(ctx, "jane", privacy.Correction{OptedOut: &optOut}); err != nil {
		panic(err)
	}
	x, _ := subjects.Export(ctx, "jane")
	fmt.Println(x.Contact.OptedOut)
	// Output:
	// true
}
