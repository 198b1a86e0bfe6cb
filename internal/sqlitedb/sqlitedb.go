// Package sqlitedb opens SQLite files through modernc.org/sqlite (pure Go,
// no cgo) with the settings every picfre store shares, so that the
// ledger, the privacy store and, later, the job queue open one file alike
// and nobody writes a DSN by hand.
//
// # Settings
//
//   - _txlock=immediate: every transaction is BEGIN IMMEDIATE, so a
//     writer takes SQLite's single write lock before it reads, and two
//     writers never both decide from the same snapshot;
//   - busy_timeout (10 s by default): how long a writer waits for another
//     process's write transaction;
//   - journal_mode=WAL: readers do not block the writer;
//   - synchronous=FULL by default (a commit survives a power cut), or
//     NORMAL (survives a process crash, may lose the last commits on power
//     loss);
//   - foreign_keys=1.
//
// A file opened this way may be shared by the processes of one machine
// (on a local file system; not over NFS).
package sqlitedb

import (
	"database/sql"
	"net/url"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/picfre/picfre/errcode"
)

// DefaultBusyTimeout is the busy timeout when Options.BusyTimeout is zero.
const DefaultBusyTimeout = 10 * time.Second

// Options tune Open. The zero value means the defaults.
type Options struct {
	// BusyTimeout is how long a write waits for the database lock held by
	// another process; DefaultBusyTimeout when zero.
	BusyTimeout time.Duration
	// Synchronous is SQLite's synchronous setting: "FULL" (the default),
	// "NORMAL" or "EXTRA", in any case.
	Synchronous string
}

// Open returns a *sql.DB for the SQLite file at path (created on first
// write) with the package's settings. It connects lazily, as sql.Open
// does. path must be non-empty and hold no '?' or '#'; a bad path or
// option fails with errcode.InvalidArgument and a message that does not
// repeat the path and names no package (the caller adds its own).
func Open(path string, opts Options) (*sql.DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, errcode.New(errcode.InvalidArgument, "the SQLite path must be non-empty and contain no '?' or '#'")
	}
	busy := opts.BusyTimeout
	switch {
	case busy < 0:
		return nil, errcode.New(errcode.InvalidArgument, "the SQLite busy timeout is negative")
	case busy == 0:
		busy = DefaultBusyTimeout
	}
	mode := strings.ToUpper(opts.Synchronous)
	switch mode {
	case "":
		mode = "FULL"
	case "FULL", "NORMAL", "EXTRA":
	default:
		return nil, errcode.New(errcode.InvalidArgument, "SQLite synchronous must be FULL, NORMAL or EXTRA")
	}
	q := url.Values{}
	q.Set("_txlock", "immediate")
	// busy_timeout first: the WAL switch below may have to wait for it.
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+mode+")")
	q.Add("_pragma", "foreign_keys(1)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		// sql.Open fails only for an unknown driver name.
		return nil, errcode.Wrap(errcode.Internal, err)
	}
	return db, nil
}
