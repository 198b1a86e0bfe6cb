package agegate

import (
	"errors"
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	stockholm := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		name       string
		birth, now time.Time
		want       int
	}{
		{"day before 13th birthday", date(2013, 6, 2), date(2026, 6, 1), 12},
		{"13th birthday", date(2013, 6, 1), date(2026, 6, 1), 13},
		{"leap-day birth, 28 Feb of a common year", date(2012, 2, 29), date(2025, 2, 28), 12},
		{"leap-day birth, 1 Mar of a common year", date(2012, 2, 29), date(2025, 3, 1), 13},
		{"leap-day birth, 29 Feb of a leap year", date(2012, 2, 29), date(2024, 2, 29), 12},
		{"leap-day birth, 28 Feb of a leap year", date(2012, 2, 29), date(2024, 2, 28), 11},
		{"birth on 31 Dec", date(2012, 12, 31), date(2025, 12, 31), 13},
		{"now in the person's zone, already the birthday there", date(2013, 6, 1),
			time.Date(2026, 6, 1, 0, 30, 0, 0, stockholm), 13},
		{"born today", date(2026, 6, 1), date(2026, 6, 1), 0},
	}
	for _, tt := range tests {
		got, err := Age(tt.birth, tt.now)
		if err != nil || got != tt.want {
			t.Errorf("%s: Age = %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
}

func TestAgeGate(t *testing.T) {
	now := date(2026, 6, 1)
	g := Gate{ByCountry: map[string]int{"DE": 16, "nl": 16, "XX": 0}}
	tests := []struct {
		birth   time.Time
		country string
		want    bool
	}{
		{date(2013, 6, 1), "US", true},
		{date(2013, 6, 2), "US", false},
		{date(2013, 6, 1), "de", false},
		{date(2010, 6, 1), "DE", true},
		{date(2013, 6, 1), "NL", false},
		{date(2013, 6, 1), "XX", true}, // non-positive override ignored
		{date(2013, 6, 1), "", true},
	}
	for _, tt := range tests {
		got, err := g.Allowed(tt.birth, tt.country, now)
		if err != nil || got != tt.want {
			t.Errorf("Allowed(%s, %q) = %v, %v; want %v", tt.birth.Format(time.DateOnly), tt.country, got, err, tt.want)
		}
	}
	if got := (Gate{Default: 18}).MinimumAge("SE"); got != 18 {
		t.Errorf("Default 18: MinimumAge = %d", got)
	}
	if got := (Gate{}).MinimumAge("SE"); got != 13 {
		t.Errorf("zero Gate: MinimumAge = %d", got)
	}
	if ok, err := g.Allowed(time.Time{}, "US", now); ok || !errors.Is(err, ErrBirthDateUnknown) {
		t.Errorf("zero birth: %v, %v", ok, err)
	}
	if ok, err := g.Allowed(date(2026, 6, 2), "US", now); ok || !errors.Is(err, ErrBirthDateInFuture) {
		t.Errorf("future birth: %v, %v", ok, err)
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
