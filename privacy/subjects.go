package privacy

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/picfre/picfre/errcode"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/retention"
)

// ExportVersion is the version of the export format; it changes when a
// field changes meaning or is removed (new fields may be added).
const ExportVersion = "picfre.export/v1"

// ErrInvalidAccount: the account identifier is empty, too long or not
// UTF-8.
var ErrInvalidAccount = errcode.New(errcode.InvalidArgument, "privacy: invalid account")

// Subjects answers data subjects' requests — access (Export),
// rectification (Correct) and erasure (Erase) — over everything picfre
// holds about an account: the credit ledger's top-ups, usage records and
// balance, and the privacy Store's contact, consent and pseudonyms. It
// also builds customer-match uploads from what is stored.
//
// Set the fields before first use and do not change them after; a
// Subjects is then safe for concurrent use.
type Subjects struct {
	// Store keeps contacts, pseudonyms and pending removals. Required.
	Store Store
	// Ledger is the credit ledger; nil when the service keeps no ledger.
	Ledger *metering.Ledger
	// Retention is the retention policy, for the statement of what is
	// kept and until when.
	Retention retention.Policy
	// Rules hash e-mail addresses; DefaultEmailRules when empty.
	Rules EmailRules
	// AgeGate checks dates of birth.
	AgeGate AgeGate
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
}

func (s *Subjects) now() time.Time {
	if s.Clock == nil {
		return metering.Normalize(time.Now())
	}
	return metering.Normalize(s.Clock())
}

func (s *Subjects) rules() EmailRules {
	if s.Rules == "" {
		return DefaultEmailRules
	}
	return s.Rules
}

func checkAccount(a string) error {
	if a == "" || len(a) > metering.MaxIDLen {
		return ErrInvalidAccount
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
	AdUserData        *ConsentState
	AdPersonalization *ConsentState
	EEA               *bool
	OptedOut          *bool
	// BirthDate is checked against the age gate at once; only an
	// under-age date is kept (see ContactRecord). The zero time forgets
	// the date and the age status.
	BirthDate *time.Time
}

// Correct records or corrects the account's contact and consent: plain
// addresses are normalized and hashed at once and never stored. It
// returns the record as stored. Invalid input (an address or number that
// cannot be normalized, a birth date in the future) changes nothing.
//
// The read and the write are one Store.UpdateContact transaction, so that
// concurrent corrections do not undo each other (an opt-out is never
// lost) and a correction racing Erase cannot bring erased data back: it
// either lands first and is erased, or starts from no record. When the
// e-mail address or phone number changes or is deleted, the old hash is
// queued for removal from customer lists in the same transaction.
func (s *Subjects) Correct(ctx context.Context, account string, c Correction) (ContactRecord, error) {
	if err := checkAccount(account); err != nil {
		return ContactRecord{}, err
	}
	now := s.now()
	var invalid error // the correction's own error, returned as is
	rec, err := s.Store.UpdateContact(ctx, account, now, func(rec ContactRecord, ok bool) (ContactRecord, error) {
		if !ok {
			rec = ContactRecord{Account: account, AgeStatus: AgeUnknown, EmailRules: s.rules()}
		}
		rec, invalid = s.apply(rec, c, now)
		return rec, invalid
	})
	switch {
	case invalid != nil:
		return ContactRecord{}, invalid
	case err != nil:
		return ContactRecord{}, fmt.Errorf("privacy: correct: %w", err)
	}
	return rec, nil
}

// apply returns rec with the correction applied; it has no side effects.
func (s *Subjects) apply(rec ContactRecord, c Correction, now time.Time) (ContactRecord, error) {
	var err error
	if c.Country != nil {
		rec.Country = normCountry(*c.Country)
	}
	if c.Email != nil {
		rec.EmailSHA256, rec.EmailRules = "", s.rules()
		if *c.Email != "" {
			if rec.EmailSHA256, err = s.rules().Hash(*c.Email); err != nil {
				return ContactRecord{}, err
			}
		}
	}
	if c.Phone != nil {
		rec.PhoneSHA256 = ""
		if *c.Phone != "" {
			if rec.PhoneSHA256, err = HashPhone(*c.Phone, rec.Country); err != nil {
				return ContactRecord{}, err
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
		rec.BirthDate, rec.AgeStatus, rec.AgeCheckedAt = time.Time{}, AgeUnknown, time.Time{}
		if b := *c.BirthDate; !b.IsZero() {
			allowed, err := s.AgeGate.Allowed(b, rec.Country, now)
			if err != nil {
				return ContactRecord{}, err
			}
			rec.AgeCheckedAt, rec.AgeStatus = now, AgeAllowed
			if !allowed {
				y, m, d := b.Date()
				rec.AgeStatus, rec.BirthDate = AgeUnderAge, time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			}
		}
	}
	rec.UpdatedAt = now
	return rec, nil
}

// Export is everything held about one account, as versioned JSON.
type Export struct {
	Version     string    `json:"version"`
	Account     string    `json:"account"`
	GeneratedAt time.Time `json:"generated_at"`
	// LegalHold is true when the account's records are kept beyond their
	// periods because of a legal hold.
	LegalHold bool           `json:"legal_hold"`
	Balance   *ExportBalance `json:"balance,omitempty"`
	TopUps    []ExportTopUp  `json:"topups"`
	Credits   []ExportEntry  `json:"refunds_and_adjustments"`
	Usage     []ExportUsage  `json:"usage"`
	// Attempts are the holds of files that were not charged — failed,
	// abandoned, or being processed at export time — that the ledger
	// still keeps.
	Attempts []ExportAttempt `json:"attempts"`
	Purged   *ExportPurged   `json:"purged_usage,omitempty"`
	// PurgedTopUps is the sum of top-ups deleted after their retention
	// period, kept so that the history adds up to the balance.
	PurgedTopUps *ExportPurged   `json:"purged_topups,omitempty"`
	Contact      *ExportContact  `json:"contact,omitempty"`
	Pseudonym    []ExportPseudo  `json:"pseudonyms"`
	Retained     []Retained      `json:"retention"`
	NotStored    []ExportNoStore `json:"not_stored"`
}

// ExportBalance is the account's balance at export time.
type ExportBalance struct {
	Credits   int64 `json:"credits"`
	Held      int64 `json:"held"`
	Available int64 `json:"available"`
}

// ExportTopUp is one purchase of credits.
type ExportTopUp struct {
	Seq        int64     `json:"seq"`
	Credits    int64     `json:"credits"`
	PaymentRef string    `json:"payment_ref"`
	Time       time.Time `json:"time"`
}

// ExportEntry is a refund or an adjustment.
type ExportEntry struct {
	Seq     int64     `json:"seq"`
	Kind    string    `json:"kind"`
	Credits int64     `json:"credits"`
	Ref     string    `json:"ref"`
	Reason  string    `json:"reason,omitempty"`
	Time    time.Time `json:"time"`
}

// ExportUsage is one processed file's usage record.
type ExportUsage struct {
	File           string    `json:"file"`
	Time           time.Time `json:"time"`
	Task           string    `json:"task,omitempty"`
	MediaType      string    `json:"media_type,omitempty"`
	Credits        int64     `json:"credits"`
	Provider       string    `json:"provider,omitempty"`
	Model          string    `json:"model,omitempty"`
	InputTokens    int64     `json:"input_tokens,omitempty"`
	OutputTokens   int64     `json:"output_tokens,omitempty"`
	IdempotencyKey string    `json:"idempotency_key"`
	KeptUntil      time.Time `json:"kept_until"`
}

// ExportAttempt is a hold the ledger keeps for a file that was not
// charged. It names no file.
type ExportAttempt struct {
	Time      time.Time `json:"time"`
	Task      string    `json:"task,omitempty"`
	MediaType string    `json:"media_type,omitempty"`
	// State is "held" (being processed), "voided" (failed and released)
	// or "expired" (abandoned; the hold ran out).
	State          string    `json:"state"`
	Credits        int64     `json:"credits_held"`
	IdempotencyKey string    `json:"idempotency_key"`
	KeptUntil      time.Time `json:"kept_until"`
}

// ExportPurged is the sum of usage records already deleted, kept so that
// the history adds up to the balance.
type ExportPurged struct {
	Credits int64     `json:"credits"`
	Through time.Time `json:"through"`
}

// ExportContact is the stored contact record.
type ExportContact struct {
	EmailSHA256       string     `json:"email_sha256,omitempty"`
	PhoneSHA256       string     `json:"phone_sha256,omitempty"`
	EmailRules        string     `json:"email_rules,omitempty"`
	Country           string     `json:"country,omitempty"`
	AdUserData        string     `json:"ad_user_data"`
	AdPersonalization string     `json:"ad_personalization"`
	EEA               bool       `json:"eea"`
	ConsentUpdatedAt  *time.Time `json:"consent_updated_at,omitempty"`
	OptedOut          bool       `json:"opted_out"`
	AgeStatus         string     `json:"age_status"`
	BirthDate         string     `json:"birth_date,omitempty"`
	AgeCheckedAt      *time.Time `json:"age_checked_at,omitempty"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// ExportPseudo is a stored pseudonym.
type ExportPseudo struct {
	Purpose   string    `json:"purpose"`
	Value     string    `json:"value"`
	CreatedAt time.Time `json:"created_at"`
}

// Retained states why a kind of record is kept, and until when (nil
// Until: as long as the reason lasts).
type Retained struct {
	Kind   string     `json:"kind"`
	Count  int        `json:"count"`
	Reason string     `json:"reason"`
	Until  *time.Time `json:"until,omitempty"`
}

// ExportNoStore states a kind of data picfre processes but never keeps.
type ExportNoStore struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// Reasons given in exports and erasure reports.
const (
	ReasonBookkeeping = "bookkeeping law: payment records must be kept at least until the end of the 7th year after the year of payment (GDPR art. 17(3)(b), art. 6(1)(c)); Until is the end the retention policy sets, none when it keeps them indefinitely"
	ReasonUsagePeriod = "usage records (file name and time) are kept three calendar months for billing and disputes, then purged"
	ReasonAttempts    = "records of uncharged attempts (time, task, media type, state; no file name) are kept as long as usage records, then purged"
	ReasonLegalHold   = "a legal hold keeps the account's records until it is lifted (GDPR art. 17(3)(e))"
	ReasonBalance     = "the balance and the sum of purged usage are part of the payment records: they make the top-ups add up"
	ReasonContact     = "kept to send and withdraw customer-match data under the consent given, until erased or opted out"
	ReasonPseudonym   = "pseudonyms are kept as long as the account, and erased with it"
)

var notStored = []ExportNoStore{
	{"content", "files sent for processing are not kept after the job"},
	{"generated_metadata", "titles, descriptions, keywords and prompts are returned to the caller and not kept"},
	{"plain_contact_details", "e-mail addresses and phone numbers are kept only as customer-match hashes"},
}

// Export returns everything held about the account. An unknown account
// gives an export with empty lists.
func (s *Subjects) Export(ctx context.Context, account string) (*Export, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	now := s.now()
	x := &Export{Version: ExportVersion, Account: account, GeneratedAt: now,
		TopUps: []ExportTopUp{}, Credits: []ExportEntry{}, Usage: []ExportUsage{}, Attempts: []ExportAttempt{}, Pseudonym: []ExportPseudo{},
		Retained: []Retained{}, NotStored: notStored}
	if l := s.Ledger; l != nil {
		var err error
		if x.LegalHold, err = l.LegalHold(ctx, account); err != nil {
			return nil, fmt.Errorf("privacy: export: %w", err)
		}
		b, err := l.Balance(ctx, account)
		if err != nil {
			return nil, fmt.Errorf("privacy: export: %w", err)
		}
		x.Balance = &ExportBalance{b.Credits, b.Held, b.Available}
		hist, err := l.History(ctx, account)
		if err != nil {
			return nil, fmt.Errorf("privacy: export: %w", err)
		}
		var topUntil, usageUntil time.Time
		// Payment records are kept as the policy says: forever by
		// default; refunds and adjustments are never purged.
		topForever := false
		for _, e := range hist {
			switch e.Kind {
			case metering.KindTopUp:
				x.TopUps = append(x.TopUps, ExportTopUp{e.Seq, e.Credits, e.Ref, e.Time})
				if until, ok := s.Retention.TopUpKeptUntil(e.Time); ok {
					topUntil = later(topUntil, until)
				} else {
					topForever = true
				}
			case metering.KindRefund, metering.KindAdjust:
				x.Credits = append(x.Credits, ExportEntry{e.Seq, string(e.Kind), e.Credits, e.Ref, e.Reason, e.Time})
				topForever = true
			case metering.KindPurged:
				x.Purged = &ExportPurged{-e.Credits, e.Time}
			case metering.KindPurgedTopUps:
				x.PurgedTopUps = &ExportPurged{e.Credits, e.Time}
			case metering.KindUsage:
				u := e.Usage
				until := s.Retention.UsageExpires(e.Time)
				usageUntil = later(usageUntil, until)
				x.Usage = append(x.Usage, ExportUsage{u.File, u.Time, u.Task, u.MediaType, u.Credits, u.Provider,
					u.Model, u.InputTokens, u.OutputTokens, u.IdempotencyKey, until})
			}
		}
		attempts, err := l.Attempts(ctx, account)
		if err != nil {
			return nil, fmt.Errorf("privacy: export: %w", err)
		}
		var attemptsUntil time.Time
		for _, a := range attempts {
			state, from := string(a.State), a.Time
			if a.State == metering.AttemptHeld {
				// A held hold is purged once its expiry is past the
				// cutoff; one already run out is reported as expired.
				from = a.ExpiresAt
				if !a.ExpiresAt.After(now) {
					state = string(metering.AttemptExpired)
				}
			}
			until := s.Retention.UsageExpires(from)
			attemptsUntil = later(attemptsUntil, until)
			x.Attempts = append(x.Attempts, ExportAttempt{a.Time, a.Task, a.MediaType, state, a.Credits, a.IdempotencyKey, until})
		}
		if n := len(x.TopUps) + len(x.Credits); n > 0 {
			r := Retained{"topups", n, ReasonBookkeeping, &topUntil}
			if topForever {
				r.Until = nil // kept with no end date
			}
			x.Retained = append(x.Retained, r)
		}
		if x.Purged != nil || len(x.TopUps) > 0 {
			x.Retained = append(x.Retained, Retained{"balance", 1, ReasonBalance, nil})
		}
		if len(x.Usage) > 0 {
			r := Retained{"usage", len(x.Usage), ReasonUsagePeriod, &usageUntil}
			if x.LegalHold {
				r.Reason, r.Until = ReasonLegalHold, nil
			}
			x.Retained = append(x.Retained, r)
		}
		if len(x.Attempts) > 0 {
			r := Retained{"attempts", len(x.Attempts), ReasonAttempts, &attemptsUntil}
			if x.LegalHold {
				r.Reason, r.Until = ReasonLegalHold, nil
			}
			x.Retained = append(x.Retained, r)
		}
	}
	c, ok, err := s.Store.GetContact(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("privacy: export: %w", err)
	}
	if ok {
		x.Contact = exportContact(c)
		x.Retained = append(x.Retained, Retained{"contact", 1, ReasonContact, nil})
	}
	ps, err := s.Store.ListPseudonyms(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("privacy: export: %w", err)
	}
	for _, p := range ps {
		x.Pseudonym = append(x.Pseudonym, ExportPseudo{p.Purpose, p.Value, p.CreatedAt})
	}
	if len(ps) > 0 {
		x.Retained = append(x.Retained, Retained{"pseudonyms", len(ps), ReasonPseudonym, nil})
	}
	return x, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func exportContact(c ContactRecord) *ExportContact {
	x := &ExportContact{EmailSHA256: c.EmailSHA256, PhoneSHA256: c.PhoneSHA256, Country: c.Country,
		AdUserData: c.Consent.AdUserData.String(), AdPersonalization: c.Consent.AdPersonalization.String(),
		EEA: c.Consent.EEA, OptedOut: c.OptedOut, AgeStatus: string(c.AgeStatus), UpdatedAt: c.UpdatedAt}
	if c.EmailSHA256 != "" {
		x.EmailRules = string(c.EmailRules)
	}
	if t := c.Consent.UpdatedAt; !t.IsZero() {
		x.ConsentUpdatedAt = &t
	}
	if t := c.AgeCheckedAt; !t.IsZero() {
		x.AgeCheckedAt = &t
	}
	if !c.BirthDate.IsZero() {
		x.BirthDate = c.BirthDate.Format(time.DateOnly)
	}
	return x
}

// ErasureReport says what an erasure deleted and what it kept, and why.
type ErasureReport struct {
	Account  string    `json:"account"`
	ErasedAt time.Time `json:"erased_at"`
	// Deleted counts the records deleted, by kind ("usage", "contact",
	// "pseudonyms").
	Deleted map[string]int `json:"deleted"`
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
const NoteRebilled = "usage records and their idempotency keys are deleted, so picfre no longer knows which files were processed: " +
	"processing the same files again is billed again, as new work"

// Erase deletes what may be deleted about the account — usage records
// (their debits folded into the balance rollup, so the balance does not
// change) and the records of uncharged attempts, the contact record and
// consent, pseudonyms — and keeps what the law requires: top-ups, refunds
// and adjustments, and the balance. With the usage records go their
// idempotency keys: a later run over the same files is billed again
// (the report says so, NoteRebilled). The
// contact's hashes are queued for removal from customer lists first
// (lists do not expire). An account under a legal hold is refused with
// an error matching metering.ErrLegalHold, and nothing is deleted.
// Erasing twice is harmless.
func (s *Subjects) Erase(ctx context.Context, account string) (ErasureReport, error) {
	if err := checkAccount(account); err != nil {
		return ErasureReport{}, err
	}
	now := s.now()
	r := ErasureReport{Account: account, ErasedAt: now, Deleted: map[string]int{"usage": 0, "attempts": 0, "contact": 0, "pseudonyms": 0},
		Kept: []Retained{}, Notes: []string{}}
	// The ledger first: it refuses a held account atomically, before
	// anything is deleted.
	if l := s.Ledger; l != nil {
		// Count the settled attempts EraseUsage deletes (holds being
		// processed are kept until they settle).
		attempts, err := l.Attempts(ctx, account)
		if err != nil {
			return ErasureReport{}, fmt.Errorf("privacy: erase: %w", err)
		}
		n, err := l.EraseUsage(ctx, account)
		if err != nil {
			return ErasureReport{}, fmt.Errorf("privacy: erase: %w", err)
		}
		r.Deleted["usage"] = n
		for _, a := range attempts {
			if a.State != metering.AttemptHeld {
				r.Deleted["attempts"]++
			}
		}
		r.Notes = append(r.Notes, NoteRebilled)
	}
	counts, err := s.Store.EraseAccount(ctx, account, now)
	if err != nil {
		return ErasureReport{}, fmt.Errorf("privacy: erase: %w", err)
	}
	r.Deleted["contact"], r.Deleted["pseudonyms"], r.PendingRemoval = counts.Contacts, counts.Pseudonyms, counts.QueuedRemoval
	x, err := s.Export(ctx, account)
	if err != nil {
		return ErasureReport{}, fmt.Errorf("privacy: erase: %w", err)
	}
	r.Kept = x.Retained
	return r, nil
}

// CustomerMatch builds an upload from the stored contacts and the queued
// removals of erased contacts and of replaced or deleted hashes, with b's
// consent and age rules. When b has no AgeGate (the zero value), the
// Subjects' AgeGate applies. A contact Correct found under age is always
// excluded and removed, whatever b's gate says; the verdict stands until
// a new check (Correct with the birth date) finds the person old enough. The stored
// hashes are used as they are, so that a removal matches what was once
// uploaded; each contact records the e-mail rules of its hash
// (ContactRecord.EmailRules), and Upload.EmailRules is the Subjects' rules.
// It returns the ids of the queued removals, all of them in
// Upload.Removes: once the removals are handed over for upload, pass the
// ids to Store.AckRemovals so the hashes are forgotten.
func (s *Subjects) CustomerMatch(ctx context.Context, b CustomerMatchBuilder) (Upload, []string, error) {
	b.Rules = s.rules()
	if b.AgeGate.Default == 0 && b.AgeGate.ByCountry == nil {
		b.AgeGate = s.AgeGate
	}
	now := s.now()
	recs, err := s.Store.ListContacts(ctx)
	if err != nil {
		return Upload{}, nil, fmt.Errorf("privacy: customer match: %w", err)
	}
	pending, err := s.Store.PendingRemovals(ctx)
	if err != nil {
		return Upload{}, nil, fmt.Errorf("privacy: customer match: %w", err)
	}
	contacts := make([]Contact, 0, len(recs)+len(pending))
	for _, r := range recs {
		c := Contact{ID: r.Account, Consent: r.Consent, OptedOut: r.OptedOut, Country: r.Country,
			EmailSHA256: r.EmailSHA256, PhoneSHA256: r.PhoneSHA256}
		if r.AgeStatus == AgeUnderAge {
			c.BirthDate, c.UnderAge = r.BirthDate, true
		}
		contacts = append(contacts, c)
	}
	var ids []string
	reasons := map[string]Reason{}
	for _, p := range pending {
		id := "removal:" + p.ID
		contacts = append(contacts, Contact{ID: id, Erased: true,
			EmailSHA256: p.EmailSHA256, PhoneSHA256: p.PhoneSHA256})
		ids = append(ids, p.ID)
		if p.Reason != "" {
			reasons[id] = p.Reason
		}
	}
	up, err := b.Build(slices.Values(contacts), now)
	for i, x := range up.Excluded {
		if r, ok := reasons[x.ContactID]; ok && x.Reason == ReasonErased {
			up.Excluded[i].Reason = r
		}
	}
	return up, ids, err
}
