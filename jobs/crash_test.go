package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/store"
)

// crashFiles is the size of the crash tests' job.
const crashFiles = 300

type crashSetup struct {
	dsn     string
	procs   int           // worker processes
	workers int           // workers per process
	latency time.Duration // per provider request
	restart bool          // start the killed process again
}

// TestCrashPostgres: three worker processes on PostgreSQL; one is killed
// with SIGKILL in the middle of a file once a third of the files are done.
func TestCrashPostgres(t *testing.T) {
	runCrash(t, crashSetup{dsn: testenv.Postgres(t), procs: 3, workers: 4, latency: 200 * time.Millisecond})
}

// TestCrashSQLite: one worker process over one SQLite file (ledger and
// queue), killed with SIGKILL in the middle of a file once a third of the
// files are done, and started again.
func TestCrashSQLite(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "picfre.db")
	runCrash(t, crashSetup{dsn: dsn, procs: 1, workers: 4, latency: 200 * time.Millisecond, restart: true})
}

// runCrash submits a job from a process without workers, kills a worker
// process while it works a file, and checks that every file was done and
// charged exactly once and that the spool is empty.
func runCrash(t *testing.T, s crashSetup) {
	ctx := context.Background()
	began := time.Now()
	dir := t.TempDir()
	spoolDir := filepath.Join(dir, "spool")
	db, err := store.Open(ctx, s.dsn, store.Options{Ledger: metering.Options{HoldTTL: 3 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ledger := db.Ledger()
	spool := openSpool(t, spoolDir)
	// This process submits and looks only; it migrates before any worker
	// process starts.
	svc, err := jobs.Open(ctx, s.dsn, jobs.Config{Spool: spool, Workers: -1, Ledger: ledger, Pricer: pricing,
		PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	const account, topUp = "alice", 1000
	if _, err := ledger.TopUp(ctx, metering.TopUp{Account: account, Credits: topUp, PaymentRef: "pay-1"}); err != nil {
		t.Fatal(err)
	}

	cfg := crashConfig(s.dsn, spoolDir, s.workers, s.latency)
	if os.Getenv("PICFRE_JOBS_DEBUG") != "" {
		cfg.LogLevel = slog.LevelDebug
	}
	ws := make([]*worker, s.procs)
	for i := range ws {
		ws[i] = startWorker(t, cfg)
	}
	j, err := svc.Submit(ctx, account, picfre.Options{}, photos(t, crashFiles))
	if err != nil {
		t.Fatal(err)
	}
	submitted := time.Now()

	// Kill the first process in the middle of a file once a third are done.
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		cur, err := svc.Job(ctx, account, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Done >= crashFiles/3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a third of the files not done after 90s: %+v", cur.Counts)
		}
	}
	ws[0].killInFlight(t)
	atKill, err := svc.Job(ctx, account, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if atKill.Settled() == crashFiles {
		t.Fatalf("every file was settled before the kill: %+v", atKill.Counts)
	}
	if s.restart {
		ws[0] = startWorker(t, cfg)
	}

	final := wait(t, svc, account, j.ID)
	finished := time.Now()
	// A file whose row a killed worker settled, but whose River entry it
	// could not complete, is rescued after the job is final, and its
	// content deleted then: wait for River to have worked every entry.
	qdb := openQueueDB(t, s.dsn)
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		unfinished, failed := unfinishedRiverJobs(t, qdb)
		if failed != 0 {
			t.Errorf("%d River entries cancelled or discarded", failed)
		}
		if unfinished == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d River entries unfinished 90s after the job was final", unfinished)
		}
	}
	for _, w := range ws[1:] {
		w.stop(t)
		if w.err != nil {
			t.Errorf("worker process did not stop cleanly: %v\n%s", w.err, w.log.String())
		}
	}
	if s.restart {
		ws[0].stop(t)
		if ws[0].err != nil {
			t.Errorf("restarted worker process did not stop cleanly: %v\n%s", ws[0].err, ws[0].log.String())
		}
	}
	t.Logf("submit %v, first third and kill %v, rest %v, River's last entries %v; at the kill %+v",
		submitted.Sub(began).Round(time.Millisecond), killed.Sub(submitted).Round(time.Millisecond),
		finished.Sub(killed).Round(time.Millisecond), time.Since(finished).Round(time.Millisecond), atKill.Counts)

	// Every file done once.
	if final.State != jobs.StateDone || final.Done != crashFiles || final.Failed != 0 || final.Canceled != 0 {
		t.Fatalf("job %s %+v", final.State, final.Counts)
	}
	full, err := svc.Job(ctx, account, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for i, f := range full.Files {
		if f.State != jobs.FileDone || f.Index != i || f.Attempts < 1 {
			t.Errorf("file %d: %+v", i, f)
		}
		if f.Attempts > 1 {
			retried++
		}
	}
	// The kill interrupted at least one file, which was worked again.
	if retried == 0 {
		t.Errorf("no file was worked twice: the kill interrupted nothing")
	}
	t.Logf("files worked more than once: %d", retried)

	// Charged exactly once each.
	usage, err := ledger.Usage(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	if len(usage) != crashFiles {
		t.Errorf("%d usage events, want %d", len(usage), crashFiles)
	}
	keys := map[string]bool{}
	for _, e := range usage {
		if keys[e.IdempotencyKey] {
			t.Errorf("charged twice under one key (file %q)", e.File)
		}
		keys[e.IdempotencyKey] = true
		if e.Credits != 1 {
			t.Errorf("usage event of %d credits, want 1", e.Credits)
		}
	}
	b, err := ledger.Balance(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	if b.Credits != topUp-crashFiles || b.Held != 0 {
		t.Errorf("balance %+v, want %d credits and nothing held", b, topUp-crashFiles)
	}

	// Every result, in input order.
	n := 0
	for r, err := range svc.Results(ctx, account, j.ID, jobs.ResultOptions{Consume: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("photo-%03d.jpg", n); r.File != want || r.Err != nil || r.Title == "" {
			t.Errorf("result %d: %q %v %q, want %q", n, r.File, r.Err, r.Title, want)
		}
		n++
	}
	if n != crashFiles {
		t.Errorf("%d results, want %d", n, crashFiles)
	}

	// Nothing left in the spool.
	if left := spoolObjects(t, spool, spoolDir); len(left) != 0 {
		t.Errorf("%d left in the spool, e.g. %v", len(left), left[:min(len(left), 5)])
	}
}
