package jobs_test

// Worker processes for the crash tests and the throughput benchmarks: the
// test binary re-executes itself as TestWorkerProcess, which opens the
// ledger, the spool and a service with workers over the same database and
// folder as the test, and works files until it is killed or its standard
// input closes.

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to look at River's table
	"gocloud.dev/blob"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/internal/sqlitedb"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/store"
)

// workerEnv holds a worker process's workerConfig, as JSON.
const workerEnv = "PICFRE_JOBS_WORKER"

// readyLine is what a worker process prints once its workers run;
// callLine what it prints as each provider request starts.
const (
	readyLine = "picfre-jobs-worker-ready"
	callLine  = "picfre-jobs-worker-call"
)

// workerConfig configures one worker process.
type workerConfig struct {
	DSN            string        `json:"dsn"`
	Spool          string        `json:"spool"` // a folder, shared by every process
	Workers        int           `json:"workers"`
	Latency        time.Duration `json:"latency"` // per provider request
	HoldTTL        time.Duration `json:"hold_ttl"`
	RescueAfter    time.Duration `json:"rescue_after"`
	InProgressWait time.Duration `json:"in_progress_wait"`
	// LogLevel of the process's log on stderr (Warn when zero), shown
	// when the test fails.
	LogLevel slog.Level `json:"log_level"`
}

// crashConfig is the worker configuration of the crash tests: short
// holds, rescue and in-progress waits, so that a killed worker's files
// are taken over within seconds (plus River's rescuer interval).
func crashConfig(dsn, spool string, workers int, latency time.Duration) workerConfig {
	return workerConfig{DSN: dsn, Spool: spool, Workers: workers, Latency: latency,
		HoldTTL: 3 * time.Second, RescueAfter: 3 * time.Second, InProgressWait: time.Second}
}

var pricing = metering.Pricing{Rates: []metering.Rate{{Base: 1}}}

func openSpool(t testing.TB, dir string) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), "file://"+filepath.ToSlash(dir)+"?create_dir=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestWorkerProcess is a worker process when workerEnv is set (see
// startWorker), and does nothing otherwise.
func TestWorkerProcess(t *testing.T) {
	raw := os.Getenv(workerEnv)
	if raw == "" {
		return // not a worker process
	}
	var c workerConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatalf("%s: %v", workerEnv, err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, c.DSN, store.Options{Ledger: metering.Options{HoldTTL: c.HoldTTL}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	spool := openSpool(t, c.Spool)
	prov := announcing{fake.New(fake.Options{Latency: c.Latency, Forget: true}), os.Stdout}
	pl := picfre.New(prov, picfre.Config{Meter: db.Ledger(), Pricer: pricing})
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cmp.Or(c.LogLevel, slog.LevelWarn)}))
	svc, err := jobs.Open(ctx, c.DSN, jobs.Config{
		Tagger: pl, Spool: spool, Workers: c.Workers, RescueAfter: c.RescueAfter,
		InProgressWait: c.InProgressWait, PollInterval: 20 * time.Millisecond, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stdout.WriteString(readyLine + "\n"); err != nil {
		t.Fatal(err)
	}
	// Work until the parent closes stdin (or kills us).
	_, _ = io.Copy(io.Discard, os.Stdin)
	stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := svc.Close(stopCtx); err != nil {
		t.Errorf("close: %v", err)
	}
}

// announcing is a provider that prints callLine as each request starts,
// so that the test can kill the process while a file is in flight.
type announcing struct {
	provider.Provider
	out io.Writer
}

func (a announcing) Generate(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	_, _ = io.WriteString(a.out, callLine+"\n") // one short write: atomic on a pipe
	return a.Provider.Generate(ctx, req)
}

// worker is a running worker process.
type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
	err   error // of Wait, once done is closed
	log   *testenv.Buffer
	// armed: kill the process as soon as it announces its next provider
	// request, so that the kill lands while a file is being worked.
	armed atomic.Bool
}

// startWorker starts a worker process and waits until its workers run.
// The process is stopped when the test ends; its log is shown if the test
// failed.
func startWorker(t testing.TB, c workerConfig) *worker {
	t.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), workerEnv+"="+string(raw))
	w := &worker{cmd: cmd, done: make(chan struct{}), log: &testenv.Buffer{}}
	cmd.Stderr = w.log
	if w.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if sc.Text() == callLine {
				if w.armed.CompareAndSwap(true, false) {
					_ = cmd.Process.Kill()
				}
				continue
			}
			if sc.Text() == readyLine && !ok {
				ok = true
				ready <- true
			}
			_, _ = w.log.Write(append(sc.Bytes(), '\n'))
		}
		if !ok {
			ready <- false
		}
		w.err = cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() {
		w.stop(t)
		if t.Failed() {
			t.Logf("worker process %d log:\n%s", cmd.Process.Pid, w.log.String())
		}
	})
	select {
	case ok := <-ready:
		if !ok {
			<-w.done
			t.Fatalf("worker process exited before it was ready (%v):\n%s", w.err, w.log.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("worker process not ready after 60s:\n%s", w.log.String())
	}
	return w
}

// killInFlight sends SIGKILL the moment the process starts its next
// provider request — a file claimed, its credits held, its answer not yet
// in — and waits for the process to end.
func (w *worker) killInFlight(t testing.TB) {
	t.Helper()
	w.armed.Store(true)
	select {
	case <-w.done:
	case <-time.After(60 * time.Second):
		t.Fatal("worker process made no provider request within 60s")
	}
}

// kill sends SIGKILL and waits for the process to end.
func (w *worker) kill(t testing.TB) {
	t.Helper()
	if err := w.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	<-w.done
}

// stop closes the process's stdin, so that it closes its service, and
// waits for it to exit (killing it after 30s).
func (w *worker) stop(t testing.TB) {
	t.Helper()
	_ = w.stdin.Close()
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		t.Errorf("worker process %d did not stop within 30s: killed", w.cmd.Process.Pid)
		w.kill(t)
	}
}

// unfinishedRiverJobs counts River's entries that are not completed,
// cancelled or discarded: a rescued entry of a file that a killed worker
// had settled still runs after the job is final, to delete what is left.
func unfinishedRiverJobs(t testing.TB, db *sql.DB) (unfinished, failed int) {
	t.Helper()
	err := db.QueryRow(`SELECT
		COALESCE(SUM(CASE WHEN state NOT IN ('completed', 'cancelled', 'discarded') THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state IN ('cancelled', 'discarded') THEN 1 ELSE 0 END), 0)
		FROM river_job`).Scan(&unfinished, &failed)
	if err != nil {
		t.Fatal(err)
	}
	return unfinished, failed
}

// openQueueDB opens the queue database for the test's own look at
// River's table.
func openQueueDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		db, err = sqlitedb.Open(path, sqlitedb.Options{})
	} else {
		db, err = sql.Open("pgx", dsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// spoolObjects lists what is left in the spool: the bucket's objects, and
// any regular file at all in its folder (a temporary or attributes file
// the bucket would not list).
func spoolObjects(t testing.TB, bucket *blob.Bucket, dir string) []string {
	t.Helper()
	var left []string
	it := bucket.List(nil)
	for {
		obj, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, "object "+obj.Key)
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, path)
			left = append(left, "file "+rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return left
}
