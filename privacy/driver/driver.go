package driver

import (
	"context"
	"time"

	"github.com/picfre/picfre/privacy/custmatch"
)

// AgeStatus is what the service keeps of an age check.
type AgeStatus string

// Age statuses. Only AgeUnderAge keeps a birth date (see Contact).
const (
	AgeUnknown  AgeStatus = "unknown"   // no date of birth given
	AgeAllowed  AgeStatus = "allowed"   // old enough when checked; the date was discarded
	AgeUnderAge AgeStatus = "under_age" // under the age gate when checked; the date is kept
)

// Contact is everything the service keeps about a person for customer
// matching, after data minimisation:
//
//   - no plain e-mail address or phone number, only their customer-match
//     hashes (EmailSHA256 under EmailRules; PhoneSHA256 of the E.164
//     number), which is what the ad platform receives and what a removal
//     needs;
//   - the consent signals and their time;
//   - the opt-out flag;
//   - of the date of birth, only the age gate's answer and when it was
//     checked — except for a person under the age gate, whose date of
//     birth is kept so that they stay off customer lists until they are
//     old enough (a person never becomes younger, so "allowed" needs no
//     date).
type Contact struct {
	Account      string
	EmailSHA256  string
	PhoneSHA256  string
	EmailRules   custmatch.EmailRules
	Country      string
	Consent      custmatch.Consent
	OptedOut     bool
	AgeStatus    AgeStatus
	BirthDate    time.Time
	AgeCheckedAt time.Time
	UpdatedAt    time.Time
}

// Pseudonym is a keyed pseudonym the service derived for an account and
// keeps, for one purpose (for example "ads-contact-id"). Pseudonymised
// data is still personal data: it is exported and erased with the rest.
type Pseudonym struct {
	Account   string
	Purpose   string
	Value     string
	CreatedAt time.Time
}

// PendingRemoval is a contact's hashes kept, after the contact was erased
// or the hashes were replaced or deleted by a correction, only until the
// next customer-match upload sends their removal. It no longer names the
// account. An empty hash means that identifier is not to be removed.
type PendingRemoval struct {
	ID          string
	EmailSHA256 string
	PhoneSHA256 string
	EmailRules  custmatch.EmailRules
	Reason      custmatch.Reason
	CreatedAt   time.Time
}

// ErasedCounts says what ContactStore.EraseAccount deleted.
type ErasedCounts struct {
	Contacts   int // 0 or 1
	Pseudonyms int
	// QueuedRemoval is true when the contact had hashes, now queued as a
	// PendingRemoval.
	QueuedRemoval bool
}

// ContactStore keeps contacts, pseudonyms and pending customer-match
// removals. See the package documentation for the contract every method
// keeps.
type ContactStore interface {
	// GetContact returns the account's contact record, and false when
	// there is none.
	GetContact(ctx context.Context, account string) (Contact, bool, error)
	// PutContact creates or replaces the account's contact record as
	// it is. It queues nothing for removal: UpdateContact is for changing
	// a record whose hashes may have been uploaded.
	PutContact(ctx context.Context, c Contact) error
	// UpdateContact reads the account's contact record (exists is false
	// when there is none), passes it to fn and stores the record fn
	// returns, in one transaction: no other write to the contact comes
	// between the read and the write, so concurrent updates do not lose
	// each other's changes and an update racing EraseAccount either
	// comes first (and is erased) or starts from no record (and brings
	// none of the erased data back). When the stored record had an
	// e-mail or phone hash that fn's record changes or clears, the old
	// hash is queued as a PendingRemoval (reason custmatch.ReasonReplaced)
	// in the same transaction, since customer lists do not expire. An
	// error from fn aborts the update and is returned as is. fn may be
	// called more than once and must have no side effects; the record it
	// returns must have the same Account.
	UpdateContact(ctx context.Context, account string, now time.Time, fn func(old Contact, exists bool) (Contact, error)) (Contact, error)
	// ListContacts returns every contact record, in account order.
	ListContacts(ctx context.Context) ([]Contact, error)
	// PutPseudonym creates or replaces the account's pseudonym for
	// p.Purpose.
	PutPseudonym(ctx context.Context, p Pseudonym) error
	// ListPseudonyms returns the account's pseudonyms in purpose order.
	ListPseudonyms(ctx context.Context, account string) ([]Pseudonym, error)
	// EraseAccount deletes the account's contact record and pseudonyms
	// and, when the contact had hashes, queues them as a PendingRemoval
	// (reason custmatch.ReasonErased), in one transaction. An unknown
	// account erases nothing.
	EraseAccount(ctx context.Context, account string, now time.Time) (ErasedCounts, error)
	// PendingRemovals returns the queued removals, oldest first.
	PendingRemovals(ctx context.Context) ([]PendingRemoval, error)
	// AckRemovals deletes the queued removals with these ids, once their
	// removal was handed over for upload. Unknown ids are ignored.
	AckRemovals(ctx context.Context, ids []string) error
}
