package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/store"
)

// sub runs one of the subcommand functions in-process and returns its
// outputs.
func sub(t *testing.T, fn func(context.Context, []string, env) error, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	err := fn(t.Context(), args, testEnv(nil, &out, &errw))
	return out.String(), errw.String(), err
}

func mustSub(t *testing.T, fn func(context.Context, []string, env) error, args ...string) string {
	t.Helper()
	out, errw, err := sub(t, fn, args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errw)
	}
	return out
}

// recordUsage charges one file on account at the time now, through a
// ledger whose clock reads now.
func recordUsage(t *testing.T, dsn, account, key string, credits int64, now time.Time) {
	t.Helper()
	db, err := store.Open(t.Context(), dsn, store.Options{Ledger: metering.Options{Clock: func() time.Time { return now }}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := db.Ledger()
	h, err := l.Authorize(t.Context(), metering.Authorization{Account: account, IdempotencyKey: key, Credits: credits, Task: "metadata", MediaType: "image"})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Capture(t.Context(), h, metering.Event{File: key}); err != nil {
		t.Fatal(err)
	}
}

func runCreditsEnv(ctx context.Context, args []string, e env) error {
	return runCredits(ctx, args, e.stdout, e.stderr)
}

func historyKinds(t *testing.T, dsn, account string) string {
	t.Helper()
	var kinds []string
	for _, line := range strings.Split(strings.TrimSpace(mustSub(t, runCreditsEnv, "history", "--ledger", dsn, "--account", account)), "\n") {
		if line != "" {
			kinds = append(kinds, decode[ledgerEntryRecord](t, line).Kind)
		}
	}
	return strings.Join(kinds, ",")
}

// exerciseRetention is the promise through the CLI: usage
// recorded today survives "retention sweep --as-of" one day before three
// months have passed and is gone one day after; top-ups and balances are
// unchanged by any sweep; a legal hold stops the sweep for that account.
func exerciseRetention(t *testing.T, dsn string) {
	today := time.Date(2025, 5, 31, 14, 0, 0, 0, time.UTC)
	for _, a := range []string{"alice", "bob"} {
		mustSub(t, runCreditsEnv, "topup", "--ledger", dsn, "--account", a, "--credits", "100", "--ref", "pay-"+a)
		recordUsage(t, dsn, a, a+"-photo.jpg", 7, today)
	}
	balances := func() string {
		return mustSub(t, runCreditsEnv, "balance", "--ledger", dsn, "--account", "alice") +
			mustSub(t, runCreditsEnv, "balance", "--ledger", dsn, "--account", "bob")
	}
	before := balances()
	if !strings.Contains(before, `"credits":93`) {
		t.Fatalf("balances before = %s", before)
	}
	three := retention.AddMonths(today, 3) // 31 August
	sweep := func(asOf time.Time, extra ...string) retention.Report {
		t.Helper()
		args := append([]string{"sweep", "--ledger", dsn, "--as-of", asOf.Format(time.RFC3339)}, extra...)
		return decode[retention.Report](t, mustSub(t, runRetention, args...))
	}

	r := sweep(three.AddDate(0, 0, -1))
	if r.Purged != 0 || historyKinds(t, dsn, "alice") != "topup,usage" {
		t.Fatalf("sweep one day before three months: %+v; history %s", r, historyKinds(t, dsn, "alice"))
	}
	mustSub(t, runRetention, "hold", "--ledger", dsn, "--account", "bob")
	r = sweep(three.AddDate(0, 0, 1), "--dry-run")
	if !r.DryRun || r.Purged != 1 || len(r.Accounts) != 1 || r.Accounts[0].Account != "alice" || len(r.SkippedHeld) != 1 || r.SkippedHeld[0] != "bob" {
		t.Fatalf("dry run: %+v", r)
	}
	if historyKinds(t, dsn, "alice") != "topup,usage" {
		t.Fatal("a dry run purged usage")
	}
	r = sweep(three.AddDate(0, 0, 1))
	if r.Purged != 1 || r.SkippedHeld[0] != "bob" || !r.Cutoff.Equal(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("sweep one day after three months: %+v", r)
	}
	if got := historyKinds(t, dsn, "alice"); got != "purged,topup" {
		t.Fatalf("alice's history after the sweep: %s, want the usage folded into the rollup", got)
	}
	if got := historyKinds(t, dsn, "bob"); got != "topup,usage" {
		t.Fatalf("bob (legal hold) after the sweep: %s", got)
	}
	if after := balances(); after != before {
		t.Fatalf("a sweep changed balances:\n%s\nwas\n%s", after, before)
	}
	mustSub(t, runRetention, "hold", "--ledger", dsn, "--account", "bob", "--off")
	if r = sweep(three.AddDate(0, 0, 1)); r.Purged != 1 || len(r.SkippedHeld) != 0 {
		t.Fatalf("sweep after the hold was lifted: %+v", r)
	}
	if after := balances(); after != before {
		t.Fatalf("a sweep changed balances:\n%s\nwas\n%s", after, before)
	}
	if _, _, err := sub(t, runRetention, "sweep", "--ledger", dsn, "--as-of", time.Now().AddDate(1, 0, 0).Format(time.RFC3339)); !errors.Is(err, errUsage) {
		t.Fatalf("a deleting sweep in the future: %v, want a usage error", err)
	}
}

func TestRetentionSQLite(t *testing.T) {
	exerciseRetention(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
}

func TestRetentionPostgres(t *testing.T) {
	exerciseRetention(t, testenv.Postgres(t))
}

// exerciseTopUpRetention: with --topup-years 7 a top-up paid in 2017 is
// kept by a sweep as of the last instant of 2024 and purged by one as of
// 1 January 2025, a newer one and one under a legal hold are kept, and no
// balance changes; without the flag no top-up is ever purged.
func exerciseTopUpRetention(t *testing.T, dsn string) {
	for _, tu := range []struct {
		account, ref string
		paid         time.Time
	}{
		{"carol", "pay-2017", time.Date(2017, 7, 1, 0, 0, 0, 0, time.UTC)},
		{"carol", "pay-2018", time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"dave", "pay-dave", time.Date(2017, 7, 1, 0, 0, 0, 0, time.UTC)},
	} {
		db, err := store.Open(t.Context(), dsn, store.Options{Ledger: metering.Options{Clock: func() time.Time { return tu.paid }}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.Ledger().TopUp(t.Context(), metering.TopUp{Account: tu.account, Credits: 40, PaymentRef: tu.ref})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	balances := func() string {
		return mustSub(t, runCreditsEnv, "balance", "--ledger", dsn, "--account", "carol") +
			mustSub(t, runCreditsEnv, "balance", "--ledger", dsn, "--account", "dave")
	}
	before := balances()
	if !strings.Contains(before, `"credits":80`) {
		t.Fatalf("balances before = %s", before)
	}
	sweep := func(asOf string, extra ...string) retention.Report {
		t.Helper()
		args := append([]string{"sweep", "--ledger", dsn, "--as-of", asOf}, extra...)
		return decode[retention.Report](t, mustSub(t, runRetention, args...))
	}
	mustSub(t, runRetention, "hold", "--ledger", dsn, "--account", "dave")
	if r := sweep("2025-06-01T00:00:00Z"); r.TopUpsPurged != 0 || historyKinds(t, dsn, "carol") != "topup,topup" {
		t.Fatalf("sweep without --topup-years: %+v; history %s", r, historyKinds(t, dsn, "carol"))
	}
	if r := sweep("2024-12-31T23:59:59.999999Z", "--topup-years", "7"); r.TopUpsPurged != 0 || historyKinds(t, dsn, "carol") != "topup,topup" {
		t.Fatalf("sweep just before the end of 2024: %+v; history %s", r, historyKinds(t, dsn, "carol"))
	}
	r := sweep("2025-01-01T00:00:00Z", "--topup-years", "7")
	if r.TopUpsPurged != 1 || len(r.TopUpAccounts) != 1 || r.TopUpAccounts[0].Account != "carol" ||
		len(r.SkippedHeld) != 1 || r.SkippedHeld[0] != "dave" {
		t.Fatalf("sweep as of 1 January 2025: %+v", r)
	}
	if got := historyKinds(t, dsn, "carol"); got != "purged_topups,topup" {
		t.Fatalf("carol's history after the sweep: %s, want the 2017 top-up folded into the rollup", got)
	}
	if got := historyKinds(t, dsn, "dave"); got != "topup" {
		t.Fatalf("dave (legal hold) after the sweep: %s", got)
	}
	if after := balances(); after != before {
		t.Fatalf("a sweep changed balances:\n%s\nwas\n%s", after, before)
	}
}

func TestTopUpRetentionSQLite(t *testing.T) {
	exerciseTopUpRetention(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
}

func TestTopUpRetentionPostgres(t *testing.T) {
	exerciseTopUpRetention(t, testenv.Postgres(t))
}

func TestRetentionUsage(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	for _, args := range [][]string{
		{},
		{"purge"},
		{"sweep", "--ledger", dsn, "--as-of", "yesterday"},
		{"sweep", "--ledger", dsn, "--usage-months", "0"},
		{"sweep", "--ledger", dsn, "--topup-years", "6"},
		{"sweep", "--ledger", dsn, "--topup-years", "-1"},
		{"sweep", "--ledger", dsn, "extra"},
		{"hold", "--ledger", dsn},
		{"sweep", "--bogus"},
	} {
		if _, _, err := sub(t, runRetention, args...); !errors.Is(err, errUsage) {
			t.Errorf("retention %q: %v, want a usage error", args, err)
		}
	}
	if out := mustSub(t, runRetention, "help"); !strings.Contains(out, "retention sweep") {
		t.Errorf("help printed %q", out)
	}
}
