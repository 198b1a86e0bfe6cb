package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// dialect is the one difference between the SQL of the two databases the
// job tables live in: SQLite (embedded) and PostgreSQL (at scale). Every
// statement is written once, with $N placeholders, which both accept;
// times are integers (microseconds since the Unix epoch) in both, so that
// no statement converts a time.
type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

// migrations are applied in order, each once, recorded in
// picfre_jobs_schema. The DDL differs only in the type of the sealed
// columns.
func migrations(d dialect) []string {
	blob := "BLOB"
	if d == postgresDialect {
		blob = "BYTEA"
	}
	return []string{
		// 1: jobs and their files.
		strings.ReplaceAll(`
CREATE TABLE picfre_jobs (
	id          TEXT PRIMARY KEY,
	account     TEXT NOT NULL,
	state       TEXT NOT NULL,
	code        TEXT NOT NULL DEFAULT '',
	total       INTEGER NOT NULL DEFAULT 0,
	options     BLOBTYPE,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	finished_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX picfre_jobs_account ON picfre_jobs (account, created_at);
CREATE INDEX picfre_jobs_state ON picfre_jobs (state, updated_at);
CREATE TABLE picfre_job_files (
	job_id      TEXT NOT NULL REFERENCES picfre_jobs (id) ON DELETE CASCADE,
	idx         INTEGER NOT NULL,
	name        TEXT NOT NULL,
	kind        TEXT NOT NULL DEFAULT '',
	size        BIGINT NOT NULL DEFAULT 0,
	state       TEXT NOT NULL,
	code        TEXT NOT NULL DEFAULT '',
	credits     BIGINT NOT NULL DEFAULT 0,
	attempts    INTEGER NOT NULL DEFAULT 0,
	river_id    BIGINT NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL,
	started_at  BIGINT NOT NULL DEFAULT 0,
	finished_at BIGINT NOT NULL DEFAULT 0,
	result      BLOBTYPE,
	result_expires_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (job_id, idx)
);
CREATE INDEX picfre_job_files_expiry ON picfre_job_files (result_expires_at);
CREATE INDEX picfre_job_files_state ON picfre_job_files (state, started_at);
`, "BLOBTYPE", blob),
	}
}

// migrate brings the job tables to the newest migration. On PostgreSQL an
// advisory lock makes concurrent first starts of several instances take
// turns; on SQLite the immediate transaction does.
func migrate(ctx context.Context, db *sql.DB, d dialect) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if d == postgresDialect {
		// The key is an arbitrary constant of ours ("picfrejb").
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7064793216230285922)`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS picfre_jobs_schema (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var version int
	err = tx.QueryRowContext(ctx, `SELECT version FROM picfre_jobs_schema`).Scan(&version)
	switch {
	case err == sql.ErrNoRows:
		if _, err := tx.ExecContext(ctx, `INSERT INTO picfre_jobs_schema (version) VALUES (0)`); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	all := migrations(d)
	if version > len(all) {
		return fmt.Errorf("the job tables are at version %d, newer than this build knows (%d)", version, len(all))
	}
	for i := version; i < len(all); i++ {
		for stmt := range strings.SplitSeq(all[i], ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE picfre_jobs_schema SET version = $1`, len(all)); err != nil {
		return err
	}
	return tx.Commit()
}
