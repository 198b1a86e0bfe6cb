package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the environment variable holding the DSN of the
// PostgreSQL server the tests use, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "PICFRE_TEST_POSTGRES"

// inCI reports whether the tests run under continuous integration, where a
// missing dependency is a failure rather than a reason to skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// Tool returns the path of the command-line tool name found on PATH. When
// it is missing the test is skipped with a message naming debianPackage,
// or fails when CI=true.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if inCI() {
		t.Fatalf("%s not found and CI=true: install the Debian package %s", name, debianPackage)
	}
	t.Skipf("skipping: %s not found (Debian package %s)", name, debianPackage)
	return ""
}

// PostgresServer returns the DSN in PostgresEnv as it is, for tests that
// need the server itself rather than a schema of their own. When the
// variable is unset the test is skipped, or fails when CI=true.
func PostgresServer(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		if inCI() {
			t.Fatalf("%s is not set, and CI=true requires the PostgreSQL tests to run", PostgresEnv)
		}
		t.Skipf("skipping: no PostgreSQL server configured; set %s to a DSN such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable", PostgresEnv)
	}
	return dsn
}

// Postgres creates an empty schema named picfre_test_<random hex> on the
// server in PostgresEnv, drops it (with everything in it) when the test
// ends, and returns a DSN whose search_path points at it. pgx, pgxpool and
// database/sql through pgx's stdlib driver all honour that search_path, so
// every table a store creates through the DSN lands in the schema. When
// the variable is unset the test is skipped, or fails when CI=true.
func Postgres(t testing.TB) (dsn string) {
	t.Helper()
	server := PostgresServer(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "picfre_test_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(t.Context(), server)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return withSearchPath(t, server, schema)
}

// withSearchPath adds search_path=schema to dsn, as a URL query parameter
// or as one more keyword/value pair, whichever form dsn has.
func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s is not a valid URL", PostgresEnv)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}
