package custmatch

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/privacy/agegate"
)

// ConsentState is the state of one consent signal.
type ConsentState uint8

const (
	ConsentUnspecified ConsentState = iota // never asked, or not recorded
	ConsentGranted
	ConsentDenied
)

// String returns "unspecified", "granted" or "denied".
func (s ConsentState) String() string {
	switch s {
	case ConsentGranted:
		return "granted"
	case ConsentDenied:
		return "denied"
	}
	return "unspecified"
}

// ParseConsentState reads "granted", "denied" or "unspecified" (or "").
// Anything else gives ErrUnknownConsentState.
func ParseConsentState(s string) (ConsentState, error) {
	switch s {
	case "granted":
		return ConsentGranted, nil
	case "denied":
		return ConsentDenied, nil
	case "unspecified", "":
		return ConsentUnspecified, nil
	}
	return ConsentUnspecified, ErrUnknownConsentState
}

// Consent holds a person's consent signals in Google's terms.
type Consent struct {
	// AdUserData: may the person's data be sent to the ad platform?
	AdUserData ConsentState
	// AdPersonalization: may it be used to personalize ads?
	AdPersonalization ConsentState
	// EEA is true when the person is in the European Economic Area (or
	// another place where consent is required, such as the UK or
	// Switzerland): there a contact is added only with both signals
	// granted, always. Elsewhere that is the default too, which
	// Builder.AllowWithoutConsentOutsideEEA relaxes.
	EEA bool
	// UpdatedAt is when the signals were last set (for the record).
	UpdatedAt time.Time
}

// Reason says why a contact is not added to a customer list.
type Reason string

const (
	ReasonErased           Reason = "erased"             // erased on request: removed
	ReasonOptedOut         Reason = "opted_out"          // opted out: removed
	ReasonUnderAge         Reason = "under_age"          // known to be under the age gate: removed
	ReasonConsentDenied    Reason = "consent_denied"     // a consent signal is denied: removed
	ReasonConsentMissing   Reason = "consent_missing"    // consent not granted (see Builder): not sent at all
	ReasonInvalidBirthDate Reason = "invalid_birth_date" // birth date in the future: not sent at all
	ReasonNoIdentifier     Reason = "no_identifier"      // no valid e-mail address or phone number
	ReasonSharedIdentifier Reason = "shared_identifier"  // shares an e-mail or phone with a removed contact
	ReasonReplaced         Reason = "replaced"           // an e-mail or phone hash a correction replaced or deleted: removed
)

// Contact is one person as the customer-match builder sees them.
type Contact struct {
	ID        string // the service's (pseudonymous) id; never uploaded
	Email     string // plain address; normalized and hashed by the builder
	Phone     string // any common notation; read with Country as default region
	Consent   Consent
	OptedOut  bool      // opted out of ad matching
	Erased    bool      // asked for erasure; keep Email/Phone until the removal is uploaded
	BirthDate time.Time // zero when unknown
	Country   string    // ISO 3166-1 alpha-2: age-gate minimum and phone region
	// UnderAge is a verdict already reached (for example by
	// privacy.Subjects.Correct under its own age gate): the contact is excluded
	// and removed whatever the builder's AgeGate says of BirthDate.
	UnderAge bool

	// EmailSHA256 and PhoneSHA256 are identifiers already hashed (lower-case
	// hex SHA-256 of the address normalized under the builder's Rules, and
	// of the E.164 number), for services that keep only the hashes. Each
	// is used when Email (Phone) is empty; a value that is not 64 hex
	// digits is ignored.
	EmailSHA256 string
	PhoneSHA256 string
}

// Row is one line of a customer-match upload: hex SHA-256 hashes of the
// normalized e-mail address and E.164 phone number (either may be empty).
type Row struct {
	ContactID string // for the caller's bookkeeping; not written to the CSV
	Email     string
	Phone     string
}

// Exclusion records a contact left out of Adds and why.
type Exclusion struct {
	ContactID string
	Reason    Reason
}

// Upload is what to send to the ad platform.
type Upload struct {
	// EmailRules names the normalization rules the hashes were made with;
	// keep it with the upload (e.g. in the file name) so that lists built
	// under different rules can be told apart.
	EmailRules EmailRules
	// Adds are the contacts to add to the list.
	Adds []Row
	// Removes are the contacts to remove: opted out, erased, consent
	// denied or under age. Lists do not expire, so these removals are the
	// only way to take someone off a list they were once added to.
	Removes []Row
	// Excluded lists every contact not in Adds, with the reason.
	Excluded []Exclusion
}

// Builder builds customer-match uploads. The zero value uses
// DefaultEmailRules and an age gate of 13, and adds only contacts who
// granted both consent signals. It is safe for concurrent use.
type Builder struct {
	// Rules for e-mail normalization; empty means DefaultEmailRules.
	Rules EmailRules
	// AgeGate excludes (and removes) contacts known to be under its
	// minimum. A contact without a birth date is allowed: a general
	// audience service need not verify ages, but must act on what it knows.
	AgeGate agegate.Gate
	// AllowWithoutConsentOutsideEEA adds contacts outside the EEA whose
	// consent signals are unspecified (never asked). By default, and
	// always in the EEA, both AdUserData and AdPersonalization must be
	// granted; a denied signal excludes and removes in every case. Set it
	// only where the law and the ad platform's terms allow uploading
	// without consent, and the service's privacy notice says so.
	AllowWithoutConsentOutsideEEA bool
}

// Build sorts contacts into additions, removals and exclusions, in input
// order, as of now (for the age gate). In order of precedence: erased and
// opted-out contacts are removed; contacts under age (UnderAge, or by the
// AgeGate) or with a denied consent signal are removed; contacts without
// both consent signals granted are left out without being sent (see
// AllowWithoutConsentOutsideEEA); the rest are added if they have a valid
// e-mail address or phone number. When a removed contact shares an
// identifier with one to add, the removal wins. Identical rows are sent
// once. Build fails only for unknown Rules.
func (b Builder) Build(contacts iter.Seq[Contact], now time.Time) (Upload, error) {
	rules := b.Rules
	if rules == "" {
		rules = DefaultEmailRules
	}
	if _, err := rules.Normalize("a@b"); err != nil {
		return Upload{}, err
	}
	up := Upload{EmailRules: rules}
	for c := range contacts {
		reason, remove := b.judge(c, now)
		row := Row{ContactID: c.ID}
		row.Email, _ = rules.Hash(c.Email)
		if c.Email == "" && isSHA256Hex(c.EmailSHA256) {
			row.Email = c.EmailSHA256
		}
		row.Phone, _ = HashPhone(c.Phone, c.Country)
		if c.Phone == "" && isSHA256Hex(c.PhoneSHA256) {
			row.Phone = c.PhoneSHA256
		}
		if row.Email == "" && row.Phone == "" {
			if reason == "" {
				reason = ReasonNoIdentifier
			}
			up.Excluded = append(up.Excluded, Exclusion{c.ID, reason})
			continue
		}
		switch {
		case reason == "":
			up.Adds = append(up.Adds, row)
		case remove:
			up.Removes = append(up.Removes, row)
			up.Excluded = append(up.Excluded, Exclusion{c.ID, reason})
		default:
			up.Excluded = append(up.Excluded, Exclusion{c.ID, reason})
		}
	}

	removed := map[string]bool{}
	for _, r := range up.Removes {
		for _, h := range [...]string{r.Email, r.Phone} {
			if h != "" {
				removed[h] = true
			}
		}
	}
	adds := up.Adds[:0]
	for _, r := range up.Adds {
		if removed[r.Email] || removed[r.Phone] {
			up.Excluded = append(up.Excluded, Exclusion{r.ContactID, ReasonSharedIdentifier})
			continue
		}
		adds = append(adds, r)
	}
	up.Adds = dedupe(adds)
	up.Removes = dedupe(up.Removes)
	return up, nil
}

// judge returns why a contact is not to be added ("" if it is) and whether
// it must be removed.
func (b Builder) judge(c Contact, now time.Time) (Reason, bool) {
	switch {
	case c.Erased:
		return ReasonErased, true
	case c.OptedOut:
		return ReasonOptedOut, true
	case c.UnderAge:
		return ReasonUnderAge, true
	}
	if !c.BirthDate.IsZero() {
		ok, err := b.AgeGate.Allowed(c.BirthDate, c.Country, now)
		if err != nil {
			return ReasonInvalidBirthDate, false
		}
		if !ok {
			return ReasonUnderAge, true
		}
	}
	cs := c.Consent
	if cs.AdUserData == ConsentDenied || cs.AdPersonalization == ConsentDenied {
		return ReasonConsentDenied, true
	}
	if cs.AdUserData != ConsentGranted || cs.AdPersonalization != ConsentGranted {
		if cs.EEA || !b.AllowWithoutConsentOutsideEEA {
			return ReasonConsentMissing, false
		}
	}
	return "", false
}

// isSHA256Hex reports whether s is a lower-case hex SHA-256 digest.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func dedupe(rows []Row) []Row {
	seen := map[[2]string]bool{}
	out := rows[:0]
	for _, r := range rows {
		k := [2]string{r.Email, r.Phone}
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// WriteCSV writes rows as a Google Ads Customer Match file with hashed
// identifiers: the header "Email,Phone" (Google's column names for e-mail
// and phone matching) and one line per row with the hex SHA-256 values.
// Use it for Upload.Adds and, as a separate file uploaded with the
// "remove" action, for Upload.Removes. A failing writer gives an error
// with code Unavailable unless it carries a code of its own.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	records := make([][]string, 0, len(rows)+1)
	records = append(records, []string{"Email", "Phone"})
	for _, r := range rows {
		records = append(records, []string{r.Email, r.Phone})
	}
	if err := cw.WriteAll(records); err != nil {
		return errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("custmatch: write CSV: %w", err))
	}
	return nil
}
