package privacy

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy/agegate"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/driver"
	"github.com/picfre/picfre/retention"
)

// Subjects answers data subjects' requests — access (Export),
// rectification (Correct) and erasure (Erase) — over everything picfre
// holds about an account: the credit ledger's top-ups, usage records and
// balance, the job service's job records, and the contact store's
// contact, consent and pseudonyms. It
// also builds customer-match uploads from what is stored.
//
// Set the fields before first use and do not change them after; a
// Subjects is then safe for concurrent use.
type Subjects struct {
	// Contacts keeps contacts, pseudonyms and pending customer-match
	// removals: (*store.DB).Contacts, or a store from
	// privacy/contactstore. Required.
	Contacts driver.ContactStore
	// Ledger is the credit ledger: (*store.DB).Ledger, or
	// metering.NewLedger over a store; nil when the service keeps none.
	Ledger *metering.Ledger
	// Retention is the retention policy the service applies; the export
	// states what is kept and until when from it.
	Retention retention.Policy
	// Rules hash e-mail addresses; custmatch.DefaultEmailRules when
	// empty.
	Rules custmatch.EmailRules
	// Jobs is the job service, (*jobs.Service): Export lists its job
	// records and Erase deletes them with their content and results; nil
	// when the service runs no jobs.
	Jobs JobStore
	// AgeGate checks dates of birth.
	AgeGate agegate.Gate
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
}

func (s *Subjects) now() time.Time {
	if s.Clock == nil {
		return metering.Normalize(time.Now())
	}
	return metering.Normalize(s.Clock())
}

func (s *Subjects) rules() custmatch.EmailRules {
	if s.Rules == "" {
		return custmatch.DefaultEmailRules
	}
	return s.Rules
}

// check validates the account and the Subjects' configuration.
func (s *Subjects) check(account string) error {
	if account == "" || len(account) > metering.MaxIDLen || !utf8.ValidString(account) {
		return ErrInvalidAccount
	}
	if s.Contacts == nil {
		return errNoContacts
	}
	return nil
}

// Correction changes what is held about a person. A nil field is left as
// it is; an empty Email or Phone deletes it.
type Correction struct {
	Email   *string
	Phone   *string
	Country *string
	// AdUserData and AdPersonalization set the consent signals, EEA
	// whether consent is required where the person is.
	AdUserData        *custmatch.ConsentState
	AdPersonalization *custmatch.ConsentState
	EEA               *bool
	OptedOut          *bool
	// BirthDate is checked against the age gate at once; only an
	// under-age date is kept (see ExportContact.BirthDate). The zero time
	// forgets the date and the age status.
	BirthDate *time.Time
}

// Correct records or corrects the account's contact and consent: plain
// addresses are normalized and hashed at once and never stored. It
// returns the contact as Export shows it. Invalid input (an address or
// number that cannot be normalized, a birth date in the future) changes
// nothing and gives custmatch's or agegate's error, code InvalidArgument.
//
// The read and the write are one transaction of the contact store, so
// that concurrent corrections do not undo each other (an opt-out is never
// lost) and a correction racing Erase cannot bring erased data back: it
// either lands first and is erased, or starts from no record. When the
// e-mail address or phone number changes or is deleted, the old hash is
// queued for removal from customer lists in the same transaction.
func (s *Subjects) Correct(ctx context.Context, account string, c Correction) (*ExportContact, error) {
	if err := s.check(account); err != nil {
		return nil, err
	}
	now := s.now()
	var invalid error // the correction's own error, returned as is
	rec, err := s.Contacts.UpdateContact(ctx, account, now, func(rec driver.Contact, ok bool) (driver.Contact, error) {
		if !ok {
			rec = driver.Contact{Account: account, AgeStatus: driver.AgeUnknown, EmailRules: s.rules()}
		}
		rec, invalid = s.apply(rec, c, now)
		return rec, invalid
	})
	switch {
	case invalid != nil:
		return nil, invalid
	case err != nil:
		return nil, wrap("correct", err)
	}
	return exportContact(rec), nil
}

// apply returns rec with the correction applied; it has no side effects.
func (s *Subjects) apply(rec driver.Contact, c Correction, now time.Time) (driver.Contact, error) {
	var err error
	if c.Country != nil {
		rec.Country = normCountry(*c.Country)
	}
	if c.Email != nil {
		rec.EmailSHA256, rec.EmailRules = "", s.rules()
		if *c.Email != "" {
			if rec.EmailSHA256, err = s.rules().Hash(*c.Email); err != nil {
				return driver.Contact{}, err
			}
		}
	}
	if c.Phone != nil {
		rec.PhoneSHA256 = ""
		if *c.Phone != "" {
			if rec.PhoneSHA256, err = custmatch.HashPhone(*c.Phone, rec.Country); err != nil {
				return driver.Contact{}, err
			}
		}
	}
	if c.AdUserData != nil || c.AdPersonalization != nil || c.EEA != nil {
		if c.AdUserData != nil {
			rec.Consent.AdUserData = *c.AdUserData
		}
		if c.AdPersonalization != nil {
			rec.Consent.AdPersonalization = *c.AdPersonalization
		}
		if c.EEA != nil {
			rec.Consent.EEA = *c.EEA
		}
		rec.Consent.UpdatedAt = now
	}
	if c.OptedOut != nil {
		rec.OptedOut = *c.OptedOut
	}
	if c.BirthDate != nil {
		rec.BirthDate, rec.AgeStatus, rec.AgeCheckedAt = time.Time{}, driver.AgeUnknown, time.Time{}
		if b := *c.BirthDate; !b.IsZero() {
			allowed, err := s.AgeGate.Allowed(b, rec.Country, now)
			if err != nil {
				return driver.Contact{}, err
			}
			rec.AgeCheckedAt, rec.AgeStatus = now, driver.AgeAllowed
			if !allowed {
				y, m, d := b.Date()
				rec.AgeStatus, rec.BirthDate = driver.AgeUnderAge, time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			}
		}
	}
	rec.UpdatedAt = now
	return rec, nil
}

// Pseudonym is a keyed pseudonym the service keeps for an account, for
// one purpose. Pseudonymised data is still personal data: Export lists
// it and Erase deletes it.
type Pseudonym struct {
	// Purpose names what the pseudonym is for, for example
	// "ads-contact-id"; one pseudonym is kept per purpose.
	Purpose string
	// Value is the pseudonym, for example from
	// pseudonym.Keyring.Pseudonym.
	Value string
}

// KeepPseudonym records that the service keeps p for the account,
// replacing the one kept for p.Purpose, so that Export lists it and Erase
// deletes it. An empty purpose or value, or one longer than
// metering.MaxIDLen, is an error with code InvalidArgument.
func (s *Subjects) KeepPseudonym(ctx context.Context, account string, p Pseudonym) error {
	if err := s.check(account); err != nil {
		return err
	}
	if p.Purpose == "" || p.Value == "" || len(p.Purpose) > metering.MaxIDLen || len(p.Value) > metering.MaxIDLen {
		return errcode.Errorf(errcode.InvalidArgument, "privacy: keep pseudonym: purpose and value must be 1 to %d bytes", metering.MaxIDLen)
	}
	err := s.Contacts.PutPseudonym(ctx, driver.Pseudonym{Account: account, Purpose: p.Purpose, Value: p.Value, CreatedAt: s.now()})
	if err != nil {
		return wrap("keep pseudonym", err)
	}
	return nil
}

// ErasureReport says what an erasure deleted and what it kept, and why.
type ErasureReport struct {
	Account  string    `json:"account"`
	ErasedAt time.Time `json:"erased_at"`
	// Deleted counts the records deleted, by kind (retention.KindUsage,
	// KindAttempt, KindJob, KindContact, KindPseudonym); every kind is
	// present.
	Deleted map[retention.Kind]int `json:"deleted"`
	// Kept lists what the law requires to keep, with the reason and
	// until when.
	Kept []Retained `json:"kept"`
	// PendingRemoval is true when the contact's hashes were queued for
	// removal from the ad platform's lists; they are deleted once the
	// next customer-match upload has taken them (see CustomerMatch).
	PendingRemoval bool `json:"pending_removal"`
	// Notes say what the erasure means for the account's later use, such
	// as NoteRebilled.
	Notes []string `json:"notes"`
}

// NoteRebilled is the erasure report's note that erased usage records
// cannot stop a second charge.
const NoteRebilled = "the records of which files were processed for you are deleted, " +
	"so files sent again are charged again, as new work"

// Erase deletes what may be deleted about the account — its jobs (canceled
// first, then their content, held results and records), usage records
// (their debits folded into the balance rollup, so the balance does not
// change) and the records of uncharged attempts, the contact record and
// consent, pseudonyms — and keeps what the law requires: top-ups, refunds
// and adjustments, and the balance. With the usage records go their
// idempotency keys: a later run over the same files is billed again
// (the report says so, NoteRebilled). The contact's hashes are queued for
// removal from customer lists first (lists do not expire). An account
// under a legal hold is refused with an error matching
// metering.ErrLegalHold, and nothing is deleted. Erasing twice is
// harmless.
func (s *Subjects) Erase(ctx context.Context, account string) (ErasureReport, error) {
	if err := s.check(account); err != nil {
		return ErasureReport{}, err
	}
	now := s.now()
	r := ErasureReport{Account: account, ErasedAt: now, Kept: []Retained{}, Notes: []string{},
		Deleted: map[retention.Kind]int{retention.KindUsage: 0, retention.KindAttempt: 0, retention.KindJob: 0,
			retention.KindContact: 0, retention.KindPseudonym: 0}}
	if l := s.Ledger; l != nil && s.Jobs != nil {
		// The jobs go before the ledger's records, so that no job goes on
		// being charged after them; a held account is refused first.
		held, err := l.LegalHold(ctx, account)
		if err != nil {
			return ErasureReport{}, wrap("erase", err)
		}
		if held {
			return ErasureReport{}, wrap("erase", metering.ErrLegalHold)
		}
	}
	if s.Jobs != nil {
		n, err := s.Jobs.EraseAccount(ctx, account)
		if err != nil {
			return ErasureReport{}, wrap("erase", err)
		}
		r.Deleted[retention.KindJob] = n
	}
	// The ledger refuses a held account atomically, before anything of
	// its own is deleted.
	if l := s.Ledger; l != nil {
		// Count the settled attempts EraseUsage deletes (holds being
		// processed are kept until they settle).
		attempts, err := l.Attempts(ctx, account)
		if err != nil {
			return ErasureReport{}, wrap("erase", err)
		}
		n, err := l.EraseUsage(ctx, account)
		if err != nil {
			return ErasureReport{}, wrap("erase", err)
		}
		r.Deleted[retention.KindUsage] = n
		for _, a := range attempts {
			if a.State != metering.AttemptHeld {
				r.Deleted[retention.KindAttempt]++
			}
		}
		r.Notes = append(r.Notes, NoteRebilled)
	}
	counts, err := s.Contacts.EraseAccount(ctx, account, now)
	if err != nil {
		return ErasureReport{}, wrap("erase", err)
	}
	r.Deleted[retention.KindContact], r.Deleted[retention.KindPseudonym] = counts.Contacts, counts.Pseudonyms
	r.PendingRemoval = counts.QueuedRemoval
	x, err := s.export(ctx, account, now)
	if err != nil {
		return ErasureReport{}, wrap("erase", err)
	}
	r.Kept = x.Retained
	return r, nil
}

// CustomerMatch builds an upload from the stored contacts and the queued
// removals of erased contacts and of replaced or deleted hashes, with b's
// consent and age rules. When b has no AgeGate (the zero value), the
// Subjects' AgeGate applies. A contact Correct found under age is always
// excluded and removed, whatever b's gate says; the verdict stands until
// a new check (Correct with the birth date) finds the person old enough.
// The stored hashes are used as they are, so that a removal matches what
// was once uploaded; Upload.EmailRules is the Subjects' rules.
//
// It returns the ids of the queued removals, all of them in
// Upload.Removes: once the removals are handed over for upload, pass the
// ids to AckRemovals so that the hashes are forgotten.
func (s *Subjects) CustomerMatch(ctx context.Context, b custmatch.Builder) (custmatch.Upload, []string, error) {
	if s.Contacts == nil {
		return custmatch.Upload{}, nil, errNoContacts
	}
	b.Rules = s.rules()
	if b.AgeGate.Default == 0 && b.AgeGate.ByCountry == nil {
		b.AgeGate = s.AgeGate
	}
	now := s.now()
	recs, err := s.Contacts.ListContacts(ctx)
	if err != nil {
		return custmatch.Upload{}, nil, wrap("customer match", err)
	}
	pending, err := s.Contacts.PendingRemovals(ctx)
	if err != nil {
		return custmatch.Upload{}, nil, wrap("customer match", err)
	}
	contacts := make([]custmatch.Contact, 0, len(recs)+len(pending))
	for _, r := range recs {
		c := custmatch.Contact{ID: r.Account, Consent: r.Consent, OptedOut: r.OptedOut, Country: r.Country,
			EmailSHA256: r.EmailSHA256, PhoneSHA256: r.PhoneSHA256}
		if r.AgeStatus == driver.AgeUnderAge {
			c.BirthDate, c.UnderAge = r.BirthDate, true
		}
		contacts = append(contacts, c)
	}
	var ids []string
	reasons := map[string]custmatch.Reason{}
	for _, p := range pending {
		id := "removal:" + p.ID
		contacts = append(contacts, custmatch.Contact{ID: id, Erased: true,
			EmailSHA256: p.EmailSHA256, PhoneSHA256: p.PhoneSHA256})
		ids = append(ids, p.ID)
		if p.Reason != "" {
			reasons[id] = p.Reason
		}
	}
	up, err := b.Build(slices.Values(contacts), now)
	for i, x := range up.Excluded {
		if r, ok := reasons[x.ContactID]; ok && x.Reason == custmatch.ReasonErased {
			up.Excluded[i].Reason = r
		}
	}
	return up, ids, err
}

// AckRemovals forgets the queued removals with these ids (from
// CustomerMatch) once their removal was handed over for upload. Unknown
// ids are ignored, so acknowledging twice is harmless.
func (s *Subjects) AckRemovals(ctx context.Context, ids []string) error {
	if s.Contacts == nil {
		return errNoContacts
	}
	if err := s.Contacts.AckRemovals(ctx, ids); err != nil {
		return wrap("ack removals", err)
	}
	return nil
}

// normCountry upper-cases and trims an ISO 3166-1 alpha-2 code.
func normCountry(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
