package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
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

func TestProcesses(t *testing.T) {
	if os.Getenv(meteringtest.EnvRole) == "" {
		serverDSN(t)
	}
	meteringtest.RunProcessTests(t, meteringtest.ProcessHarness{
		Getenv:    os.Getenv,
		NewTarget: func(t *testing.T) string { return newSchema(t) },
		Open:      func(t testing.TB, target string) metering.Store { return open(t, target) },
	})
}

func BenchmarkAuthorizeCapture(b *testing.B) {
	for _, same := range []bool{true, false} {
		name := "Workers8/OwnAccounts"
		if same {
			name = "Workers8/OneAccount"
		}
		b.Run(name, func(b *testing.B) {
			s := open(b, newSchema(b))
			meteringtest.BenchAuthorizeCapture(b, s, 8, same)
		})
	}
}

// BenchmarkPgbenchTPCB runs pgbench's built-in TPC-B-like script against
// a scratch database on the same server, for comparison with
// BenchmarkAuthorizeCapture: pgbench -i -s 1, then pgbench -c 8 -j 2 -T 10.
func BenchmarkPgbenchTPCB(b *testing.B) {
	dsn := serverDSN(b)
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		b.Skip("skipping: pgbench is not installed (Debian package postgresql-client)")
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		b.Skipf("skipping: %s must be a postgres:// URL for pgbench", EnvDSN)
	}
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	db := "picfre_pgbench_" + hex.EncodeToString(rb[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		b.Fatal(err)
	}
	defer conn.Exec(ctx, "DROP DATABASE "+db+" WITH (FORCE)")
	u.Path = "/" + db
	target := u.String()
	if out, err := exec.Command(pgbench, "-i", "-s", "1", "-q", target).CombinedOutput(); err != nil {
		b.Fatalf("pgbench -i: %v\n%s", err, out)
	}
	tpsLine := regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	var tps float64
	for b.Loop() {
		out, err := exec.Command(pgbench, "-c", "8", "-j", "2", "-T", "10", target).CombinedOutput()
		if err != nil {
			b.Fatalf("pgbench: %v\n%s", err, out)
		}
		m := tpsLine.FindSubmatch(out)
		if m == nil {
			b.Fatalf("no tps in pgbench output:\n%s", out)
		}
		tps, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	b.ReportMetric(tps, "tps")
}
