package main

import (
	"context"
	"io"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/store"
)

// defaultLedgerDSN is the ledger used when neither --ledger nor
// PICFRE_LEDGER names one: an SQLite file in the working directory.
const defaultLedgerDSN = "sqlite:picfre-ledger.db"

// configureLedger opens the ledger named by dsn and makes it the
// pipeline's meter, charging pricePerFile credits for each file plus
// perMinute for each started minute of video and audio. The returned
// Closer closes the database.
func configureLedger(ctx context.Context, cfg *picfre.Config, dsn string, pricePerFile, perMinute int64) (io.Closer, error) {
	// Refuse events older than the usage retention window: their
	// idempotency keys may be purged already, so a late retry could
	// otherwise be billed twice.
	db, err := store.Open(ctx, dsn, store.Options{Ledger: metering.Options{RefuseBefore: retention.Policy{}.Cutoff}})
	if err != nil {
		return nil, err
	}
	cfg.Meter = db.Ledger()
	cfg.Pricer = metering.Pricing{Rates: []metering.Rate{
		{MediaType: "video", Base: pricePerFile, PerUnit: perMinute, Unit: time.Minute},
		{MediaType: "audio", Base: pricePerFile, PerUnit: perMinute, Unit: time.Minute},
		{Base: pricePerFile},
	}}
	return db, nil
}
