package agegate

import (
	"strings"
	"time"
)

// DefaultMinimumAge is the minimum age a Gate applies when neither its
// Default nor a country entry says otherwise: 13, the age below which COPPA
// applies and below which ad platforms forbid customer-matching a person.
const DefaultMinimumAge = 13

// Gate decides from a date of birth whether a person is old enough to
// use the service. It is a neutral age screen: it asks for the date of
// birth, never for an "I am old enough" answer. The zero value applies
// DefaultMinimumAge everywhere. A Gate is safe for concurrent use as
// long as ByCountry is not modified.
type Gate struct {
	// Default is the minimum age in whole years; 0 means DefaultMinimumAge.
	Default int
	// ByCountry overrides Default per ISO 3166-1 alpha-2 country code
	// (case does not matter), e.g. {"DE": 16, "NL": 16} for the age of
	// digital consent under GDPR art. 8 where the service relies on consent.
	ByCountry map[string]int
}

// MinimumAge returns the minimum age for a country.
func (g Gate) MinimumAge(country string) int {
	c := strings.ToUpper(strings.TrimSpace(country))
	if min, ok := g.ByCountry[c]; ok && c != "" && min > 0 {
		return min
	}
	for k, min := range g.ByCountry {
		if strings.EqualFold(k, c) && c != "" && min > 0 {
			return min
		}
	}
	if g.Default > 0 {
		return g.Default
	}
	return DefaultMinimumAge
}

// Allowed reports whether a person born on birth is at least the minimum
// age for country on the date of now. See Age for how dates are compared.
// A zero birth date gives ErrBirthDateUnknown and a birth date after now
// gives ErrBirthDateInFuture; in both cases the answer is false.
func (g Gate) Allowed(birth time.Time, country string, now time.Time) (bool, error) {
	age, err := Age(birth, now)
	if err != nil {
		return false, err
	}
	return age >= g.MinimumAge(country), nil
}

// Age returns the age in whole years on the date of now of a person born
// on the date of birth. Dates are compared as calendar dates: birth's date
// in its own location (a date of birth is a civil date; pass it as
// midnight UTC or in any zone) and now's date in now's location (pass the
// person's local time for an exact answer).
//
// A person born on 29 February becomes a year older on 1 March in years
// without a 29 February — the later of the two readings in use, and so
// the safe one for an age gate.
func Age(birth, now time.Time) (int, error) {
	if birth.IsZero() {
		return 0, ErrBirthDateUnknown
	}
	by, bm, bd := birth.Date()
	ny, nm, nd := now.Date()
	if by > ny || by == ny && (bm > nm || bm == nm && bd > nd) {
		return 0, ErrBirthDateInFuture
	}
	age := ny - by
	if nm < bm || nm == bm && nd < bd {
		age--
	}
	return age, nil
}
