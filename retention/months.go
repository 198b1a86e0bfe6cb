package retention

import "time"

// AddMonths returns t moved by n calendar months (n may be negative),
// keeping the time of day and t's location. When the day of the month
// does not exist in the target month, the result is that month's last day
// (EU Regulation 1182/71, art. 3(2)(c)): 31 May − 3 months is 28 February
// (29 in a leap year), 31 January + 1 month is 28 or 29 February, 30
// November + 3 months is 28 or 29 February. time.Time.AddDate rolls over
// into the next month instead (31 January + 1 month = 3 March).
//
// AddMonths is monotonic on dates: for two times of day equal, an earlier
// t never gives a later result (in a location without daylight-saving
// changes, such as UTC). Times of day differing, it is not: 30 January
// 08:00 and 29 January 23:00 + 1 month are 28 February 08:00 and 23:00.
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	months := int(m) - 1 + n
	y += floorDiv(months, 12)
	m = time.Month(months - floorDiv(months, 12)*12 + 1)
	if last := daysIn(y, m); d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return time.Date(y, m, d, hh, mm, ss, t.Nanosecond(), t.Location())
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// daysIn returns the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
