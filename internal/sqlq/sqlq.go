// Package sqlq holds the two helpers every database/sql store of picfre
// that speaks both SQLite and PostgreSQL needs: placeholders written once
// as '?' and rewritten for PostgreSQL, and a transaction around a
// function.
package sqlq

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Rebind returns query with its '?' placeholders numbered $1, $2, ... for
// PostgreSQL, or query itself when postgres is false. Queries must not
// hold a literal '?'.
func Rebind(query string, postgres bool) string {
	if !postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// InTx runs fn in a transaction of db: committed when fn returns nil,
// rolled back otherwise.
func InTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
