package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/meteringtest"
	"github.com/picfre/picfre/metering/pgstore"
)

// EnvDSN names the environment variable with the PostgreSQL server the
// tests use, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvDSN = "PICFRE_TEST_POSTGRES"

// serverDSN returns the test server's DSN, skipping the test when none
// is configured, or failing it under CI.
func serverDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set, and CI=true requires the PostgreSQL tests to run", EnvDSN)
		}
		t.Skipf("skipping: no PostgreSQL server configured; set %s to a DSN such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable", EnvDSN)
	}
	return dsn
}

// newSchema creates an empty schema of its own on the test server, drops
// it when the test ends, and returns a DSN whose search_path points at it.
func newSchema(t testing.TB) string {
	t.Helper()
	dsn := serverDSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "picfre_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return withSearchPath(t, dsn, schema)
}

func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s is not a valid URL", EnvDSN)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

func open(t testing.TB, dsn string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	serverDSN(t)
	meteringtest.RunConformanceTests(t, func(t *testing.T) metering.Store {
		return open(t, newSchema(t))
	})
}
