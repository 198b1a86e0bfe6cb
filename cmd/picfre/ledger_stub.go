package main

// Temporary while the ledger lands: replaced by the real wiring.

import (
	"context"
	"io"

	"github.com/picfre/picfre"
)

func configureLedger(ctx context.Context, cfg *picfre.Config, dsn string) (io.Closer, error) {
	return nil, usagef("ledger not built yet")
}
