package pgstore_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering/pgstore"
)

// silentServer accepts TCP connections and never answers, as a stuck
// server or a black-holing proxy does. It returns its address.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // kept open, never read
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// Opening a server that accepts TCP but never answers fails after the
// connect timeout with unavailable, instead of hanging.
func TestOpenSilentServerTimesOut(t *testing.T) {
	dsn := "postgres://picfre@" + silentServer(t) + "/ledger?sslmode=disable"
	done := make(chan error, 1)
	go func() {
		s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{ConnectTimeout: 100 * time.Millisecond})
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || errcode.Of(err) != errcode.Unavailable || !errors.Is(err, errcode.Unavailable) {
			t.Fatalf("Open = %v (%s), want unavailable", err, errcode.Of(err))
		}
	case <-time.After(2 * time.Minute): // a watchdog, far above the timeout
		t.Fatal("Open of a silent server is still waiting")
	}
}

// The statement timeout bounds an operation even when connecting does
// not time out: here the connect timeout is far longer than it.
func TestOpenSilentServerStatementTimeout(t *testing.T) {
	dsn := "postgres://picfre@" + silentServer(t) + "/ledger?sslmode=disable&connect_timeout=3600"
	done := make(chan error, 1)
	go func() {
		s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{StatementTimeout: 100 * time.Millisecond})
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if errcode.Of(err) != errcode.Unavailable {
			t.Fatalf("Open = %v (%s), want unavailable", err, errcode.Of(err))
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("Open of a silent server is still waiting")
	}
}

func TestParseConfigDeadlines(t *testing.T) {
	cfg, err := pgstore.ParseConfig("postgres://u@localhost/db", pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.ConnectTimeout != pgstore.DefaultConnectTimeout || cfg.ConnConfig.RuntimeParams["statement_timeout"] != "30000" {
		t.Fatalf("connect timeout %v, statement_timeout %q", cfg.ConnConfig.ConnectTimeout, cfg.ConnConfig.RuntimeParams["statement_timeout"])
	}
	cfg, err = pgstore.ParseConfig("postgres://u@localhost/db?connect_timeout=3&statement_timeout=500", pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.ConnectTimeout != 3*time.Second || cfg.ConnConfig.RuntimeParams["statement_timeout"] != "500" {
		t.Fatalf("the DSN's own timeouts were overridden: %v, %q", cfg.ConnConfig.ConnectTimeout, cfg.ConnConfig.RuntimeParams["statement_timeout"])
	}
	if _, err := pgstore.ParseConfig("postgres://u:s3cret@[bad", pgstore.Options{}); errcode.Of(err) != errcode.InvalidArgument {
		t.Fatalf("bad DSN: %v", err)
	}
}
