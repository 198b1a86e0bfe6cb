package retention_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/retention"
)

// recordPurger is a Purger over records created at the given times.
type recordPurger struct {
	created []time.Time
	calls   []time.Time // the cutoffs it was called with
	dry     []bool
	err     error
}

func (p *recordPurger) PurgeRecords(_ context.Context, cutoff time.Time, dryRun bool) (int, error) {
	p.calls, p.dry = append(p.calls, cutoff), append(p.dry, dryRun)
	if p.err != nil {
		return 0, p.err
	}
	n := 0
	var kept []time.Time
	for _, c := range p.created {
		if c.Before(cutoff) {
			n++
			if dryRun {
				kept = append(kept, c)
			}
			continue
		}
		kept = append(kept, c)
	}
	p.created = kept
	return n, nil
}

func TestSweeperAlso(t *testing.T) {
	ctx := context.Background()
	now := today.AddDate(0, 4, 0)
	clock := func() time.Time { return now }
	ledger := metering.NewLedger(memstore.New(), metering.Options{Clock: clock})
	old, recent := &recordPurger{created: []time.Time{today, today.AddDate(0, 0, 1)}}, &recordPurger{created: []time.Time{now.Add(-time.Hour)}}
	sw := &retention.Sweeper{Ledger: ledger, Clock: clock, Also: []retention.Purger{old, recent}}

	r, err := sw.Sweep(ctx, retention.SweepOptions{DryRun: true})
	if err != nil || r.AlsoPurged != 2 || len(old.created) != 2 {
		t.Fatalf("dry run: %+v %v, left %d", r, err, len(old.created))
	}
	r, err = sw.Sweep(ctx, retention.SweepOptions{})
	if err != nil || r.AlsoPurged != 2 || len(old.created) != 0 || len(recent.created) != 1 {
		t.Fatalf("sweep: %+v %v", r, err)
	}
	// Each purger got the usage cutoff and the dry-run flag.
	want := retention.Policy{}.Cutoff(now)
	for _, p := range []*recordPurger{old, recent} {
		if len(p.calls) != 2 || !p.calls[0].Equal(want) || !p.calls[1].Equal(want) || !p.dry[0] || p.dry[1] {
			t.Fatalf("calls %v %v, want cutoff %v", p.calls, p.dry, want)
		}
	}

	// A failing purger's error has a code, and the sweep stops there:
	// the purgers after it wait for the next sweep.
	failing := &recordPurger{err: errors.New("disk gone")}
	sw = &retention.Sweeper{Ledger: ledger, Clock: clock, Also: []retention.Purger{failing, recent}}
	_, err = sw.Sweep(ctx, retention.SweepOptions{})
	if errcode.Of(err) != errcode.Unavailable || len(recent.calls) != 2 {
		t.Fatalf("failing purger: %v (code %s), later purger called %d times", err, errcode.Of(err), len(recent.calls))
	}
}

// A job service's records are purged with the usage records: pass it in
// Also (here a stand-in with one record created on 1 January).
func ExampleSweeper_also() {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	jobRecords := &recordPurger{created: []time.Time{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}}
	sw := &retention.Sweeper{
		Ledger: metering.NewLedger(memstore.New(), metering.Options{Clock: clock}),
		Clock:  clock,
		Also:   []retention.Purger{jobRecords}, // e.g. a *jobs.Service
	}
	r, err := sw.Sweep(context.Background(), retention.SweepOptions{})
	fmt.Println("cutoff", r.Cutoff.Format(time.DateOnly), "job records purged", r.AlsoPurged, err)
	// Output:
	// cutoff 2025-03-01 job records purged 1 <nil>
}
