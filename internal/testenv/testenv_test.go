package testenv_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/picfre/picfre/internal/testenv"
)

// recorder is a testing.TB whose Skipf and Fatalf record the message and
// stop the goroutine, as the real ones do, without ending the test that
// uses it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a recorder in a goroutine of its own, so that Skipf
// and Fatalf can stop it, and returns the recorder and whether fn returned.
func run(t *testing.T, fn func(testing.TB)) (r *recorder, returned bool) {
	r = &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
		returned = true
	}()
	<-done
	return r, returned
}

func TestTool(t *testing.T) {
	p := testenv.Tool(t, "sh", "dash")
	if !filepath.IsAbs(p) || filepath.Base(p) != "sh" {
		t.Fatalf("Tool(sh) = %q, want an absolute path to sh", p)
	}
}

func TestToolMissing(t *testing.T) {
	const name = "picfre-testenv-no-such-tool"
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			r, returned := run(t, func(tb testing.TB) { testenv.Tool(tb, name, "some-package") })
			if returned {
				t.Fatal("Tool returned for a missing tool")
			}
			if ci == "true" {
				if want := name + " not found and CI=true: install the Debian package some-package"; r.failed != want || r.skipped != "" {
					t.Fatalf("failed %q, skipped %q; want failed %q", r.failed, r.skipped, want)
				}
				return
			}
			if want := "skipping: " + name + " not found (Debian package some-package)"; r.skipped != want || r.failed != "" {
				t.Fatalf("skipped %q, failed %q; want skipped %q", r.skipped, r.failed, want)
			}
		})
	}
}

func TestPostgresUnset(t *testing.T) {
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			t.Setenv(testenv.PostgresEnv, "")
			r, returned := run(t, func(tb testing.TB) { testenv.Postgres(tb) })
			if returned {
				t.Fatal("Postgres returned without a server")
			}
			if ci == "true" {
				if !strings.Contains(r.failed, testenv.PostgresEnv+" is not set") || r.skipped != "" {
					t.Fatalf("failed %q, skipped %q", r.failed, r.skipped)
				}
				return
			}
			if !strings.HasPrefix(r.skipped, "skipping: ") || !strings.Contains(r.skipped, testenv.PostgresEnv) || r.failed != "" {
				t.Fatalf("skipped %q, failed %q", r.skipped, r.failed)
			}
		})
	}
}

// TestPostgres checks that the DSN reaches a fresh schema through pgx and
// through database/sql, and that the schema is gone after the test.
func TestPostgres(t *testing.T) {
	server := testenv.PostgresServer(t)
	var schema string
	t.Run("Schema", func(t *testing.T) {
		dsn := testenv.Postgres(t)
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		if err := conn.QueryRow(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(schema, "picfre_test_") {
			t.Fatalf("current_schema() = %q, want picfre_test_…", schema)
		}
		var tables int
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = $1", schema).Scan(&tables); err != nil || tables != 0 {
			t.Fatalf("the new schema holds %d tables (%v), want none", tables, err)
		}
		if _, err := conn.Exec(t.Context(), "CREATE TABLE t (x int)"); err != nil {
			t.Fatal(err)
		}

		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var where string
		if err := db.QueryRowContext(t.Context(), "SELECT table_schema FROM information_schema.tables WHERE table_name = 't' AND table_schema = current_schema()").Scan(&where); err != nil || where != schema {
			t.Fatalf("database/sql sees table t in %q (%v), want %q", where, err, schema)
		}
		if other := testenv.Postgres(t); other == dsn {
			t.Fatal("two calls returned the same DSN")
		}
	})
	if schema == "" {
		t.Fatal("the subtest did not report its schema")
	}
	conn, err := pgx.Connect(t.Context(), server)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil || n != 0 {
		t.Fatalf("schema %s still exists after the test (%d, %v)", schema, n, err)
	}
}

func TestPhotoDistinct(t *testing.T) {
	seen := map[string]int{}
	for i := range 300 {
		p := string(testenv.Photo(t, i))
		if j, ok := seen[p]; ok {
			t.Fatalf("Photo(%d) == Photo(%d)", i, j)
		}
		seen[p] = i
	}
}
