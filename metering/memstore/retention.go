package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/picfre/picfre/metering/driver"
)

// CountPurgeable implements driver.PurgeCounter.
func (s *store) CountPurgeable(ctx context.Context, before time.Time) ([]driver.PurgeCount, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []driver.PurgeCount
	for name, a := range s.accounts {
		c := driver.PurgeCount{Account: name, LegalHold: a.legalHold}
		for _, u := range a.usage {
			if u.recorded.Before(before) {
				c.Records++
				c.Credits += u.event.Credits
			}
		}
		if c.Records > 0 {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(x, y driver.PurgeCount) int { return strings.Compare(x.Account, y.Account) })
	return out, nil
}

// WithSweepLock implements driver.SweepLocker with a flag held for the
// life of fn; now and lease are ignored, since the lock cannot outlive
// the process.
func (s *store) WithSweepLock(ctx context.Context, _ time.Time, _ time.Duration, fn func(ctx context.Context) error) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.sweepMu.Lock()
	if s.sweeping {
		s.sweepMu.Unlock()
		return false, nil
	}
	s.sweeping = true
	s.sweepMu.Unlock()
	defer func() {
		s.sweepMu.Lock()
		s.sweeping = false
		s.sweepMu.Unlock()
	}()
	return true, fn(ctx)
}

// CountPurgeableTopUps implements driver.TopUpPurgeCounter.
func (s *store) CountPurgeableTopUps(ctx context.Context, paidBefore time.Time) ([]driver.PurgeCount, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []driver.PurgeCount
	for name, a := range s.accounts {
		c := driver.PurgeCount{Account: name, LegalHold: a.legalHold}
		for _, e := range a.topups {
			if e.Time.Before(paidBefore) {
				c.Records++
				c.Credits += e.Credits
			}
		}
		if c.Records > 0 {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(x, y driver.PurgeCount) int { return strings.Compare(x.Account, y.Account) })
	return out, nil
}

// PurgeTopUps implements driver.Store. The payment references of the
// purged top-ups are forgotten.
func (s *store) PurgeTopUps(ctx context.Context, paidBefore time.Time, limit int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Oldest first across accounts, like the SQL stores (by Seq).
	var vs []driver.Entry
	for _, a := range s.accounts {
		if a.legalHold {
			continue
		}
		for _, e := range a.topups {
			if e.Time.Before(paidBefore) {
				vs = append(vs, e)
			}
		}
	}
	slices.SortFunc(vs, func(x, y driver.Entry) int { return cmp.Compare(x.Seq, y.Seq) })
	if len(vs) > limit {
		vs = vs[:limit]
	}
	drop := map[int64]bool{}
	for _, e := range vs {
		drop[e.Seq] = true
		delete(s.topups, e.Ref)
		a := s.accounts[e.Account]
		a.purgedCredits += e.Credits
		if e.Time.After(a.purgedTopUpsThrough) {
			a.purgedTopUpsThrough = e.Time
		}
	}
	for _, a := range s.accounts {
		a.topups = slices.DeleteFunc(a.topups, func(e driver.Entry) bool { return drop[e.Seq] })
	}
	return len(vs), nil
}
