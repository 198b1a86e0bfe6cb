package jobs_test

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/store"
)

// benchFiles is the size of one benchmark job.
const benchFiles = 100

// photoRange is photos base..base+n-1: each iteration of a benchmark works
// files of its own, so that no file is a billing replay of an earlier one.
func photoRange(tb testing.TB, base, n int) iter.Seq[picfre.Media] {
	return func(yield func(picfre.Media) bool) {
		for i := base; i < base+n; i++ {
			if !yield(picfre.Bytes(fmt.Sprintf("photo-%06d.jpg", i), photo(tb, i))) {
				return
			}
		}
	}
}

// benchDSN is the database of a benchmark: a fresh SQLite file, or an
// empty PostgreSQL schema (skipped without a server).
func benchDSN(b *testing.B, db string) string {
	if db == "postgres" {
		return testenv.Postgres(b)
	}
	return "sqlite:" + filepath.Join(b.TempDir(), "picfre.db")
}

// benchLedger opens the benchmark's ledger and gives the account credits
// enough for any run.
func benchLedger(b *testing.B, dsn string) *metering.Ledger {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	l := db.Ledger()
	if _, err := l.TopUp(ctx, metering.TopUp{Account: "bench", Credits: 1 << 40, PaymentRef: "pay-bench"}); err != nil {
		b.Fatal(err)
	}
	return l
}

// reportFiles reports the time per file and the files per second of files
// worked in the benchmark's timed part.
func reportFiles(b *testing.B, files int) {
	el := b.Elapsed()
	b.ReportMetric(float64(el.Nanoseconds())/float64(files), "ns/file")
	b.ReportMetric(float64(files)/el.Seconds(), "files/s")
}

// benchQueue submits jobs of benchFiles files and waits for each to be
// final, with 4 workers in this process and a fake provider without
// latency: the cost of the queue beside BenchmarkTagAll's.
func benchQueue(b *testing.B, db string) {
	ctx := context.Background()
	dsn := benchDSN(b, db)
	ledger := benchLedger(b, dsn)
	pl := picfre.New(fake.New(fake.Options{Forget: true}), picfre.Config{Meter: ledger, Pricer: pricing})
	svc, err := jobs.Open(ctx, dsn, jobs.Config{Tagger: pl, Spool: openSpool(b, filepath.Join(b.TempDir(), "spool")),
		Ledger: ledger, Pricer: pricing, Workers: 4, PollInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Close(context.Background()) })
	n := 0
	for b.Loop() {
		j, err := svc.Submit(ctx, "bench", picfre.Options{}, photoRange(b, n, benchFiles))
		if err != nil {
			b.Fatal(err)
		}
		if j = wait(b, svc, "bench", j.ID); j.Done != benchFiles {
			b.Fatalf("job %s %+v", j.State, j.Counts)
		}
		n += benchFiles
	}
	reportFiles(b, n)
}

// BenchmarkQueueSQLite is the job queue on one SQLite file (ledger and
// queue), submit to final, per file.
func BenchmarkQueueSQLite(b *testing.B) { benchQueue(b, "sqlite") }

// BenchmarkQueuePostgres is the job queue on PostgreSQL, submit to final,
// per file.
func BenchmarkQueuePostgres(b *testing.B) { benchQueue(b, "postgres") }

// BenchmarkTagAll is the baseline of the queue benchmarks: the same
// pipeline, ledger and files, through TagAll with the workers' concurrency
// (4), without a queue.
func BenchmarkTagAll(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			ctx := context.Background()
			ledger := benchLedger(b, benchDSN(b, db))
			pl := picfre.New(fake.New(fake.Options{Forget: true}), picfre.Config{Meter: ledger, Pricer: pricing})
			n := 0
			for b.Loop() {
				got := 0
				err := pl.TagAll(ctx, photoRange(b, n, benchFiles), picfre.Options{Account: "bench", Concurrency: 4},
					func(r *picfre.Result) error {
						if r.Err != nil {
							return r.Err
						}
						got++
						return nil
					})
				if err != nil || got != benchFiles {
					b.Fatalf("%d results: %v", got, err)
				}
				n += benchFiles
			}
			reportFiles(b, n)
		})
	}
}

// processFiles is the size of one job of BenchmarkWorkerProcesses: 2
// rounds of the 16 workers of 4 processes.
const processFiles = 32

// BenchmarkWorkerProcesses is the throughput of 1, 2 and 4 worker
// processes (4 workers each) against a provider that takes 1 s a request:
// the files per second should grow with the processes.
func BenchmarkWorkerProcesses(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		for _, procs := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("db=%s/procs=%d", db, procs), func(b *testing.B) {
				ctx := context.Background()
				dsn := benchDSN(b, db)
				ledger := benchLedger(b, dsn)
				spoolDir := filepath.Join(b.TempDir(), "spool")
				svc, err := jobs.Open(ctx, dsn, jobs.Config{Spool: openSpool(b, spoolDir), Workers: -1,
					Ledger: ledger, Pricer: pricing, PollInterval: 50 * time.Millisecond})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = svc.Close(context.Background()) })
				for range procs {
					startWorker(b, workerConfig{DSN: dsn, Spool: spoolDir, Workers: 4, Latency: time.Second})
				}
				n := 0
				for b.Loop() {
					j, err := svc.Submit(ctx, "bench", picfre.Options{}, photoRange(b, n, processFiles))
					if err != nil {
						b.Fatal(err)
					}
					if j = wait(b, svc, "bench", j.ID); j.Done != processFiles {
						b.Fatalf("job %s %+v", j.State, j.Counts)
					}
					n += processFiles
				}
				reportFiles(b, n)
			})
		}
	}
}
