package privacy

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy/driver"
	"github.com/picfre/picfre/retention"
)

// ExportVersion is the version of the export format; it changes when a
// field changes meaning or is removed (new fields may be added).
//
// v2 (from v1): the kinds in "retention" and "not_stored", and the keys
// of the erasure report's "deleted", are retention.Kind values: "topup"
// (v1 "topups") counts top-ups alone, and refunds and adjustments have
// entries of their own ("refund", "adjustment"), so that each states its
// own end date; "attempt" (v1 "attempts"); "pseudonym" (v1
// "pseudonyms"); in "not_stored", "content" also covers the generated
// metadata (v1 "generated_metadata") and "contact_details" replaces v1
// "plain_contact_details". The reasons are written for the person the
// data is about and state the periods of the configured retention
// policy.
//
// Added in v2 without a version change: "jobs" (the job records, see
// ExportJob), and the kinds "job" and "result" in "retention".
const ExportVersion = "picfre.export/v2"

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
	PurgedTopUps *ExportPurged  `json:"purged_topups,omitempty"`
	Contact      *ExportContact `json:"contact,omitempty"`
	Pseudonym    []ExportPseudo `json:"pseudonyms"`
	// Jobs are the records of the account's jobs (Subjects.Jobs), newest
	// first; empty when the service keeps no jobs.
	Jobs []ExportJob `json:"jobs"`
	// Retained states, per kind of record held, why it is kept and until
	// when.
	Retained []Retained `json:"retention"`
	// NotStored states what is processed but never kept.
	NotStored []ExportNoStore `json:"not_stored"`
}

// ExportBalance is the account's balance at export time.
type ExportBalance struct {
	Credits   int64 `json:"credits"`
	Held      int64 `json:"held"`
	Available int64 `json:"available"`
	// Owed is what a refunded or disputed payment took back that had
	// already been spent.
	Owed int64 `json:"owed,omitempty"`
}

// ExportTopUp is one purchase of credits.
type ExportTopUp struct {
	Seq        int64     `json:"seq"`
	Credits    int64     `json:"credits"`
	PaymentRef string    `json:"payment_ref"`
	Time       time.Time `json:"time"`
	// Amount and Currency are the money paid (minor units, ISO 4217),
	// when known.
	Amount   int64  `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// ExportEntry is a refund, an adjustment or a reversal.
type ExportEntry struct {
	Seq     int64     `json:"seq"`
	Kind    string    `json:"kind"` // "refund", "adjust" or "reversal"
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
	State string `json:"state"`
	// Failure is the error code a voided file failed with (for example
	// "bad_output"); empty for other states.
	Failure        string    `json:"failure,omitempty"`
	Credits        int64     `json:"credits_held"`
	IdempotencyKey string    `json:"idempotency_key"`
	KeptUntil      time.Time `json:"kept_until"`
}

// ExportPurged is the sum of records already deleted, kept so that the
// history adds up to the balance.
type ExportPurged struct {
	Credits int64     `json:"credits"`
	Through time.Time `json:"through"`
}

// ExportContact is the stored contact record: what customer matching
// keeps of a person.
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
	// AgeStatus is the age check's answer: "unknown" (no date of birth
	// given), "allowed" (old enough when checked; the date was
	// discarded) or "under_age" (under the age gate when checked).
	AgeStatus string `json:"age_status"`
	// BirthDate ("YYYY-MM-DD") is kept only while the person is under
	// age, so that they stay off customer lists.
	BirthDate    string     `json:"birth_date,omitempty"`
	AgeCheckedAt *time.Time `json:"age_checked_at,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// ExportPseudo is a stored pseudonym.
type ExportPseudo struct {
	Purpose   string    `json:"purpose"`
	Value     string    `json:"value"`
	CreatedAt time.Time `json:"created_at"`
}

// Retained states why a kind of record is kept, and until when (nil
// Until: no end date is set, or the record is kept as long as the reason
// lasts).
type Retained struct {
	Kind   retention.Kind `json:"kind"`
	Count  int            `json:"count"`
	Reason string         `json:"reason"`
	Until  *time.Time     `json:"until,omitempty"`
}

// ExportNoStore states a kind of data picfre processes but never keeps.
type ExportNoStore struct {
	Kind   retention.Kind `json:"kind"`
	Reason string         `json:"reason"`
}

// The statement's texts. They are written for the person the export is
// about; the periods come from the retention policy.
const (
	reasonRefund  = "Refunds of credits are payment records, kept like your top-ups (GDPR art. 17(3)(b)), with no end date."
	reasonAdjust  = "Adjustments of your credits are payment records, kept like your top-ups (GDPR art. 17(3)(b)), with no end date."
	reasonReverse = "Credits taken back after a refunded or disputed payment, and credits owed after that, are payment records, kept like your top-ups (GDPR art. 17(3)(b)), with no end date."
	reasonBalance = "Your balance, and the sums of deleted usage records and top-ups, are part of the payment records: " +
		"they make your top-ups add up."
	reasonContact = "The hashes of your e-mail address and phone number (never the address or number itself), " +
		"your consent choices, any opt-out and the age check's answer are kept to add you to an advertising platform's " +
		"customer lists, or to keep you off them, as you chose; until you ask for erasure."
	reasonPseudonym = "Pseudonyms made for your account are kept as long as the account, and erased with it."
)

var notStored = []ExportNoStore{
	{retention.KindContent, "The files you send, and the titles, descriptions, keywords and prompts made for them, " +
		"are handed back and not kept after processing."},
	{retention.KindContactDetails, "Your e-mail address and phone number are not kept, only their hashes."},
}

// notStoredJobs is notStored for a service that runs jobs, which keep a
// file until it is processed and a result until it is fetched.
var notStoredJobs = []ExportNoStore{
	{retention.KindContent, "The files you send are kept only until they are processed: each is deleted once it " +
		"is processed, fails or its job is canceled. The titles, descriptions, keywords and prompts made for them are " +
		"handed back, and for a job held only until you fetch them (see \"result\" under retention). Neither is in " +
		"this export."},
	notStored[1],
}

// months is the policy's usage period in words: "3 calendar months".
func (s *Subjects) months() string {
	n := cmp.Or(s.Retention.UsageMonths, retention.DefaultUsageMonths)
	if n == 1 {
		return "1 calendar month"
	}
	return fmt.Sprintf("%d calendar months", n)
}

func (s *Subjects) reasonTopUp() string {
	legal := fmt.Sprintf("Your top-ups are payment records: bookkeeping law requires keeping them until the end of the %s year "+
		"after the year of payment (GDPR art. 17(3)(b)).", ordinal(retention.LegalTopUpYears))
	if s.Retention.TopUpYears == 0 {
		return legal + " They are kept with no end date."
	}
	years := max(s.Retention.TopUpYears, retention.LegalTopUpYears)
	if years == retention.LegalTopUpYears {
		return legal + " They are deleted after the end of that year."
	}
	return legal + fmt.Sprintf(" They are deleted after the end of the %s year after the year of payment.", ordinal(years))
}

func (s *Subjects) reasonUsage() string {
	return "For each file processed for you, its name, the time and the credits charged are kept for billing and for " +
		"questions about a charge: " + s.months() + ", then deleted."
}

func (s *Subjects) reasonAttempt() string {
	return "For each file that was not charged (it failed, was abandoned or is being processed), the time, task and " +
		"media type are kept, without the file name, as long as usage records: " + s.months() + ", then deleted."
}

func (s *Subjects) reasonLegalHold() string {
	return "A legal hold keeps these records beyond their " + s.months() + " until it is lifted (GDPR art. 17(3)(e))."
}

// ordinal writes n as "1st", "2nd", "3rd", "7th", "11th", "21st".
func ordinal(n int) string {
	suffix := "th"
	switch n % 10 {
	case 1:
		suffix = "st"
	case 2:
		suffix = "nd"
	case 3:
		suffix = "rd"
	}
	if n%100 >= 11 && n%100 <= 13 {
		suffix = "th"
	}
	return fmt.Sprint(n, suffix)
}

// Export returns everything held about the account, with a statement of
// what is kept, why and until when, written for the person the data is
// about from the Subjects' retention policy. An unknown account gives an
// export with empty lists.
func (s *Subjects) Export(ctx context.Context, account string) (*Export, error) {
	if err := s.check(account); err != nil {
		return nil, err
	}
	x, err := s.export(ctx, account, s.now())
	if err != nil {
		return nil, wrap("export", err)
	}
	return x, nil
}

// export builds the export; its errors are the stores' as they are.
func (s *Subjects) export(ctx context.Context, account string, now time.Time) (*Export, error) {
	x := &Export{Version: ExportVersion, Account: account, GeneratedAt: now,
		TopUps: []ExportTopUp{}, Credits: []ExportEntry{}, Usage: []ExportUsage{}, Attempts: []ExportAttempt{}, Pseudonym: []ExportPseudo{},
		Jobs: []ExportJob{}, Retained: []Retained{}, NotStored: notStored}
	if s.Ledger != nil {
		if err := s.exportLedger(ctx, x, now); err != nil {
			return nil, err
		}
	}
	if s.Jobs != nil {
		x.NotStored = notStoredJobs
		if err := s.exportJobs(ctx, x); err != nil {
			return nil, err
		}
	}
	c, ok, err := s.Contacts.GetContact(ctx, account)
	if err != nil {
		return nil, err
	}
	if ok {
		x.Contact = exportContact(c)
		x.Retained = append(x.Retained, Retained{retention.KindContact, 1, reasonContact, nil})
	}
	ps, err := s.Contacts.ListPseudonyms(ctx, account)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		x.Pseudonym = append(x.Pseudonym, ExportPseudo{p.Purpose, p.Value, p.CreatedAt})
	}
	if len(ps) > 0 {
		x.Retained = append(x.Retained, Retained{retention.KindPseudonym, len(ps), reasonPseudonym, nil})
	}
	return x, nil
}

// exportLedger adds the ledger's records and their statement to x.
func (s *Subjects) exportLedger(ctx context.Context, x *Export, now time.Time) error {
	l, account := s.Ledger, x.Account
	var err error
	if x.LegalHold, err = l.LegalHold(ctx, account); err != nil {
		return err
	}
	b, err := l.Balance(ctx, account)
	if err != nil {
		return err
	}
	x.Balance = &ExportBalance{b.Credits, b.Held, b.Available, b.Owed}
	hist, err := l.History(ctx, account)
	if err != nil {
		return err
	}
	var topUntil, usageUntil time.Time
	topForever := false // the policy keeps top-ups with no end date
	refunds, adjustments, reversals := 0, 0, 0
	for _, e := range hist {
		switch e.Kind {
		case metering.KindTopUp:
			x.TopUps = append(x.TopUps, ExportTopUp{e.Seq, e.Credits, e.Ref, e.Time, e.Amount, e.Currency})
			if until, ok := s.Retention.TopUpKeptUntil(e.Time); ok {
				topUntil = later(topUntil, until)
			} else {
				topForever = true
			}
		case metering.KindRefund, metering.KindAdjust:
			x.Credits = append(x.Credits, ExportEntry{e.Seq, string(e.Kind), e.Credits, e.Ref, e.Reason, e.Time})
			if e.Kind == metering.KindRefund {
				refunds++
			} else {
				adjustments++
			}
		case metering.KindReversal:
			x.Credits = append(x.Credits, ExportEntry{e.Seq, string(e.Kind), e.Credits, e.Ref, e.Reason, e.Time})
			reversals++
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
		return err
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
		x.Attempts = append(x.Attempts, ExportAttempt{a.Time, a.Task, a.MediaType, state, string(a.Reason), a.Credits, a.IdempotencyKey, until})
	}
	if n := len(x.TopUps); n > 0 {
		r := Retained{retention.KindTopUp, n, s.reasonTopUp(), &topUntil}
		if topForever {
			r.Until = nil
		}
		x.Retained = append(x.Retained, r)
	}
	if refunds > 0 {
		x.Retained = append(x.Retained, Retained{retention.KindRefund, refunds, reasonRefund, nil})
	}
	if adjustments > 0 {
		x.Retained = append(x.Retained, Retained{retention.KindAdjustment, adjustments, reasonAdjust, nil})
	}
	if reversals > 0 {
		x.Retained = append(x.Retained, Retained{retention.KindReversal, reversals, reasonReverse, nil})
	}
	if x.Purged != nil || x.PurgedTopUps != nil || len(x.TopUps) > 0 {
		x.Retained = append(x.Retained, Retained{retention.KindBalance, 1, reasonBalance, nil})
	}
	for _, k := range []struct {
		kind   retention.Kind
		n      int
		reason string
		until  time.Time
	}{
		{retention.KindUsage, len(x.Usage), s.reasonUsage(), usageUntil},
		{retention.KindAttempt, len(x.Attempts), s.reasonAttempt(), attemptsUntil},
	} {
		if k.n == 0 {
			continue
		}
		r := Retained{k.kind, k.n, k.reason, &k.until}
		if x.LegalHold {
			r.Reason, r.Until = s.reasonLegalHold(), nil
		}
		x.Retained = append(x.Retained, r)
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func exportContact(c driver.Contact) *ExportContact {
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
