package contactstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

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
	// Immediate write transactions and a busy timeout, so that
	// concurrent writers queue instead of failing.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "ledger.db")+"?_txlock=immediate&_pragma=busy_timeout(10000)")
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
