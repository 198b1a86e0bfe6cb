package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/store"
)

func credits(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runCredits(t.Context(), args, &out, &errOut)
	return out.String(), err
}

func mustCredits(t *testing.T, args ...string) string {
	t.Helper()
	out, err := credits(t, args...)
	if err != nil {
		t.Fatalf("credits %v: %v", args, err)
	}
	return out
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output %q is not the expected JSON: %v", s, err)
	}
	return v
}

// exerciseCredits runs the CLI's credit commands against the ledger dsn.
func exerciseCredits(t *testing.T, dsn string) {
	first := decode[ledgerEntryRecord](t, mustCredits(t, "topup", "--ledger", dsn, "--account", "alice", "--credits", "100", "--ref", "pay-1"))
	if first.Kind != "topup" || first.Credits != 100 || first.Ref != "pay-1" || first.Account != "alice" || first.Seq == 0 {
		t.Fatalf("topup printed %+v", first)
	}
	again := decode[ledgerEntryRecord](t, mustCredits(t, "topup", "--ledger", dsn, "--account", "alice", "--credits", "100", "--ref", "pay-1"))
	if again.Seq != first.Seq {
		t.Fatalf("repeated topup printed %+v, want the first entry", again)
	}
	_, err := credits(t, "topup", "--ledger", dsn, "--account", "alice", "--credits", "50", "--ref", "pay-1")
	if !errors.Is(err, metering.ErrConflict) {
		t.Fatalf("same ref with another amount: %v, want ErrConflict", err)
	}
	bal := decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", dsn, "--account", "alice"))
	if bal != (balanceRecord{Account: "alice", Credits: 100, Available: 100}) {
		t.Fatalf("balance = %+v", bal)
	}

	// Charge one file the way the pipeline does, through the same DSN.
	db, err := store.Open(t.Context(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := db.Ledger()
	h, err := l.Authorize(t.Context(), metering.Authorization{Account: "alice", IdempotencyKey: "k1", Credits: 7, Task: "metadata", MediaType: "image"})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Capture(context.WithoutCancel(t.Context()), h, metering.Event{File: "beach.jpg", Provider: "local", Model: "local-1", InputTokens: 10}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	bal = decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", dsn, "--account", "alice"))
	if bal.Credits != 93 || bal.Available != 93 {
		t.Fatalf("balance after a charge = %+v", bal)
	}
	out := mustCredits(t, "history", "--ledger", dsn, "--account", "alice")
	var recs []ledgerEntryRecord
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		recs = append(recs, decode[ledgerEntryRecord](t, sc.Text()))
	}
	if len(recs) != 2 || recs[0].Kind != "topup" || recs[1].Kind != "usage" || recs[1].Credits != -7 ||
		recs[1].File != "beach.jpg" || recs[1].Task != "metadata" || recs[1].InputTokens != 10 || recs[1].EventTime == nil {
		t.Fatalf("history =\n%s", out)
	}
	if out := mustCredits(t, "history", "--ledger", dsn, "--account", "nobody"); out != "" {
		t.Fatalf("history of an unknown account = %q", out)
	}

	// The payment of pay-1 is refunded after 7 credits were spent: 93 are
	// taken back, 7 are owed, and the next top-up pays them first.
	rev := decode[ledgerEntryRecord](t, mustCredits(t, "reverse", "--ledger", dsn, "--ref", "pay-1", "--key", "re-1", "--credits", "100", "--reason", "refund"))
	if rev.Kind != "reversal" || rev.Credits != -93 || rev.Ref != "re-1" || rev.Account != "alice" || rev.Reason != "refund" {
		t.Fatalf("reverse printed %+v", rev)
	}
	if again := decode[ledgerEntryRecord](t, mustCredits(t, "reverse", "--ledger", dsn, "--ref", "pay-1", "--key", "re-1", "--credits", "100", "--reason", "refund")); again != rev {
		t.Fatalf("repeated reverse printed %+v, want %+v", again, rev)
	}
	if _, err := credits(t, "reverse", "--ledger", dsn, "--ref", "pay-none", "--key", "re-2", "--credits", "1"); !errors.Is(err, metering.ErrUnknownPayment) {
		t.Fatalf("reverse of an unknown payment: %v, want ErrUnknownPayment", err)
	}
	bal = decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", dsn, "--account", "alice"))
	if bal != (balanceRecord{Account: "alice", Owed: 7}) {
		t.Fatalf("balance after the reversal = %+v, want 7 owed", bal)
	}
	top := decode[ledgerEntryRecord](t, mustCredits(t, "topup", "--ledger", dsn, "--account", "alice", "--credits", "10", "--ref", "pay-2",
		"--amount", "499", "--currency", "usd"))
	if top.Amount != 499 || top.Currency != "usd" || top.Credits != 10 {
		t.Fatalf("topup with money printed %+v", top)
	}
	bal = decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", dsn, "--account", "alice"))
	if bal != (balanceRecord{Account: "alice", Credits: 3, Available: 3}) {
		t.Fatalf("balance after paying what was owed = %+v", bal)
	}
	out = mustCredits(t, "history", "--ledger", dsn, "--account", "alice")
	recs = recs[:0]
	sc = bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		recs = append(recs, decode[ledgerEntryRecord](t, sc.Text()))
	}
	if len(recs) != 5 || recs[2].Kind != "reversal" || recs[3].Kind != "topup" || recs[3].Amount != 499 ||
		recs[4].Kind != "reversal" || recs[4].Ref != "pay-2/owed" || recs[4].Credits != -7 {
		t.Fatalf("history after the reversal =\n%s", out)
	}
}

func TestCreditsSQLite(t *testing.T) {
	exerciseCredits(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
}

func TestCreditsPostgres(t *testing.T) {
	exerciseCredits(t, testenv.Postgres(t))
}

func TestCreditsUsage(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	for _, args := range [][]string{
		{},
		{"spend", "--account", "a"},
		{"balance", "--ledger", dsn},
		{"topup", "--ledger", dsn, "--account", "a", "--ref", "p"},
		{"topup", "--ledger", dsn, "--account", "a", "--credits", "-3", "--ref", "p"},
		{"topup", "--ledger", dsn, "--account", "a", "--credits", "3"},
		{"balance", "--ledger", dsn, "--account", "a", "extra"},
		{"balance", "--bogus"},
		{"reverse", "--ledger", dsn, "--ref", "p", "--credits", "3"},
		{"reverse", "--ledger", dsn, "--key", "k", "--credits", "3"},
		{"reverse", "--ledger", dsn, "--ref", "p", "--key", "k"},
		{"reverse", "--ledger", dsn, "--ref", "p", "--key", "k", "--credits", "3", "--account", "a"},
	} {
		if _, err := credits(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("credits %q: error %v, want a usage error", args, err)
		}
	}
	if _, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:")); !os.IsNotExist(err) {
		t.Errorf("a usage error created the ledger file")
	}
	if out := mustCredits(t, "help"); !strings.Contains(out, "credits topup") {
		t.Errorf("help printed %q", out)
	}
}

func TestOpenLedgerRejectsUnknownDSN(t *testing.T) {
	for _, dsn := range []string{"mysql://root:s3cret@db/ledger", "picfre-ledger.db", "sqlite:", ""} {
		_, err := credits(t, "balance", "--ledger", dsn, "--account", "a")
		if !errors.Is(err, store.ErrInvalidDSN) {
			t.Errorf("credits --ledger %q = %v, want store.ErrInvalidDSN", dsn, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error repeats the password: %v", err)
		}
	}
	_, err := credits(t, "balance", "--ledger", "postgres://u:s3cret@127.0.0.1:1/x?connect_timeout=1", "--account", "a")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("unreachable server: %v", err)
	}
}
