package main

import (
	"context"
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
// perMinute for each started minute of video and audio. Close the
// returned database after the last file.
func configureLedger(ctx context.Context, cfg *picfre.Config, dsn string, pricePerFile, perMinute int64) (*store.DB, error) {
	db, err := openLedger(ctx, dsn)
	if err != nil {
		return nil, err
	}
	cfg.Meter = db.Ledger()
	cfg.Pricer = pricing(pricePerFile, perMinute)
	return db, nil
}

// pricing charges pricePerFile credits for each file plus perMinute for
// each started minute of video and audio.
func pricing(pricePerFile, perMinute int64) metering.Pricing {
	return metering.Pricing{Rates: []metering.Rate{
		{MediaType: "video", Base: pricePerFile, PerUnit: perMinute, Unit: time.Minute},
		{MediaType: "audio", Base: pricePerFile, PerUnit: perMinute, Unit: time.Minute},
		{Base: pricePerFile},
	}}
}

// openLedger opens the ledger named by dsn. It refuses events older than
// the usage retention window: their idempotency keys may be purged
// already, so a late retry could otherwise be billed twice.
func openLedger(ctx context.Context, dsn string) (*store.DB, error) {
	return store.Open(ctx, dsn, store.Options{Ledger: metering.Options{RefuseBefore: retention.Policy{}.Cutoff}})
}
