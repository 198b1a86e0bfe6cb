package meteringtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
)

// BenchAuthorizeCapture measures Authorize+Capture pairs through a
// metering.Ledger over st with workers concurrent goroutines, each pair with its own idempotency key.
// With sameAccount every worker spends from one account (the contended
// case: one user's batch); otherwise each worker has its own. It reports
// pairs/s; ns/op is the time of one round of 8 pairs per worker.
func BenchAuthorizeCapture(b *testing.B, st driver.Store, workers int, sameAccount bool) {
	const perRound = 8
	ctx := context.Background()
	l := metering.NewLedger(st, metering.Options{})
	account := func(w int) string {
		if sameAccount {
			return "bench"
		}
		return fmt.Sprintf("bench-%d", w)
	}
	for w := range workers {
		if _, err := l.TopUp(ctx, metering.TopUp{Account: account(w), Credits: 1 << 50, PaymentRef: fmt.Sprintf("bench-pay-%d", w)}); err != nil && (!sameAccount || w == 0) {
			b.Fatal(err)
		}
		if sameAccount {
			break
		}
	}
	var seq atomic.Int64
	pairs := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for range perRound {
					key := fmt.Sprintf("k%d", seq.Add(1))
					h, err := l.Authorize(ctx, auth(account(w), key, 1))
					if err != nil {
						b.Error(err)
						return
					}
					if err := l.Capture(ctx, h, event(1)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		pairs += workers * perRound
	}
	b.ReportMetric(float64(pairs)/b.Elapsed().Seconds(), "pairs/s")
}
