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
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/metering/driver"
	"github.com/picfre/picfre/metering/meteringtest"
	"github.com/picfre/picfre/metering/pgstore"
)

func open(t testing.TB, dsn string) driver.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	testenv.PostgresServer(t)
	meteringtest.RunConformanceTests(t, func(t *testing.T) driver.Store {
		return open(t, testenv.Postgres(t))
	})
}

func TestProcesses(t *testing.T) {
	if os.Getenv(meteringtest.EnvRole) == "" {
		testenv.PostgresServer(t)
	}
	meteringtest.RunProcessTests(t, meteringtest.ProcessHarness{
		Getenv:    os.Getenv,
		NewTarget: func(t *testing.T) string { return testenv.Postgres(t) },
		Open:      func(t testing.TB, target string) driver.Store { return open(t, target) },
	})
}

func BenchmarkAuthorizeCapture(b *testing.B) {
	for _, same := range []bool{true, false} {
		name := "Workers8/OwnAccounts"
		if same {
			name = "Workers8/OneAccount"
		}
		b.Run(name, func(b *testing.B) {
			s := open(b, testenv.Postgres(b))
			meteringtest.BenchAuthorizeCapture(b, s, 8, same)
		})
	}
}

// BenchmarkPgbenchTPCB runs pgbench's built-in TPC-B-like script against
// a scratch database on the same server, for comparison with
// BenchmarkAuthorizeCapture: pgbench -i -s 1, then pgbench -c 8 -j 2 -T 10.
func BenchmarkPgbenchTPCB(b *testing.B) {
	dsn := testenv.PostgresServer(b)
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		b.Skip("skipping: pgbench is not installed (Debian package postgresql-client)")
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		b.Skipf("skipping: %s must be a postgres:// URL for pgbench", testenv.PostgresEnv)
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
