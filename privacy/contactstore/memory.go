package contactstore

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/driver"
)

// memory is the in-memory store.
type memory struct {
	mu         sync.Mutex
	contacts   map[string]driver.Contact
	pseudonyms map[string]map[string]driver.Pseudonym
	removals   []driver.PendingRemoval
}

// NewMemory returns an empty contact store that keeps everything in
// memory, for tests and single-process programs. What it holds is lost
// when the process ends. Hand it to privacy.Subjects.
func NewMemory() driver.ContactStore {
	return &memory{contacts: map[string]driver.Contact{}, pseudonyms: map[string]map[string]driver.Pseudonym{}}
}

// GetContact implements driver.ContactStore.
func (m *memory) GetContact(ctx context.Context, account string) (driver.Contact, bool, error) {
	if err := ctx.Err(); err != nil {
		return driver.Contact{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.contacts[account]
	return c, ok, nil
}

// PutContact implements driver.ContactStore.
func (m *memory) PutContact(ctx context.Context, c driver.Contact) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.contacts[c.Account] = c
	return nil
}

// ListContacts implements driver.ContactStore.
func (m *memory) ListContacts(ctx context.Context) ([]driver.Contact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []driver.Contact
	for _, k := range slices.Sorted(maps.Keys(m.contacts)) {
		out = append(out, m.contacts[k])
	}
	return out, nil
}

// PutPseudonym implements driver.ContactStore.
func (m *memory) PutPseudonym(ctx context.Context, p driver.Pseudonym) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pseudonyms[p.Account] == nil {
		m.pseudonyms[p.Account] = map[string]driver.Pseudonym{}
	}
	m.pseudonyms[p.Account][p.Purpose] = p
	return nil
}

// ListPseudonyms implements driver.ContactStore.
func (m *memory) ListPseudonyms(ctx context.Context, account string) ([]driver.Pseudonym, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []driver.Pseudonym
	for _, k := range slices.Sorted(maps.Keys(m.pseudonyms[account])) {
		out = append(out, m.pseudonyms[account][k])
	}
	return out, nil
}

// EraseAccount implements driver.ContactStore.
func (m *memory) EraseAccount(ctx context.Context, account string, now time.Time) (driver.ErasedCounts, error) {
	if err := ctx.Err(); err != nil {
		return driver.ErasedCounts{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var n driver.ErasedCounts
	if c, ok := m.contacts[account]; ok {
		n.Contacts = 1
		delete(m.contacts, account)
		if c.EmailSHA256 != "" || c.PhoneSHA256 != "" {
			m.removals = append(m.removals, driver.PendingRemoval{ID: newRemovalID(), EmailSHA256: c.EmailSHA256,
				PhoneSHA256: c.PhoneSHA256, EmailRules: c.EmailRules, Reason: custmatch.ReasonErased, CreatedAt: now})
			n.QueuedRemoval = true
		}
	}
	n.Pseudonyms = len(m.pseudonyms[account])
	delete(m.pseudonyms, account)
	return n, nil
}

// UpdateContact implements driver.ContactStore.
func (m *memory) UpdateContact(ctx context.Context, account string, now time.Time, fn func(driver.Contact, bool) (driver.Contact, error)) (driver.Contact, error) {
	if err := ctx.Err(); err != nil {
		return driver.Contact{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.contacts[account]
	rec, err := fn(old, ok)
	if err != nil {
		return driver.Contact{}, err
	}
	if rec.Account != account {
		return driver.Contact{}, errAccountChanged
	}
	if r, ok := replaced(old, ok, rec, now); ok {
		m.removals = append(m.removals, r)
	}
	m.contacts[account] = rec
	return rec, nil
}

// PendingRemovals implements driver.ContactStore.
func (m *memory) PendingRemovals(ctx context.Context) ([]driver.PendingRemoval, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.removals), nil
}

// AckRemovals implements driver.ContactStore.
func (m *memory) AckRemovals(ctx context.Context, ids []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removals = slices.DeleteFunc(m.removals, func(r driver.PendingRemoval) bool { return slices.Contains(ids, r.ID) })
	return nil
}
