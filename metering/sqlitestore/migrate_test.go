package sqlitestore_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/meteringtest"
)

// A ledger made before the replay window (schema version 4) migrates: a
// key it captured is a free replay within the window of its capture and a
// new charge after it, with a second usage record of the same key.
func TestMigrateReplayWindow(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ledger.db")
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"0001_init.sql", "0002_sweep_lock.sql", "0003_purged_topups.sql", "0004_void_reason.sql"} {
		body, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	at := meteringtest.Epoch.UnixMicro()
	for _, q := range []string{
		`CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`,
		`INSERT INTO schema_version VALUES (1, 0), (2, 0), (3, 0), (4, 0)`,
		`INSERT INTO accounts (account, balance) VALUES ('acme', 90)`,
		`UPDATE ledger_seq SET seq = 2`,
		`INSERT INTO topups VALUES (1, 'acme', 'pay-1', 100, 0)`,
		`INSERT INTO holds (account, idem_key, hold_id, state, credits, task, media_type, created_at, expires_at)
			VALUES ('acme', 'k1', 'h1', 'captured', 10, 'metadata', 'image', ?1, ?1 + 600000000)`,
		`INSERT INTO usage VALUES (2, 'acme', 'k1', 'a.jpg', ?1, 'metadata', 'image', 10, 'local', 'm', 0, 0, ?1)`,
	} {
		if _, err := db.Exec(q, at); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	clock := meteringtest.NewClock(meteringtest.Epoch.Add(time.Hour))
	l := metering.NewLedger(open(t, file), metering.Options{Clock: clock.Now})
	auth := metering.Authorization{Account: "acme", IdempotencyKey: "k1", Credits: 10, Task: "metadata", MediaType: "image"}
	h, err := l.Authorize(t.Context(), auth)
	if err != nil || !h.Settled || h.ID != "h1" {
		t.Fatalf("replay within the window = %+v, %v; want the migrated hold, settled", h, err)
	}
	clock.Advance(metering.DefaultReplayWindow)
	h, err = l.Authorize(t.Context(), auth)
	if err != nil || h.Settled {
		t.Fatalf("replay after the window = %+v, %v; want a new hold", h, err)
	}
	if err := l.Capture(t.Context(), h, metering.Event{File: "a.jpg"}); err != nil {
		t.Fatal(err)
	}
	usage, err := l.Usage(t.Context(), "acme")
	if b, _ := l.Balance(t.Context(), "acme"); err != nil || len(usage) != 2 || b.Credits != 80 {
		t.Fatalf("usage %+v, balance %+v, %v; want two records and 80 credits", usage, b, err)
	}
}

// A ledger made before reversals (schema version 5) migrates: its
// top-ups have no money, its accounts owe nothing, and they can be
// reversed.
func TestMigrateReversals(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ledger.db")
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"0001_init.sql", "0002_sweep_lock.sql", "0003_purged_topups.sql", "0004_void_reason.sql", "0005_replay_window.sql"} {
		body, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, q := range []string{
		`CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`,
		`INSERT INTO schema_version VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)`,
		`INSERT INTO accounts (account, balance) VALUES ('acme', 100)`,
		`UPDATE ledger_seq SET seq = 1`,
		`INSERT INTO topups VALUES (1, 'acme', 'pay-1', 100, 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	l := metering.NewLedger(open(t, file), metering.Options{})
	ctx := t.Context()
	tops, err := l.TopUps(ctx, "acme")
	if err != nil || len(tops) != 1 || tops[0].Amount != 0 || tops[0].Currency != "" || tops[0].Credits != 100 {
		t.Fatalf("migrated top-ups = %+v, %v", tops, err)
	}
	// The old top-up replays as one without money, and conflicts with it.
	if _, err := l.TopUp(ctx, metering.TopUp{Account: "acme", Credits: 100, PaymentRef: "pay-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.TopUp(ctx, metering.TopUp{Account: "acme", Credits: 100, PaymentRef: "pay-1", Amount: 1, Currency: "eur"}); !errors.Is(err, metering.ErrConflict) {
		t.Fatalf("replay with money = %v, want ErrConflict", err)
	}
	if e, err := l.Reverse(ctx, metering.Reversal{PaymentRef: "pay-1", Key: "re-1", Credits: 30}); err != nil || e.Credits != -30 || e.Seq != 2 {
		t.Fatalf("Reverse of a migrated top-up = %+v, %v", e, err)
	}
	if b, err := l.Balance(ctx, "acme"); err != nil || b != (metering.Balance{Credits: 70, Available: 70}) {
		t.Fatalf("balance = %+v, %v; want 70, nothing owed", b, err)
	}
	meteringtest.ReconcileAccount(t, l, "acme")
}
