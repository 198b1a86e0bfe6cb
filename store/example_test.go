package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/store"
)

// Opening the embedded default: an SQLite file, created if missing.
func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "picfre")
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "picfre.db"), store.Options{
		// Refuse late retries of events whose usage records may be purged.
		Ledger: metering.Options{RefuseBefore: retention.Policy{}.Cutoff},
	})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	ledger := db.Ledger()
	ledger.TopUp(ctx, metering.TopUp{Account: "alice", Credits: 40, PaymentRef: "pay-1"})
	b, _ := ledger.Balance(ctx, "alice")
	fmt.Println(b.Credits)
	// Output: 40
}

// A shared ledger in PostgreSQL. (Not run as a test: it needs a server;
// the package's tests run the same calls against PICFRE_TEST_POSTGRES.)
func ExampleOpen_postgres() {
	ctx := context.Background()
	db, err := store.Open(ctx, "postgres://picfre@db.internal:5432/billing?sslmode=verify-full&search_path=picfre", store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	b, _ := db.Ledger().Balance(ctx, "alice")
	fmt.Println(b.Available)
}

func ExampleMemory() {
	ctx := context.Background()
	db := store.Memory(store.Options{})
	defer db.Close()
	db.Ledger().TopUp(ctx, metering.TopUp{Account: "bob", Credits: 5, PaymentRef: "pay-2"})
	b, _ := db.Ledger().Balance(ctx, "bob")
	fmt.Println(b.Available)
	// Output: 5
}

// The accounts and API tokens of the reference server: a token's secret
// is shown once; the store keeps only its hash and answers which account
// a secret is for (httpapi.Tokens asks it on every request).
func ExampleAccounts() {
	ctx := context.Background()
	db := store.Memory(store.Options{})
	defer db.Close()
	accounts := db.Accounts()
	acct, _ := accounts.Create(ctx)
	secret, tok, _ := accounts.NewToken(ctx, acct.ID, "laptop")
	fmt.Println(strings.HasPrefix(secret, "pfr_"), len(secret), tok.Label)

	who, _ := accounts.AccountForToken(ctx, secret)
	fmt.Println(who == acct.ID)

	accounts.Revoke(ctx, acct.ID, tok.ID)
	_, err := accounts.AccountForToken(ctx, secret)
	fmt.Println(errcode.Of(err))
	// Output:
	// true 47 laptop
	// true
	// unauthenticated
}
