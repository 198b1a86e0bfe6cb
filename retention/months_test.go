package retention

import (
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 30, 0, 0, time.UTC) }

func TestAddMonths(t *testing.T) {
	for _, c := range []struct {
		in   time.Time
		n    int
		want time.Time
	}{
		{date(2025, 5, 31), -3, date(2025, 2, 28)},
		{date(2024, 5, 31), -3, date(2024, 2, 29)},
		{date(2025, 1, 31), 1, date(2025, 2, 28)},
		{date(2024, 1, 31), 1, date(2024, 2, 29)},
		{date(2024, 11, 30), 3, date(2025, 2, 28)},
		{date(2023, 11, 30), 3, date(2024, 2, 29)},
		{date(2025, 3, 31), 3, date(2025, 6, 30)},
		{date(2025, 8, 31), -6, date(2025, 2, 28)},
		{date(2025, 1, 15), 0, date(2025, 1, 15)},
		{date(2025, 1, 15), -1, date(2024, 12, 15)},
		{date(2025, 1, 15), -13, date(2023, 12, 15)},
		{date(2025, 12, 31), 2, date(2026, 2, 28)},
		{date(2025, 12, 31), 12, date(2026, 12, 31)},
		{date(2024, 2, 29), 12, date(2025, 2, 28)},
		{date(2024, 2, 29), -48, date(2020, 2, 29)},
		{date(2000, 3, 31), -1, date(2000, 2, 29)}, // 2000 is a leap year
		{date(1900, 3, 31), -1, date(1900, 2, 28)}, // 1900 is not
		{date(2025, 10, 31), -120, date(2015, 10, 31)},
	} {
		if got := AddMonths(c.in, c.n); !got.Equal(c.want) {
			t.Errorf("AddMonths(%s, %d) = %s, want %s", c.in.Format(time.DateOnly), c.n, got.Format(time.DateOnly), c.want.Format(time.DateOnly))
		}
	}
	// The location and the time of day are kept.
	sto := time.FixedZone("CET", 3600)
	in := time.Date(2025, 5, 31, 23, 59, 59, 999, sto)
	if got := AddMonths(in, -3); got != time.Date(2025, 2, 28, 23, 59, 59, 999, sto) {
		t.Errorf("AddMonths in CET = %v", got)
	}
}

// reference is AddMonths written differently: AddDate, and when it rolled
// over into the next month, back to the last day of the month before.
func reference(t time.Time, n int) time.Time {
	r := t.AddDate(0, n, 0)
	if r.Day() != t.Day() {
		r = r.AddDate(0, 0, -r.Day())
	}
	return r
}

func FuzzAddMonths(f *testing.F) {
	f.Add(int64(1748692800), int16(-3), int64(3600))
	f.Add(int64(1706659200), int16(1), int64(0))
	f.Add(int64(951782400), int16(-12), int64(0))
	f.Add(int64(-2208988800), int16(1200), int64(0))
	f.Fuzz(func(t *testing.T, sec int64, n int16, later int64) {
		// Years 1600 to 2400, a shift of up to ±2730 years, UTC.
		const lo, hi = -11676096000, 13574563200
		sec = lo + (sec%(hi-lo)+(hi-lo))%(hi-lo)
		in := time.Unix(sec, 0).UTC()
		got := AddMonths(in, int(n))
		if want := reference(in, int(n)); !got.Equal(want) {
			t.Fatalf("AddMonths(%v, %d) = %v, reference %v", in, n, got, want)
		}
		// Exactly n months apart, the day kept or clamped to the last.
		if dm := (got.Year()-in.Year())*12 + int(got.Month()) - int(in.Month()); dm != int(n) {
			t.Fatalf("AddMonths(%v, %d) = %v: %d months apart", in, n, got, dm)
		}
		if got.Day() != in.Day() && got.Day() != daysIn(got.Year(), got.Month()) || got.Day() > in.Day() {
			t.Fatalf("AddMonths(%v, %d) = %v: day neither kept nor clamped", in, n, got)
		}
		// Monotonic for equal times of day.
		other := in.AddDate(0, 0, int(later%400))
		if o := AddMonths(other, int(n)); other.After(in) && o.Before(got) || other.Before(in) && o.After(got) {
			t.Fatalf("not monotonic: %v→%v but %v→%v", in, got, other, o)
		}
	})
}

// FuzzCutoff checks the cutoff against its definition: a record is
// purged exactly when its retention period ended before the sweep.
func FuzzCutoff(f *testing.F) {
	f.Add(int64(1748692800), int64(-100), uint8(3))
	f.Add(int64(1748692800), int64(7948800), uint8(3))
	f.Add(int64(1714478400), int64(7948800), uint8(1))
	f.Fuzz(func(t *testing.T, sec, delta int64, months uint8) {
		const lo, hi = 0, 4102444800 // 1970 to 2100
		sec = lo + (sec%(hi-lo)+(hi-lo))%(hi-lo)
		asOf := time.Unix(sec, 0).UTC()
		recorded := asOf.Add(-time.Duration(delta%(800*86400)) * time.Second)
		p := Policy{UsageMonths: int(months%24) + 1}
		purged := recorded.Before(p.Cutoff(asOf))
		if ended := !p.UsageExpires(recorded).After(asOf); purged != ended {
			t.Fatalf("%d months, recorded %v, as of %v: cutoff %v purges=%v, but period ends %v",
				p.UsageMonths, recorded, asOf, p.Cutoff(asOf), purged, p.UsageExpires(recorded))
		}
	})
}

func BenchmarkAddMonths(b *testing.B) {
	t := date(2025, 5, 31)
	for b.Loop() {
		t = AddMonths(t, -3)
		t = AddMonths(t, 3)
	}
}
