package sqlitedb

import (
	"database/sql"
	"errors"
	"io/fs"
	"net/url"
	"os"
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
	// SecureDelete overwrites deleted content with zeros (SQLite's
	// secure_delete), so that a deleted row's bytes do not stay in the
	// file's free pages. The job queue sets it: its rows hold sealed
	// content that must be gone once deleted.
	SecureDelete bool
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
	readOnly := !writable(path)
	if readOnly {
		// A file this process cannot write: read it without creating
		// anything beside it, so that a read-only run leaves no -shm
		// (which would inherit the file's read-only mode and keep the
		// ledger unopenable once it is writable again). Immutable only
		// while the WAL is empty: then the file itself holds every
		// commit.
		q.Set("mode", "ro")
		if walEmpty(path) {
			q.Set("immutable", "1")
		}
	} else {
		clearStaleSHM(path)
	}
	// busy_timeout first: the WAL switch below may have to wait for it.
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	if !readOnly {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	q.Add("_pragma", "synchronous("+mode+")")
	q.Add("_pragma", "foreign_keys(1)")
	if opts.SecureDelete {
		q.Add("_pragma", "secure_delete(1)")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		// sql.Open fails only for an unknown driver name.
		return nil, errcode.Wrap(errcode.Internal, err)
	}
	return db, nil
}

// writable reports whether path can be opened for writing, or does not
// exist yet (it will be created). Opening for writing changes nothing.
func writable(path string) bool {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	f.Close()
	return true
}

// walEmpty reports whether the database at path has no WAL content: no
// -wal file, or an empty one.
func walEmpty(path string) bool {
	st, err := os.Stat(path + "-wal")
	return errors.Is(err, fs.ErrNotExist) || err == nil && st.Size() == 0
}

// clearStaleSHM removes a -shm (and an empty -wal) that this process
// cannot write, beside a database it can write, when the WAL is empty and
// no process has the -shm open: the index of an empty WAL holds nothing,
// and SQLite would otherwise fail every write ("attempt to write a
// readonly database") for as long as the file stays. Such a -shm is left
// by a run on the database while the file was read-only (SQLite creates
// it with the database's mode). Without a way to tell whether another
// process uses it (see shmInUse), nothing is removed.
func clearStaleSHM(path string) {
	shm := path + "-shm"
	if _, err := os.Stat(shm); err != nil || writable(shm) || !walEmpty(path) || shmInUse(shm) {
		return
	}
	if os.Remove(shm) == nil && !writable(path+"-wal") {
		_ = os.Remove(path + "-wal") // empty: checked above
	}
}
