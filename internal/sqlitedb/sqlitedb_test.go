package sqlitedb_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/sqlitedb"
)

func TestOpenSettings(t *testing.T) {
	for _, c := range []struct {
		opts       sqlitedb.Options
		busyMillis int
		sync       int // PRAGMA synchronous: 1 NORMAL, 2 FULL, 3 EXTRA
	}{
		{sqlitedb.Options{}, 10000, 2},
		{sqlitedb.Options{BusyTimeout: 1500 * time.Millisecond, Synchronous: "normal"}, 1500, 1},
		{sqlitedb.Options{Synchronous: "EXTRA"}, 10000, 3},
	} {
		db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "x.db"), c.opts)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var busy, sync, fk int
		var journal string
		for q, dst := range map[string]any{
			"PRAGMA busy_timeout": &busy, "PRAGMA synchronous": &sync, "PRAGMA foreign_keys": &fk, "PRAGMA journal_mode": &journal,
		} {
			if err := db.QueryRowContext(t.Context(), q).Scan(dst); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if busy != c.busyMillis || sync != c.sync || fk != 1 || journal != "wal" {
			t.Errorf("%+v: busy %d, synchronous %d, foreign_keys %d, journal %s", c.opts, busy, sync, fk, journal)
		}
		// Transactions are immediate: a transaction that only reads
		// already holds the write lock, so a second one cannot begin.
		tx, err := db.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(t.Context(), "PRAGMA busy_timeout = 0"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err == nil || !strings.Contains(err.Error(), "locked") {
			t.Errorf("a second writer began beside an open transaction: %v", err)
		}
		conn.Close()
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	for _, c := range []struct {
		path string
		opts sqlitedb.Options
	}{
		{"", sqlitedb.Options{}},
		{"/tmp/secret?mode=ro", sqlitedb.Options{}},
		{"a#b", sqlitedb.Options{}},
		{"x.db", sqlitedb.Options{Synchronous: "OFF"}},
		{"x.db", sqlitedb.Options{BusyTimeout: -time.Second}},
	} {
		_, err := sqlitedb.Open(c.path, c.opts)
		if errcode.Of(err) != errcode.InvalidArgument {
			t.Errorf("Open(%q, %+v) = %v, want invalid_argument", c.path, c.opts, err)
		}
		if c.path != "" && err != nil && strings.Contains(err.Error(), c.path) {
			t.Errorf("the error repeats the path: %v", err)
		}
	}
}
