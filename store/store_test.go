package store_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/pgstore"
	"github.com/picfre/picfre/store"
)

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		dsn        string
		invalidDSN bool // errors.Is(err, store.ErrInvalidDSN)
	}{
		{"", true},
		{"picfre-ledger.db", true},
		{"mysql://root:s3cret@db/ledger", true},
		{"s3cret@db:x", true},
		{"sqlite:", true},
		{"sqlite://", true},
		{"postgres://u:s3cret@db:notaport/x", true},
		{"sqlite:" + filepath.Join(dir, "x.db") + "?s3cret=1", false}, // refused by the SQLite store itself
	} {
		db, err := store.Open(t.Context(), c.dsn, store.Options{})
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", c.dsn)
			continue
		}
		if errcode.Of(err) != errcode.InvalidArgument || errors.Is(err, store.ErrInvalidDSN) != c.invalidDSN {
			t.Errorf("Open(%q) = %v (%s); want invalid_argument, ErrInvalidDSN %v", c.dsn, err, errcode.Of(err), c.invalidDSN)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q): the error repeats the DSN: %v", c.dsn, err)
		}
	}
	_, err := store.Open(t.Context(), "mysql://root:s3cret@db/ledger", store.Options{})
	if got, want := err.Error(), `store: the DSN must be sqlite:PATH or a postgres:// (postgresql://) URL (got scheme "mysql")`; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := store.Open(ctx, "postgres://u:s3cret@127.0.0.1:1/x?connect_timeout=1", store.Options{})
	if errcode.Of(err) != errcode.Unavailable || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("unreachable server: %v (%s); want unavailable, no password", err, errcode.Of(err))
	}
}

// exercise tops up through one DB and reads through another on the same
// database, then checks Close.
func exercise(t *testing.T, dsnA, dsnB string) {
	t.Helper()
	ctx := t.Context()
	a, err := store.Open(ctx, dsnA, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := a.Ledger()
	if _, err := a.Ledger().TopUp(ctx, metering.TopUp{Account: "acme", Credits: 12, PaymentRef: "pay-1"}); err != nil {
		t.Fatal(err)
	}
	b, err := store.Open(ctx, dsnB, store.Options{Ledger: metering.Options{HoldTTL: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if bal, err := b.Ledger().Balance(ctx, "acme"); err != nil || bal.Credits != 12 {
		t.Fatalf("balance through the second DB = %+v, %v", bal, err)
	}
	if a.Ledger() != first {
		t.Fatal("Ledger returns different ledgers")
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := a.Ledger().Balance(ctx, "acme"); !errors.Is(err, metering.ErrClosed) {
		t.Fatalf("a call after Close: %v", err)
	}
	if err := a.Close(); !errors.Is(err, metering.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

func TestOpenSQLite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ledger.db")
	exercise(t, "sqlite:"+file, "sqlite://"+file)
}

func TestOpenPostgres(t *testing.T) {
	dsn := testenv.Postgres(t)
	exercise(t, dsn, strings.Replace(dsn, "postgres://", "postgresql://", 1))
}

// TestPostgresSharedPool: a store made with pgstore.New leaves the
// caller's pool open when the Ledger closes.
func TestPostgresSharedPool(t *testing.T) {
	dsn := testenv.Postgres(t)
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	d, err := pgstore.New(ctx, pool, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := metering.NewLedger(d, metering.Options{})
	if _, err := l.TopUp(ctx, metering.TopUp{Account: "acme", Credits: 3, PaymentRef: "pay-1"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM topups`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the pool after the Ledger closed: %d top-ups, %v", n, err)
	}
	// A second store on the same pool finds the schema migrated.
	d2, err := pgstore.New(ctx, pool, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := metering.NewLedger(d2, metering.Options{}).Balance(ctx, "acme"); err != nil || b.Credits != 3 {
		t.Fatalf("balance through a second store = %+v, %v", b, err)
	}
}

func TestMemory(t *testing.T) {
	db := store.Memory(store.Options{})
	if _, err := db.Ledger().TopUp(t.Context(), metering.TopUp{Account: "acme", Credits: 1, PaymentRef: "p"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); !errors.Is(err, metering.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

// A server that accepts TCP but never answers: Open fails after the
// connect timeout of Options.Postgres instead of hanging.
func TestOpenSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	done := make(chan error, 1)
	go func() {
		db, err := store.Open(context.Background(), "postgres://u:s3cret@"+ln.Addr().String()+"/x?sslmode=disable",
			store.Options{Postgres: pgstore.Options{ConnectTimeout: 100 * time.Millisecond}})
		if err == nil {
			db.Close()
		}
		done <- err
	}()
	for {
		select {
		case c := <-accepted:
			held = append(held, c) // never answered
		case err := <-done:
			if errcode.Of(err) != errcode.Unavailable || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("silent server: %v (%s); want unavailable, no password", err, errcode.Of(err))
			}
			return
		case <-time.After(2 * time.Minute): // a watchdog, far above the timeout
			t.Fatal("Open of a silent server is still waiting")
		}
	}
}
