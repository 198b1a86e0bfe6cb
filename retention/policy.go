package retention

import (
	"fmt"
	"time"
)

// DefaultUsageMonths is how long usage records (file name and time of each
// processed file) are kept when Policy.UsageMonths is zero.
const DefaultUsageMonths = 3

// LegalTopUpYears is the legal floor for keeping top-ups (payment
// records): Swedish bookkeeping law (bokföringslagen 7 kap. 2 §) keeps
// accounting records until the end of the seventh year after the calendar
// year in which the fiscal year ended. picfre assumes calendar fiscal
// years.
const LegalTopUpYears = 7

// Kind names a kind of record the service holds, or processes and never
// keeps.
type Kind string

// Record kinds, as they appear in reports and exports: privacy.Export's
// retention statement and list of what is not stored, and the erasure
// report's counts.
const (
	// KindUsage: one record per processed file (account, file name,
	// time, credits); kept Policy.UsageMonths calendar months.
	KindUsage Kind = "usage"
	// KindAttempt: the hold of a file that was not charged (failed,
	// abandoned, or being processed): time, task, media type, no file
	// name; kept as long as usage records.
	KindAttempt Kind = "attempt"
	// KindTopUp: a purchase of credits, a payment record; kept (at least
	// until the legal floor).
	KindTopUp Kind = "topup"
	// KindRefund: credits given back for a file; a payment record, never
	// purged.
	KindRefund Kind = "refund"
	// KindAdjustment: a correction of an account's credits by the
	// operator; a payment record, never purged.
	KindAdjustment Kind = "adjustment"
	// KindReversal: credits taken back after a payment was refunded or
	// disputed, or a top-up paying credits owed after that; a payment
	// record, never purged.
	KindReversal Kind = "reversal"
	// KindBalance: the account's balance and the sums of purged usage
	// records and top-ups, kept with the payment records.
	KindBalance Kind = "balance"
	// KindContact: what customer matching keeps of a person — hashes of
	// the e-mail address and phone number, consent, opt-out, the age
	// check's answer; kept until erased.
	KindContact Kind = "contact"
	// KindContactDetails: e-mail addresses and phone numbers as given;
	// never stored, only their hashes (KindContact).
	KindContactDetails Kind = "contact_details"
	// KindPseudonym: a keyed pseudonym kept for an account; kept as long
	// as the account.
	KindPseudonym Kind = "pseudonym"
	// KindContent: the files processed and the metadata generated for
	// them; not kept after processing (see KindResult for the results a
	// job holds until they are fetched).
	KindContent Kind = "content"
	// KindJob: the record of a job (package jobs): its id, states, times
	// and error codes, and its files' names, states, times and credits,
	// never their content or results; kept as long as usage records
	// (Policy.UsageMonths calendar months after the job was created, see
	// UsageExpires).
	KindJob Kind = "job"
	// KindResult: the metadata generated for a file of a job, held until
	// it is fetched, and at most for the job service's result lifetime.
	KindResult Kind = "result"
)

// Policy says how long each kind of record is kept. The zero value is the
// service's promise: usage records three calendar months, top-ups
// indefinitely, content and results never. It is safe for concurrent use.
type Policy struct {
	// UsageMonths is how many calendar months a usage record is kept
	// after it was recorded; DefaultUsageMonths when zero.
	UsageMonths int
	// TopUpYears, when not zero, allows top-ups to be deleted after the
	// end of the TopUpYears-th calendar year after the year of payment. It
	// must be at least LegalTopUpYears. Zero keeps top-ups indefinitely.
	TopUpYears int
	// Location is the time zone whose calendar counts months and years;
	// UTC when nil.
	Location *time.Location
}

// Validate reports a policy that cannot be applied: negative periods, or a
// top-up period below the legal floor (ErrBelowLegalFloor).
func (p Policy) Validate() error {
	switch {
	case p.UsageMonths < 0:
		return fmt.Errorf("%w: usage months must not be negative", ErrInvalidPolicy)
	case p.TopUpYears < 0:
		return fmt.Errorf("%w: top-up years must not be negative", ErrInvalidPolicy)
	case p.TopUpYears > 0 && p.TopUpYears < LegalTopUpYears:
		return fmt.Errorf("%w: top-ups must be kept at least %d years after the year of payment, not %d",
			ErrBelowLegalFloor, LegalTopUpYears, p.TopUpYears)
	}
	return nil
}

func (p Policy) months() int {
	if p.UsageMonths == 0 {
		return DefaultUsageMonths
	}
	return p.UsageMonths
}

func (p Policy) loc() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// UsageExpires returns the end of the retention period of a usage record
// recorded at recorded, counted as EU Regulation 1182/71 art. 3 counts
// periods: the day of the recording is not counted, and the period ends
// with the last hour of the day with the same date UsageMonths calendar
// months later, or of that month's last day when the date does not exist
// (see AddMonths). A record recorded on 30 November at 10:00 with three
// months is kept until the end of 28 February (29 in a leap year), that
// is, until 1 March 00:00 in the policy's location. A sweep as of that
// instant or later purges it.
func (p Policy) UsageExpires(recorded time.Time) time.Time {
	y, m, d := AddMonths(midnight(recorded.In(p.loc())), p.months()).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, p.loc())
}

// Cutoff returns the oldest recording time a usage record may have to be
// kept at now: a record recorded before Cutoff(now) has outlived its
// period (UsageExpires(recorded) is not after now) and is purged; one
// recorded at or after it is kept. It is midnight in the policy's
// location, UsageMonths calendar months before now's date, or the first
// of the following month when that date does not exist (31 May − 3 months
// gives 1 March: every record of February has then served its period).
//
// Cutoff is also the right metering.Options.RefuseBefore: an event older
// than it could be a replay of a purged record.
func (p Policy) Cutoff(now time.Time) time.Time {
	day := midnight(now.In(p.loc()))
	c := AddMonths(day, -p.months())
	if c.Day() != day.Day() { // clamped to the month's last day
		y, m, _ := c.Date()
		return time.Date(y, m+1, 1, 0, 0, 0, 0, p.loc())
	}
	return c
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// TopUpLegalUntil returns the end of the legal retention of a top-up paid
// at paid: the end of the LegalTopUpYears-th calendar year after the year
// of payment (the instant the next year begins).
func (p Policy) TopUpLegalUntil(paid time.Time) time.Time {
	return time.Date(paid.In(p.loc()).Year()+LegalTopUpYears+1, time.January, 1, 0, 0, 0, 0, p.loc())
}

// TopUpKeptUntil returns until when the policy keeps a top-up paid at
// paid, and false when it keeps top-ups indefinitely (TopUpYears zero).
func (p Policy) TopUpKeptUntil(paid time.Time) (time.Time, bool) {
	if p.TopUpYears == 0 {
		return time.Time{}, false
	}
	years := max(p.TopUpYears, LegalTopUpYears)
	return time.Date(paid.In(p.loc()).Year()+years+1, time.January, 1, 0, 0, 0, 0, p.loc()), true
}

// TopUpCutoff returns the oldest payment time a top-up may have to be kept
// at now, and false when the policy keeps top-ups indefinitely (TopUpYears
// zero). A top-up paid before TopUpCutoff(now) has outlived its period
// (TopUpKeptUntil(paid) is not after now) and is purged; one paid at or
// after it is kept. It is 1 January 00:00, in the policy's location, of
// the year TopUpYears before now's year: with seven years, a sweep during
// 2025 purges the top-ups paid in 2017 or earlier, kept until 1 January
// 2025.
func (p Policy) TopUpCutoff(now time.Time) (time.Time, bool) {
	if p.TopUpYears == 0 {
		return time.Time{}, false
	}
	years := max(p.TopUpYears, LegalTopUpYears)
	return time.Date(now.In(p.loc()).Year()-years, time.January, 1, 0, 0, 0, 0, p.loc()), true
}
