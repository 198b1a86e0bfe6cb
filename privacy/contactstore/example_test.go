package contactstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/picfre/picfre/internal/sqlitedb"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/contactstore"
)

func ExampleNewMemory() {
	ctx := context.Background()
	subjects := &privacy.Subjects{Contacts: contactstore.NewMemory()}
	email := "jane@example.com"
	c, err := subjects.Correct(ctx, "jane", privacy.Correction{Email: &email})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.EmailSHA256[:16], c.AgeStatus)
	// Output:
	// 8c87b489ce35cf2e unknown
}

func ExampleOpenSQL() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "contacts")
	defer os.RemoveAll(dir)
	// Open the *sql.DB with immediate write transactions and a busy
	// timeout, so that concurrent writers queue instead of failing (here
	// with picfre's own settings; store.Open does all of this for you).
	db, err := sqlitedb.Open(filepath.Join(dir, "ledger.db"), sqlitedb.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	contacts, err := contactstore.OpenSQL(ctx, db, contactstore.SQLite)
	if err != nil {
		panic(err)
	}
	subjects := &privacy.Subjects{Contacts: contacts}
	optOut := true
	subjects.Correct(ctx, "sam", privacy.Correction{OptedOut: &optOut})
	x, _ := subjects.Export(ctx, "sam")
	fmt.Println(x.Contact.OptedOut, x.Retained[0].Kind)
	// Output:
	// true contact
}
