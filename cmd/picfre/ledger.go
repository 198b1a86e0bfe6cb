package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/pgstore"
	"github.com/picfre/picfre/metering/sqlitestore"
	"github.com/picfre/picfre/retention"
)

// defaultLedgerDSN is the ledger used when neither --ledger nor
// PICFRE_LEDGER names one: an SQLite file in the working directory.
const defaultLedgerDSN = "sqlite:picfre-ledger.db"

// errLedgerDSN is returned for a ledger DSN that is neither sqlite:PATH
// nor a postgres:// URL.
var errLedgerDSN = errors.New("ledger DSN must be sqlite:PATH or a postgres:// (postgresql://) URL")

// openLedger opens the ledger named by dsn: "sqlite:PATH" (an SQLite file,
// created if missing) or a "postgres://" / "postgresql://" URL. The
// returned Closer closes the store; close it after the last ledger call.
// Error messages never repeat the DSN, which may hold a password.
func openLedger(ctx context.Context, dsn string, opts metering.Options) (*metering.Ledger, io.Closer, error) {
	var (
		store metering.Store
		c     io.Closer
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		path = strings.TrimPrefix(path, "//") // tolerate sqlite://PATH
		if path == "" {
			return nil, nil, fmt.Errorf("%w: empty path", errLedgerDSN)
		}
		s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
		if err != nil {
			return nil, nil, fmt.Errorf("open ledger: %w", err)
		}
		store, c = s, s
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err := pgstore.Open(ctx, dsn, pgstore.Options{})
		if err != nil {
			return nil, nil, fmt.Errorf("open ledger: %w", err)
		}
		store, c = s, s
	default:
		scheme, _, found := strings.Cut(dsn, ":")
		if !found || strings.ContainsAny(scheme, "/@ ") {
			scheme = ""
		}
		return nil, nil, fmt.Errorf("%w (got scheme %q)", errLedgerDSN, scheme)
	}
	return metering.NewLedger(store, opts), c, nil
}

// configureLedger opens the ledger named by dsn and makes it the
// pipeline's meter, charging pricePerFile credits for each file plus
// perMinute for each started minute of video and audio. The returned
// Closer closes the ledger's store.
func configureLedger(ctx context.Context, cfg *picfre.Config, dsn string, pricePerFile, perMinute int64) (io.Closer, error) {
	// Refuse events older than the usage retention window: their
	// idempotency keys may be purged already, so a late retry could
	// otherwise be billed twice.
	ledger, closer, err := openLedger(ctx, dsn, metering.Options{RefuseBefore: retention.Policy{}.Cutoff})
	if err != nil {
		return nil, err
	}
	cfg.Meter = ledger
	cfg.Pricer = metering.Pricing{Rates: []metering.Rate{
		{MediaType: "video", Base: pricePerFile, PerUnit: perMinute, Unit: time.Minute},
		{MediaType: "audio", Base: pricePerFile, PerUnit: perMinute, Unit: time.Minute},
		{Base: pricePerFile},
	}}
	return closer, nil
}
