package privacy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// AgeStatus is what the service keeps of an age check.
type AgeStatus string

// Age statuses. Only AgeUnderAge keeps a birth date (see ContactRecord).
const (
	AgeUnknown  AgeStatus = "unknown"   // no date of birth given
	AgeAllowed  AgeStatus = "allowed"   // old enough when checked; the date was discarded
	AgeUnderAge AgeStatus = "under_age" // under the age gate when checked; the date is kept
)

// ContactRecord is everything the service keeps about a person for
// customer matching, after data minimisation:
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
type ContactRecord struct {
	Account      string
	EmailSHA256  string
	PhoneSHA256  string
	EmailRules   EmailRules
	Country      string
	Consent      Consent
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
	EmailRules  EmailRules
	Reason      Reason
	CreatedAt   time.Time
}

// ErasedCounts says what Store.EraseAccount deleted.
type ErasedCounts struct {
	Contacts   int // 0 or 1
	Pseudonyms int
	// QueuedRemoval is true when the contact had hashes, now queued as a
	// PendingRemoval.
	QueuedRemoval bool
}

// Store keeps the personal data of the privacy tools beyond the credit
// ledger: contacts, pseudonyms and pending customer-match removals.
// [NewMemStore] and [OpenSQLStore] (SQLite or PostgreSQL) implement it.
//
// Implementations are safe for concurrent use; each method is atomic.
// Times come from the caller.
type Store interface {
	// GetContact returns the account's contact record, and false when
	// there is none.
	GetContact(ctx context.Context, account string) (ContactRecord, bool, error)
	// PutContact creates or replaces the account's contact record as
	// it is. It queues nothing for removal: use UpdateContact to change
	// a record whose hashes may have been uploaded.
	PutContact(ctx context.Context, c ContactRecord) error
	// UpdateContact reads the account's contact record (exists is false
	// when there is none), passes it to fn and stores the record fn
	// returns, in one transaction: no other write to the contact comes
	// between the read and the write, so concurrent updates do not lose
	// each other's changes and an update racing EraseAccount either
	// comes first (and is erased) or starts from no record (and brings
	// none of the erased data back). When the stored record had an
	// e-mail or phone hash that fn's record changes or clears, the old
	// hash is queued as a PendingRemoval (reason ReasonReplaced) in the
	// same transaction, since customer lists do not expire. An error
	// from fn aborts the update and is returned as is. fn may be called
	// more than once and must have no side effects; the record it returns
	// must have the same Account.
	UpdateContact(ctx context.Context, account string, now time.Time, fn func(old ContactRecord, exists bool) (ContactRecord, error)) (ContactRecord, error)
	// ListContacts returns every contact record, in account order.
	ListContacts(ctx context.Context) ([]ContactRecord, error)
	// PutPseudonym creates or replaces the account's pseudonym for
	// p.Purpose.
	PutPseudonym(ctx context.Context, p Pseudonym) error
	// ListPseudonyms returns the account's pseudonyms in purpose order.
	ListPseudonyms(ctx context.Context, account string) ([]Pseudonym, error)
	// EraseAccount deletes the account's contact record and pseudonyms
	// and, when the contact had hashes, queues them as a PendingRemoval
	// (reason ReasonErased), in one transaction. An unknown account
	// erases nothing.
	EraseAccount(ctx context.Context, account string, now time.Time) (ErasedCounts, error)
	// PendingRemovals returns the queued removals, oldest first.
	PendingRemovals(ctx context.Context) ([]PendingRemoval, error)
	// AckRemovals deletes the queued removals with these ids, once their
	// removal was handed over for upload. Unknown ids are ignored.
	AckRemovals(ctx context.Context, ids []string) error
}

func newRemovalID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// MemStore is an in-memory Store for tests and single-process programs.
// It is safe for concurrent use.
type MemStore struct {
	mu         sync.Mutex
	contacts   map[string]ContactRecord
	pseudonyms map[string]map[string]Pseudonym
	removals   []PendingRemoval
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{contacts: map[string]ContactRecord{}, pseudonyms: map[string]map[string]Pseudonym{}}
}

// GetContact implements Store.
func (m *MemStore) GetContact(ctx context.Context, account string) (ContactRecord, bool, error) {
	if err := ctx.Err(); err != nil {
		return ContactRecord{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.contacts[account]
	return c, ok, nil
}

// PutContact implements Store.
func (m *MemStore) PutContact(ctx context.Context, c ContactRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.contacts[c.Account] = c
	return nil
}

// ListContacts implements Store.
func (m *MemStore) ListContacts(ctx context.Context) ([]ContactRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ContactRecord
	for _, k := range slices.Sorted(maps.Keys(m.contacts)) {
		out = append(out, m.contacts[k])
	}
	return out, nil
}

// PutPseudonym implements Store.
func (m *MemStore) PutPseudonym(ctx context.Context, p Pseudonym) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pseudonyms[p.Account] == nil {
		m.pseudonyms[p.Account] = map[string]Pseudonym{}
	}
	m.pseudonyms[p.Account][p.Purpose] = p
	return nil
}

// ListPseudonyms implements Store.
func (m *MemStore) ListPseudonyms(ctx context.Context, account string) ([]Pseudonym, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Pseudonym
	for _, k := range slices.Sorted(maps.Keys(m.pseudonyms[account])) {
		out = append(out, m.pseudonyms[account][k])
	}
	return out, nil
}

// EraseAccount implements Store.
func (m *MemStore) EraseAccount(ctx context.Context, account string, now time.Time) (ErasedCounts, error) {
	if err := ctx.Err(); err != nil {
		return ErasedCounts{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var n ErasedCounts
	if c, ok := m.contacts[account]; ok {
		n.Contacts = 1
		delete(m.contacts, account)
		if c.EmailSHA256 != "" || c.PhoneSHA256 != "" {
			m.removals = append(m.removals, PendingRemoval{ID: newRemovalID(), EmailSHA256: c.EmailSHA256,
				PhoneSHA256: c.PhoneSHA256, EmailRules: c.EmailRules, Reason: ReasonErased, CreatedAt: now})
			n.QueuedRemoval = true
		}
	}
	n.Pseudonyms = len(m.pseudonyms[account])
	delete(m.pseudonyms, account)
	return n, nil
}

// UpdateContact implements Store.
func (m *MemStore) UpdateContact(ctx context.Context, account string, now time.Time, fn func(ContactRecord, bool) (ContactRecord, error)) (ContactRecord, error) {
	if err := ctx.Err(); err != nil {
		return ContactRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.contacts[account]
	rec, err := fn(old, ok)
	if err != nil {
		return ContactRecord{}, err
	}
	if rec.Account != account {
		return ContactRecord{}, errAccountChanged
	}
	if r, ok := replaced(old, ok, rec, now); ok {
		m.removals = append(m.removals, r)
	}
	m.contacts[account] = rec
	return rec, nil
}

// errAccountChanged: an UpdateContact callback returned another account's
// record.
var errAccountChanged = errors.New("privacy: update changed the contact's account")

// replaced returns the removal to queue when new no longer has a hash old
// had, and false when there is none.
func replaced(old ContactRecord, exists bool, new ContactRecord, now time.Time) (PendingRemoval, bool) {
	if !exists {
		return PendingRemoval{}, false
	}
	r := PendingRemoval{ID: newRemovalID(), Reason: ReasonReplaced, CreatedAt: now}
	if old.EmailSHA256 != "" && old.EmailSHA256 != new.EmailSHA256 {
		r.EmailSHA256, r.EmailRules = old.EmailSHA256, old.EmailRules
	}
	if old.PhoneSHA256 != "" && old.PhoneSHA256 != new.PhoneSHA256 {
		r.PhoneSHA256 = old.PhoneSHA256
	}
	return r, r.EmailSHA256 != "" || r.PhoneSHA256 != ""
}

// PendingRemovals implements Store.
func (m *MemStore) PendingRemovals(ctx context.Context) ([]PendingRemoval, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.removals), nil
}

// AckRemovals implements Store.
func (m *MemStore) AckRemovals(ctx context.Context, ids []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removals = slices.DeleteFunc(m.removals, func(r PendingRemoval) bool { return slices.Contains(ids, r.ID) })
	return nil
}

// normCountry upper-cases and trims an ISO 3166-1 alpha-2 code.
func normCountry(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
