package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/picfre/picfre/metering"
)

// CountPurgeable implements metering.PurgeCounter.
func (s *Store) CountPurgeable(ctx context.Context, before time.Time) ([]metering.PurgeCount, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []metering.PurgeCount
	for name, a := range s.accounts {
		c := metering.PurgeCount{Account: name, LegalHold: a.legalHold}
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
	slices.SortFunc(out, func(x, y metering.PurgeCount) int { return strings.Compare(x.Account, y.Account) })
	return out, nil
}

// WithSweepLock implements metering.SweepLocker with a flag held for the
// life of fn; now and lease are ignored, since the lock cannot outlive
// the process.
func (s *Store) WithSweepLock(ctx context.Context, _ time.Time, _ time.Duration, fn func(ctx context.Context) error) (bool, error) {
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
