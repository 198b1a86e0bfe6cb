package privacy_test

import (
	"slices"
	"testing"
	"time"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/retention"
)

// TestExportReversals: a data subject's export shows the money of a
// top-up, the reversal of its refunded payment, and what is owed; an
// erasure keeps all three as payment records.
func TestExportReversals(t *testing.T) {
	for name, mk := range backends() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			now := t0
			clock := func() time.Time { return now }
			l := mk(t, metering.Options{Clock: clock}).Ledger()
			subj := &privacy.Subjects{Contacts: contactstore.NewMemory(), Ledger: l, Clock: clock}
			if _, err := l.TopUp(ctx, metering.TopUp{Account: "jane", Credits: 50, PaymentRef: "pi_1", Amount: 990, Currency: "eur"}); err != nil {
				t.Fatal(err)
			}
			h, err := l.Authorize(ctx, metering.Authorization{Account: "jane", IdempotencyKey: "k1", Credits: 20})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Capture(ctx, h, metering.Event{File: "k1.jpg"}); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Minute)
			if _, err := l.Reverse(ctx, metering.Reversal{PaymentRef: "pi_1", Key: "dp_1", Credits: 50, Reason: "dispute"}); err != nil {
				t.Fatal(err)
			}
			x, err := subj.Export(ctx, "jane")
			if err != nil {
				t.Fatal(err)
			}
			if len(x.TopUps) != 1 || x.TopUps[0].Amount != 990 || x.TopUps[0].Currency != "eur" || x.TopUps[0].PaymentRef != "pi_1" {
				t.Fatalf("exported top-ups = %+v; want pi_1 with 990 eur", x.TopUps)
			}
			want := []privacy.ExportEntry{{Seq: x.Credits[0].Seq, Kind: "reversal", Credits: -30, Ref: "dp_1", Reason: "dispute", Time: now}}
			if !slices.Equal(x.Credits, want) {
				t.Fatalf("exported credit entries = %+v, want %+v", x.Credits, want)
			}
			if x.Balance == nil || *x.Balance != (privacy.ExportBalance{Owed: 20}) {
				t.Fatalf("exported balance = %+v; want 0 credits, 20 owed", x.Balance)
			}
			if got := kinds(x.Retained); !slices.Contains(got, retention.KindReversal) {
				t.Fatalf("retention statement kinds = %v; want the reversal stated", got)
			}
			rep, err := subj.Erase(ctx, "jane")
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(rep.Kept); !slices.Equal(got, []retention.Kind{retention.KindTopUp, retention.KindReversal, retention.KindBalance}) {
				t.Fatalf("erasure kept %v", got)
			}
			after, err := subj.Export(ctx, "jane")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(after.TopUps, x.TopUps) || !slices.Equal(after.Credits, x.Credits) || *after.Balance != *x.Balance {
				t.Fatalf("erasure changed the payment records: %+v, was %+v", after, x)
			}
		})
	}
}
