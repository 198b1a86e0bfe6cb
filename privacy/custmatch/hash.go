package custmatch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// EmailRules names a versioned set of e-mail normalization rules. Ad
// platforms change their rules from time to time; an upload records the
// version it used (Upload.EmailRules) so that lists built under different
// rules can be told apart.
type EmailRules string

const (
	// EmailRulesGoogle2025 follows Google's published formatting rules for
	// Customer Match and the Data Manager API (developers.google.com,
	// "Format user data", read 2026): remove all whitespace (leading,
	// trailing and inside), convert to lower case, and for the gmail.com
	// and googlemail.com domains only remove every '.' before the '@'. A
	// "+suffix" is kept and googlemail.com stays googlemail.com: Google
	// does not document removing or mapping them.
	//
	//	"  Jane.Doe+News@GoogleMail.com " → "janedoe+news@googlemail.com"
	//	"Jane.Doe@Example.com"            → "jane.doe@example.com"
	EmailRulesGoogle2025 EmailRules = "google-2025"

	// EmailRulesGmailCanonical goes further, to the mailbox Gmail delivers
	// to: on gmail.com and googlemail.com it also drops a "+suffix" and
	// writes googlemail.com as gmail.com. Use it to de-duplicate contacts,
	// or where a partner asks for it; it is not Google's documented upload
	// rule.
	//
	//	"  Jane.Doe+News@GoogleMail.com " → "janedoe@gmail.com"
	EmailRulesGmailCanonical EmailRules = "gmail-canonical-1"

	// DefaultEmailRules is used by NormalizeEmail, HashEmail and a
	// Builder whose Rules field is empty.
	DefaultEmailRules = EmailRulesGoogle2025
)

// Normalize normalizes an e-mail address under the rules r (see the rule
// constants). It returns an error matching ErrInvalidEmail when the
// address has not exactly one '@' or has an empty side, and
// ErrUnknownEmailRules for an unknown r. Errors never contain the address.
func (r EmailRules) Normalize(email string) (string, error) {
	if r != EmailRulesGoogle2025 && r != EmailRulesGmailCanonical {
		return "", fmt.Errorf("%w: %q", ErrUnknownEmailRules, string(r))
	}
	s := strings.ToLower(strings.Map(func(c rune) rune {
		if unicode.IsSpace(c) {
			return -1
		}
		return c
	}, email))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", ErrInvalidEmail
	}
	if domain == "gmail.com" || domain == "googlemail.com" {
		if r == EmailRulesGmailCanonical {
			local, _, _ = strings.Cut(local, "+")
			domain = "gmail.com"
		}
		local = strings.ReplaceAll(local, ".", "")
		if local == "" {
			return "", ErrInvalidEmail
		}
	}
	return local + "@" + domain, nil
}

// Hash normalizes an e-mail address under r and returns the lower-case hex
// SHA-256 of the result.
func (r EmailRules) Hash(email string) (string, error) {
	n, err := r.Normalize(email)
	if err != nil {
		return "", err
	}
	return sha256Hex(n), nil
}

// NormalizeEmail normalizes an e-mail address under DefaultEmailRules.
func NormalizeEmail(email string) (string, error) { return DefaultEmailRules.Normalize(email) }

// HashEmail returns the hex SHA-256 of an e-mail address normalized under
// DefaultEmailRules, as ad platforms expect for customer matching.
func HashEmail(email string) (string, error) { return DefaultEmailRules.Hash(email) }

// NormalizePhone parses a phone number and returns it in E.164 form, with
// the leading '+' and digits only ("+18005550100"). A number written
// without a country code is read as a number of defaultRegion (an ISO
// 3166-1 alpha-2 code such as "US" or "SE"; case does not matter). Numbers
// that are not valid for their region give an error matching
// ErrInvalidPhone; the error never contains the number.
func NormalizePhone(phone, defaultRegion string) (string, error) {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return "", ErrInvalidPhone
	}
	n, err := phonenumbers.Parse(phone, strings.ToUpper(strings.TrimSpace(defaultRegion)))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", ErrInvalidPhone
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// HashPhone returns the hex SHA-256 of a phone number in E.164 form (see
// NormalizePhone).
func HashPhone(phone, defaultRegion string) (string, error) {
	n, err := NormalizePhone(phone, defaultRegion)
	if err != nil {
		return "", err
	}
	return sha256Hex(n), nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
