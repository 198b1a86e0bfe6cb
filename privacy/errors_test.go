package privacy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/driver"
)

// failingStore is a contact store whose reads fail as a database that
// went away does.
type failingStore struct{ driver.ContactStore }

func (failingStore) GetContact(context.Context, string) (driver.Contact, bool, error) {
	return driver.Contact{}, false, errors.New("connection refused")
}

func (failingStore) ListContacts(context.Context) ([]driver.Contact, error) {
	return nil, errors.New("connection refused")
}

// TestErrorCodes: every error a Subjects returns answers errcode.Of with
// the right code, and a store failure names the package once.
func TestErrorCodes(t *testing.T) {
	ctx := t.Context()
	if c := errcode.Of(privacy.ErrInvalidAccount); c != errcode.InvalidArgument {
		t.Errorf("ErrInvalidAccount has code %s", c)
	}
	failing := &privacy.Subjects{Contacts: failingStore{contactstore.NewMemory()}}
	_, err := failing.Export(ctx, "jane")
	if errcode.Of(err) != errcode.Unavailable || err.Error() != "privacy: export: connection refused" {
		t.Errorf("Export over a failing store: %v (code %s)", err, errcode.Of(err))
	}
	_, _, err = failing.CustomerMatch(ctx, custmatch.Builder{})
	if errcode.Of(err) != errcode.Unavailable || err.Error() != "privacy: customer match: connection refused" {
		t.Errorf("CustomerMatch over a failing store: %v (code %s)", err, errcode.Of(err))
	}

	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	if err := ledger.SetLegalHold(ctx, "held", true); err != nil {
		t.Fatal(err)
	}
	subj := &privacy.Subjects{Contacts: contactstore.NewMemory(), Ledger: ledger}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name string
		err  error
		code errcode.Code
		is   error
	}{
		{"empty account", errOf(subj.Export(ctx, "")), errcode.InvalidArgument, privacy.ErrInvalidAccount},
		{"account not UTF-8", errOf(subj.Correct(ctx, "\xff", privacy.Correction{})), errcode.InvalidArgument, privacy.ErrInvalidAccount},
		{"no contact store", errOf((&privacy.Subjects{}).Export(ctx, "jane")), errcode.InvalidArgument, nil},
		{"bad address", errOf(subj.Correct(ctx, "jane", privacy.Correction{Email: ptr("nope")})), errcode.InvalidArgument, custmatch.ErrInvalidEmail},
		{"empty purpose", subj.KeepPseudonym(ctx, "jane", privacy.Pseudonym{Value: "k1:00"}), errcode.InvalidArgument, nil},
		{"legal hold", errOf(subj.Erase(ctx, "held")), errcode.FailedPrecondition, metering.ErrLegalHold},
		{"cancelled", errOf(subj.Correct(cancelled, "jane", privacy.Correction{OptedOut: ptr(true)})), errcode.Canceled, context.Canceled},
	} {
		if c := errcode.Of(tc.err); c != tc.code || tc.is != nil && !errors.Is(tc.err, tc.is) {
			t.Errorf("%s: %v (code %s), want code %s", tc.name, tc.err, c, tc.code)
		}
	}
}

func errOf[T any](_ T, err error) error { return err }
