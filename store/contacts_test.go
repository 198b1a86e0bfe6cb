package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/store"
)

// TestContacts: the contact store lives in the ledger's database (what one
// DB wrote, the next one opened on the same DSN reads), and Close closes
// it.
func TestContacts(t *testing.T) {
	for name, dsn := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "ledger.db") },
		"postgres": func(t *testing.T) string { return testenv.Postgres(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			dsn := dsn(t)
			db, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			subj := &privacy.Subjects{Contacts: db.Contacts(), Ledger: db.Ledger()}
			if _, err := db.Ledger().TopUp(ctx, metering.TopUp{Account: "jane", Credits: 5, PaymentRef: "pay-1"}); err != nil {
				t.Fatal(err)
			}
			email := "jane@example.com"
			if _, err := subj.Correct(ctx, "jane", privacy.Correction{Email: &email}); err != nil {
				t.Fatal(err)
			}
			if db.Contacts() != subj.Contacts {
				t.Error("Contacts returns a new store on each call")
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := subj.Contacts.ListContacts(ctx); err == nil {
				t.Error("the contact store still answers after Close")
			}

			again, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			x, err := (&privacy.Subjects{Contacts: again.Contacts(), Ledger: again.Ledger()}).Export(ctx, "jane")
			if err != nil {
				t.Fatal(err)
			}
			if x.Contact == nil || x.Contact.EmailSHA256 == "" || len(x.TopUps) != 1 {
				t.Fatalf("export after reopening = %+v; want the contact and the top-up from the same database", x)
			}
		})
	}
}

func TestMemoryContacts(t *testing.T) {
	db := store.Memory(store.Options{})
	defer db.Close()
	if db.Contacts() == nil || db.Contacts() != db.Contacts() {
		t.Fatal("Memory has no single contact store")
	}
	if cs, err := db.Contacts().ListContacts(context.Background()); err != nil || len(cs) != 0 {
		t.Fatalf("a new Memory holds contacts: %v, %v", cs, err)
	}
}
