package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/sqlitedb"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/metering/pgstore"
	"github.com/picfre/picfre/metering/sqlitestore"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/privacy/driver"
)

// ErrInvalidDSN: the DSN is neither sqlite:PATH nor a postgres:// URL, or
// it does not parse. Fix the configuration.
var ErrInvalidDSN = errcode.New(errcode.InvalidArgument, "store: the DSN must be sqlite:PATH or a postgres:// (postgresql://) URL")

// Options configure Open and Memory. The zero value means the defaults.
type Options struct {
	// Ledger configures the credit ledger: its clock, hold lifetime and
	// the retention window of captures (RefuseBefore).
	Ledger metering.Options
	// SQLite tunes sqlite: databases (busy timeout, synchronous).
	SQLite sqlitestore.Options
	// Postgres tunes postgres:// databases: the size of the pool, and the
	// connect and statement timeouts of every connection and operation.
	Postgres pgstore.Options
}

// DB is one database and the picfre stores over it. Its zero value is not
// usable; get one from Open or Memory.
type DB struct {
	ledger   *metering.Ledger
	contacts driver.ContactStore
	accounts *Accounts

	// The database itself, for further stores over it: the path and
	// settings of an SQLite file (every handle on it is opened with the
	// same settings through internal/sqlitedb), or the one PostgreSQL
	// pool. Both empty for Memory.
	sqlitePath string
	sqliteOpts sqlitestore.Options
	pool       *pgxpool.Pool

	// closers release what Open acquired besides the ledger, in reverse
	// order, after the ledger is closed.
	closers []func()
}

// Open opens the database named by dsn (see the package documentation for
// the forms), creating or migrating the ledger's tables, and returns it.
// Close it after the last call.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if path == "" {
			return nil, fmt.Errorf("%w: the path is empty", ErrInvalidDSN)
		}
		d, err := sqlitestore.Open(ctx, path, opts.SQLite)
		if err != nil {
			return nil, err
		}
		db := &DB{ledger: metering.NewLedger(d, opts.Ledger), sqlitePath: path, sqliteOpts: opts.SQLite}
		// The contact store: a handle of its own on the same file, with
		// the ledger's settings.
		sqlDB, err := sqlitedb.Open(path, sqlitedb.Options{BusyTimeout: opts.SQLite.BusyTimeout, Synchronous: opts.SQLite.Synchronous})
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: %w", err)
		}
		db.closers = append(db.closers, func() { sqlDB.Close() })
		if db.contacts, err = contactstore.OpenSQL(ctx, sqlDB, contactstore.SQLite); err != nil {
			db.Close()
			return nil, err
		}
		if db.accounts, err = openAccounts(ctx, sqlDB, "sqlite"); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		// The ledger's deadlines (connect, statement) for every store
		// over the pool.
		cfg, err := pgstore.ParseConfig(dsn, opts.Postgres)
		if err != nil {
			// pgx's message may quote the DSN, password included.
			return nil, fmt.Errorf("%w: the postgres URL does not parse", ErrInvalidDSN)
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("store: connect: %w", err))
		}
		d, err := pgstore.New(ctx, pool, opts.Postgres)
		if err != nil {
			pool.Close()
			return nil, err
		}
		db := &DB{ledger: metering.NewLedger(d, opts.Ledger), pool: pool, closers: []func(){pool.Close}}
		// The contact store: database/sql over the same pool, closed
		// before it.
		sqlDB := stdlib.OpenDBFromPool(pool)
		db.closers = append(db.closers, func() { sqlDB.Close() })
		if db.contacts, err = contactstore.OpenSQL(ctx, sqlDB, contactstore.Postgres); err != nil {
			db.Close()
			return nil, err
		}
		if db.accounts, err = openAccounts(ctx, sqlDB, "postgres"); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	default:
		scheme, _, found := strings.Cut(dsn, ":")
		if !found || strings.ContainsAny(scheme, "/@ ") {
			scheme = "" // not a scheme; perhaps a path or a password
		}
		return nil, fmt.Errorf("%w (got scheme %q)", ErrInvalidDSN, scheme)
	}
}

// Memory returns a DB that keeps everything in memory, for tests and
// examples: the same API as Open, lost when the process ends.
func Memory(opts Options) *DB {
	return &DB{ledger: metering.NewLedger(memstore.New(), opts.Ledger), contacts: contactstore.NewMemory(), accounts: memoryAccounts()}
}

// Ledger returns the credit ledger of the database; every call returns
// the same one. Do not close it: Close does.
func (db *DB) Ledger() *metering.Ledger { return db.ledger }

// Contacts returns the contact store of the database — contacts,
// pseudonyms and pending customer-match removals, in privacy_* tables
// beside the ledger's — for privacy.Subjects; every call returns the
// same one. Hand it over and do not call it; Close closes it.
func (db *DB) Contacts() driver.ContactStore { return db.contacts }

// Close closes the stores and then the database, waiting for the calls in
// progress. A second Close fails with metering.ErrClosed.
func (db *DB) Close() error {
	err := db.ledger.Close()
	if errors.Is(err, metering.ErrClosed) {
		return err
	}
	for i := len(db.closers) - 1; i >= 0; i-- {
		db.closers[i]()
	}
	db.closers = nil
	return err
}
