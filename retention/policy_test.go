package retention

import (
	"errors"
	"testing"
	"time"
)

func TestPolicyValidate(t *testing.T) {
	for _, c := range []struct {
		p    Policy
		want error
	}{
		{Policy{}, nil},
		{Policy{UsageMonths: 6, TopUpYears: 7}, nil},
		{Policy{TopUpYears: 10}, nil},
		{Policy{UsageMonths: -1}, ErrInvalidPolicy},
		{Policy{TopUpYears: -1}, ErrInvalidPolicy},
		{Policy{TopUpYears: 6}, ErrBelowLegalFloor},
		{Policy{TopUpYears: 1}, ErrBelowLegalFloor},
	} {
		if err := c.p.Validate(); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%+v.Validate() = %v, want %v", c.p, err, c.want)
		}
	}
}

func TestCutoff(t *testing.T) {
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		months   int
		now      time.Time
		want     time.Time
		whyWhich string
	}{
		{0, at(2025, 4, 15, 10), at(2025, 1, 15, 0), "default three months"},
		{3, at(2025, 5, 31, 10), at(2025, 3, 1, 0), "31 May − 3 = 28 Feb, clamped: all of February served"},
		{3, at(2024, 5, 31, 10), at(2024, 3, 1, 0), "leap year: 29 Feb clamped too"},
		{3, at(2025, 5, 28, 23), at(2025, 2, 28, 0), "28 May − 3 = 28 Feb, not clamped"},
		{3, at(2025, 7, 31, 12), at(2025, 5, 1, 0), "31 Jul − 3 = 30 Apr clamped"},
		{1, at(2025, 3, 1, 0), at(2025, 2, 1, 0), "exactly midnight"},
		{12, at(2025, 2, 28, 5), at(2024, 2, 28, 0), "a year back from 28 Feb"},
	} {
		if got := (Policy{UsageMonths: c.months}).Cutoff(c.now); !got.Equal(c.want) {
			t.Errorf("%s: Cutoff(%v) = %v, want %v", c.whyWhich, c.now, got, c.want)
		}
	}
	// Calendar days of a location, not of UTC.
	sto := time.FixedZone("CEST", 2*3600)
	got := Policy{Location: sto}.Cutoff(time.Date(2025, 5, 31, 23, 30, 0, 0, time.UTC)) // 1 June 01:30 in CEST
	if want := time.Date(2025, 3, 1, 0, 0, 0, 0, sto); !got.Equal(want) {
		t.Errorf("Cutoff in CEST = %v, want %v", got, want)
	}
}

// TestUsageBoundary walks recording times across four years, including
// every month end, and checks that a record survives until the instant its
// period ends and is purged from that instant on.
func TestUsageBoundary(t *testing.T) {
	for _, months := range []int{1, 3, 7} {
		p := Policy{UsageMonths: months}
		for r := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC); r.Year() < 2027; r = r.Add(7*time.Hour + 13*time.Minute) {
			end := p.UsageExpires(r)
			if r.Before(p.Cutoff(end.Add(-time.Microsecond))) {
				t.Fatalf("%d months: record of %v purged before its period ends at %v", months, r, end)
			}
			if !r.Before(p.Cutoff(end)) {
				t.Fatalf("%d months: record of %v kept after its period ended at %v", months, r, end)
			}
			// At least the calendar months, at most three days and one more.
			if min := AddMonths(r, months); end.Before(min) || end.After(min.AddDate(0, 0, 4)) {
				t.Fatalf("%d months: record of %v expires %v", months, r, end)
			}
		}
	}
}

// TestMustHoldDates is the promise in dates: usage recorded today
// survives a sweep one day before three months have passed and is gone one
// day after.
func TestMustHoldDates(t *testing.T) {
	p := Policy{}
	for _, today := range []time.Time{
		time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC),
		time.Date(2025, 5, 31, 23, 59, 0, 0, time.UTC),
		time.Date(2024, 11, 30, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 4, 30, 12, 0, 0, 0, time.UTC),
		time.Date(2023, 11, 29, 8, 0, 0, 0, time.UTC),
	} {
		three := AddMonths(today, 3)
		if before := three.AddDate(0, 0, -1); today.Before(p.Cutoff(before)) {
			t.Errorf("recorded %v: purged by a sweep as of %v", today, before)
		}
		if after := three.AddDate(0, 0, 1); !today.Before(p.Cutoff(after)) {
			t.Errorf("recorded %v: kept by a sweep as of %v", today, after)
		}
	}
}

func TestTopUpRetention(t *testing.T) {
	paid := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	if got, want := (Policy{}).TopUpLegalUntil(paid), time.Date(2033, 1, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("TopUpLegalUntil = %v, want the end of 2032 (%v)", got, want)
	}
	if _, ok := (Policy{}).TopUpKeptUntil(paid); ok {
		t.Error("the default policy must keep top-ups indefinitely")
	}
	if got, ok := (Policy{TopUpYears: 10}).TopUpKeptUntil(paid); !ok || !got.Equal(time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("TopUpKeptUntil(10 years) = %v, %v", got, ok)
	}
}
