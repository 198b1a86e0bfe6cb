package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/jobs"
)

// startWorker runs "picfre worker ARGS" in-process until the returned
// stop is called (as SIGTERM would), which returns its exit status and
// stderr.
func startWorker(t *testing.T, vars map[string]string, args ...string) (stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errw testenv.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errw, getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"worker"}, args...), e) }()
	var once sync.Once
	var code int
	stop = func() (int, string) {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(time.Minute):
				t.Fatal("the worker did not stop within a minute of its signal")
			}
		})
		return code, errw.String()
	}
	t.Cleanup(func() { stop() })
	// Wait until it works, so that the stop is not a signal during start.
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(errw.String(), "workers on the") {
		select {
		case code := <-done:
			t.Fatalf("the worker ended while starting: exit %d: %s", code, errw.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not start within a minute: %s", errw.String())
		}
	}
	return stop
}

// jobsEnv is a single-machine setup: one SQLite file for the ledger and
// the queue, the spool beside it, a sealing key in the environment.
type jobsEnv struct {
	dir, dsn string
	vars     map[string]string
}

func newJobsEnv(t *testing.T) *jobsEnv {
	t.Helper()
	dir := t.TempDir()
	key := "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	return &jobsEnv{dir: dir, dsn: "sqlite:" + filepath.Join(dir, "picfre.db"), vars: map[string]string{sealKeysEnv: key}}
}

// cli runs "picfre jobs SUB --queue DSN ARGS".
func (je *jobsEnv) cli(t *testing.T, sub string, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(t, je.vars, append([]string{"jobs", sub, "--queue", je.dsn}, args...)...)
}

// job decodes a job as the commands print it.
func decodeJob(t *testing.T, s string) jobs.Job {
	t.Helper()
	var j jobs.Job
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		t.Fatalf("output %q is not a job: %v", s, err)
	}
	return j
}

var threeSamples = []string{"../../testdata/samples/coffee.png", "../../testdata/samples/rocket.jpg", "../../testdata/samples/brick.png"}

func TestJobsWorkerEndToEnd(t *testing.T) {
	je := newJobsEnv(t)
	mustCredits(t, "topup", "--ledger", je.dsn, "--account", "acme", "--credits", "10", "--ref", "p1")

	out, errw, code := je.cli(t, "submit", append([]string{"--account", "acme", "--lang", "en", "--keywords", "8-12"}, threeSamples...)...)
	if code != exitOK {
		t.Fatalf("submit: exit %d: %s", code, errw)
	}
	if strings.Contains(errw, "warning") {
		t.Errorf("submit warned with a sealing key set: %s", errw)
	}
	j := decodeJob(t, out)
	if !strings.HasPrefix(j.ID, "job_") || j.State != jobs.StateQueued || j.Total != 3 || j.Queued != 3 {
		t.Fatalf("submitted job %+v", j)
	}

	// Nothing is worked without a worker; the spooled content is sealed.
	spooled := listTree(t, filepath.Join(je.dir, "spool"))
	raw, err := os.ReadFile(threeSamples[1])
	if err != nil {
		t.Fatal(err)
	}
	objects := 0
	for _, rel := range spooled {
		b, err := os.ReadFile(filepath.Join(je.dir, "spool", rel))
		if err != nil {
			continue // a folder
		}
		objects++
		if bytes.Contains(b, raw[400:464]) {
			t.Errorf("spool object %s holds content in clear", rel)
		}
	}
	if objects != 3 {
		t.Fatalf("spool holds %d objects (%q), want 3", objects, spooled)
	}

	// Another account sees nothing of it.
	for _, sub := range []string{"status", "results", "cancel", "delete"} {
		_, errw, code := je.cli(t, sub, "--account", "intruder", j.ID)
		if code != exitFailed || !strings.Contains(errw, "not_found") {
			t.Errorf("%s by another account: exit %d, stderr %q; want %d and not_found", sub, code, errw, exitFailed)
		}
	}
	if out, _, code := je.cli(t, "status", "--account", "intruder"); code != exitOK || out != "" {
		t.Errorf("another account's list: exit %d, %q", code, out)
	}

	stop := startWorker(t, je.vars, "--queue", je.dsn, "--workers", "2", "--sweep-every", "200ms")
	done := waitDone(t, je, "acme", j.ID)
	if done.State != jobs.StateDone || done.Done != 3 || len(done.Files) != 3 {
		t.Fatalf("job after the worker: %+v", done)
	}
	for i, f := range done.Files {
		if f.State != jobs.FileDone || f.Credits != 1 || !f.Held || f.Name != threeSamples[i] {
			t.Errorf("file %d: %+v", i, f)
		}
	}
	code, werr := stop()
	if code != exitOK || !strings.Contains(werr, "picfre worker: stopped") {
		t.Fatalf("worker: exit %d, stderr %s", code, werr)
	}
	if strings.Contains(werr, "warning") || strings.Contains(werr, "level=WARN") {
		t.Errorf("worker warned: %s", werr)
	}
	// The worker's stderr names no file.
	for _, s := range threeSamples {
		if strings.Contains(werr, filepath.Base(s)) {
			t.Errorf("worker stderr names %s: %s", s, werr)
		}
	}
	if left := filesUnder(t, filepath.Join(je.dir, "spool")); len(left) != 0 {
		t.Errorf("spool objects left after the job: %q", left)
	}

	out, errw, code = je.cli(t, "results", "--account", "acme", j.ID)
	if code != exitOK {
		t.Fatalf("results: exit %d: %s", code, errw)
	}
	recs := decodeJSONL(t, out)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3:\n%s", len(recs), out)
	}
	for i, r := range recs {
		if r.File != threeSamples[i] || r.Error != nil || r.Title == "" || len(r.Keywords) < 8 || len(r.Keywords) > 12 {
			t.Errorf("record %d: %+v", i, r)
		}
		if r.Usage == nil || r.Usage.Provider != "local" {
			t.Errorf("record %d: usage %+v", i, r.Usage)
		}
	}
	// Billed once each.
	bal := decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", je.dsn, "--account", "acme"))
	if bal.Credits != 7 || bal.Held != 0 {
		t.Errorf("balance after 3 files: %+v, want 7 credits", bal)
	}

	// CSV with tag's writer, then consume: the results are gone after.
	out, _, code = je.cli(t, "results", "--account", "acme", "--format", "csv", "--consume", j.ID)
	if lines := strings.Count(out, "\n"); code != exitOK || !strings.HasPrefix(out, "file,title,") || lines < 4 {
		t.Fatalf("csv results: exit %d:\n%s", code, out)
	}
	out, errw, code = je.cli(t, "results", "--account", "acme", j.ID)
	if code != exitFailed || !strings.Contains(errw, "3 of 3 files failed") {
		t.Fatalf("results after --consume: exit %d, stderr %q", code, errw)
	}
	for _, r := range decodeJSONL(t, out) {
		if r.Error == nil || r.Error.Code != errcode.NotFound {
			t.Errorf("consumed result: %+v", r)
		}
	}

	// Listing, cancel of a final job (no change), delete, purge.
	out, _, code = je.cli(t, "status", "--account", "acme")
	if list := decodeJSONL(t, out); code != exitOK || len(list) != 1 {
		t.Fatalf("list: exit %d: %s", code, out)
	}
	out, _, code = je.cli(t, "cancel", "--account", "acme", j.ID)
	if c := decodeJob(t, out); code != exitOK || c.State != jobs.StateDone {
		t.Fatalf("cancel of a done job: exit %d: %s", code, out)
	}
	if _, errw, code := je.cli(t, "delete", "--account", "acme", j.ID); code != exitOK {
		t.Fatalf("delete: exit %d: %s", code, errw)
	}
	if _, errw, code := je.cli(t, "status", "--account", "acme", j.ID); code != exitFailed || !strings.Contains(errw, "not_found") {
		t.Fatalf("status after delete: exit %d, %q", code, errw)
	}
	out, errw, code = je.cli(t, "purge")
	if code != exitOK {
		t.Fatalf("purge: exit %d: %s", code, errw)
	}
	var rep jobs.SweepReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("purge report %q: %v", out, err)
	}
}

// waitDone polls "jobs status" until the job is final.
func waitDone(t *testing.T, je *jobsEnv, account, id string) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, errw, code := je.cli(t, "status", "--account", account, id)
		if code != exitOK {
			t.Fatalf("status: exit %d: %s", code, errw)
		}
		j := decodeJob(t, out)
		if !j.Finished.IsZero() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not final after 2 minutes: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// filesUnder lists the regular files under dir (not folders).
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, rel := range listTree(t, dir) {
		if info, err := os.Stat(filepath.Join(dir, rel)); err == nil && info.Mode().IsRegular() {
			out = append(out, rel)
		}
	}
	return out
}

func TestJobsSubmitWait(t *testing.T) {
	je := newJobsEnv(t)
	mustCredits(t, "topup", "--ledger", je.dsn, "--account", "acme", "--credits", "5", "--ref", "p1")
	startWorker(t, je.vars, "--queue", je.dsn)
	dir := t.TempDir()
	copyFile(t, threeSamples[0], dir, "a.png")
	copyFile(t, "../../testdata/bad/notes.jpg", dir, "b.jpg")
	out, errw, code := je.cli(t, "submit", "--account", "acme", "--wait", dir)
	if code != exitFailed || !strings.Contains(errw, "1 of 2 files failed") || !strings.Contains(errw, "submitted") {
		t.Fatalf("submit --wait: exit %d, stderr %s", code, errw)
	}
	j := decodeJob(t, out)
	if j.State != jobs.StateDone || j.Done != 1 || j.Failed != 1 || j.Finished.IsZero() {
		t.Fatalf("job after --wait: %+v", j)
	}
	out, _, code = je.cli(t, "results", "--account", "acme", "--wait", "--format", "json", j.ID)
	var recs []record
	if err := json.Unmarshal([]byte(out), &recs); err != nil || code != exitFailed || len(recs) != 2 {
		t.Fatalf("results: exit %d, %v:\n%s", code, err, out)
	}
	if recs[0].Error != nil || recs[1].Error == nil || recs[1].Error.Code != errcode.UnsupportedMedia {
		t.Fatalf("records: %+v", recs)
	}
}

func TestJobsWithoutCredits(t *testing.T) {
	je := newJobsEnv(t)
	_, errw, code := je.cli(t, "submit", "--account", "broke", threeSamples[0])
	if code != exitFailed || !strings.Contains(errw, "insufficient_credits") {
		t.Fatalf("submit without credits: exit %d, %q", code, errw)
	}
	if out, _, _ := je.cli(t, "status", "--account", "broke"); out != "" {
		t.Fatalf("a refused job was kept: %s", out)
	}
}

func TestJobsCancel(t *testing.T) {
	je := newJobsEnv(t)
	mustCredits(t, "topup", "--ledger", je.dsn, "--account", "acme", "--credits", "5", "--ref", "p1")
	_, errw, code := je.cli(t, "cancel", "--account", "acme", "job_aaaaaaaaaaaaaaaaaaaaaaaaaa")
	if code != exitFailed || !strings.Contains(errw, "not_found") {
		t.Fatalf("cancel of an unknown job: exit %d, %q", code, errw)
	}
	out, _, code := je.cli(t, "submit", "--account", "acme", threeSamples[0], threeSamples[1])
	if code != exitOK {
		t.Fatalf("submit: exit %d", code)
	}
	id := decodeJob(t, out).ID
	out, errw, code = je.cli(t, "cancel", "--account", "acme", id)
	if j := decodeJob(t, out); code != exitOK || j.State != jobs.StateCanceled || j.Canceled != 2 || j.Finished.IsZero() {
		t.Fatalf("cancel: exit %d: %s %s", code, out, errw)
	}
	if left := filesUnder(t, filepath.Join(je.dir, "spool")); len(left) != 0 {
		t.Errorf("spool objects left after cancel: %q", left)
	}
	// A worker started afterwards charges nothing.
	stop := startWorker(t, je.vars, "--queue", je.dsn)
	time.Sleep(300 * time.Millisecond) // a few polls of the queue
	if code, werr := stop(); code != exitOK {
		t.Fatalf("worker: exit %d: %s", code, werr)
	}
	bal := decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", je.dsn, "--account", "acme"))
	if bal.Credits != 5 {
		t.Errorf("balance after a canceled job: %+v", bal)
	}
}

func TestJobsUsageErrors(t *testing.T) {
	je := newJobsEnv(t)
	for _, args := range [][]string{
		{"jobs"},
		{"jobs", "nope"},
		{"jobs", "submit", "--queue", je.dsn, "x.jpg"},                                        // no account
		{"jobs", "submit", "--queue", je.dsn, "--account", "a"},                               // no files
		{"jobs", "submit", "--queue", je.dsn, "--account", "a", "--task", "poem", "x.jpg"},    // bad task
		{"jobs", "submit", "--queue", je.dsn, "--account", "a", "--generator", "sd", "x.jpg"}, // generator without prompt
		{"jobs", "submit", "--queue", je.dsn, "--account", "a", "--agency", "adobe", "--agency", "getty", "x.jpg"},
		{"jobs", "status", "--queue", je.dsn, "--account", "a", "j1", "j2"},
		{"jobs", "results", "--queue", je.dsn, "--account", "a"},
		{"jobs", "results", "--queue", je.dsn, "--account", "a", "--format", "xml", "j1"},
		{"jobs", "cancel", "--queue", je.dsn, "j1"},
		{"jobs", "purge", "--queue", je.dsn, "extra"},
		{"jobs", "status", "--queue", je.dsn, "--account", "a", "--spool", "gs://bucket"},
		{"jobs", "status", "--queue", "postgres://127.0.0.1:1/x", "--account", "a"}, // postgres needs --spool
		{"worker", "--queue", je.dsn, "--workers", "0"},
		{"worker", "--queue", je.dsn, "--grace", "0s"},
		{"worker", "--queue", je.dsn, "--provider", "skynet"},
		{"worker", "--queue", je.dsn, "stray"},
	} {
		if _, errw, code := runCLI(t, je.vars, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d; stderr %s", args, code, exitUsage, errw)
		}
	}
	if _, errw, code := runCLI(t, je.vars, "jobs", "status", "--queue", "mysql://x", "--account", "a", "--spool", t.TempDir()); code != exitFailed || !strings.Contains(errw, "invalid_argument") {
		t.Errorf("bad queue DSN: exit %d, %q", code, errw)
	}
}

func TestWorkerWarnsWithoutKey(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "q.db")
	stop := startWorker(t, nil, "--queue", dsn, "--spool", filepath.Join(dir, "elsewhere"))
	code, errw := stop()
	if code != exitOK || !strings.Contains(errw, "no sealing key") {
		t.Fatalf("exit %d, stderr %s", code, errw)
	}
	if info, err := os.Stat(filepath.Join(dir, "elsewhere")); err != nil || !info.IsDir() {
		t.Fatalf("--spool FOLDER was not created: %v", err)
	}
}

func TestSealKeys(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	other := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("# rotated 2026-11\nnew:"+secret+"\n\n  old:"+other+"  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := sealKeys(file, func(string) string { return "ignored:" + secret })
	if err != nil || len(keys) != 2 || keys[0].ID != "new" || keys[1].ID != "old" || keys[1].Secret[0] != 2 {
		t.Fatalf("from the file: %+v, %v", keys, err)
	}
	keys, err = sealKeys("", func(k string) string {
		if k == sealKeysEnv {
			return "a:" + secret + ", b:" + other
		}
		return ""
	})
	if err != nil || len(keys) != 2 || keys[0].ID != "a" || keys[1].ID != "b" {
		t.Fatalf("from the environment: %+v, %v", keys, err)
	}
	if keys, err := sealKeys("", func(string) string { return "" }); err != nil || len(keys) != 0 {
		t.Fatalf("none: %+v, %v", keys, err)
	}
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	_, err = sealKeys("", func(string) string { return "a:" + secret + ",b:" + short })
	if err == nil || errcode.Of(err) != errcode.InvalidArgument || strings.Contains(err.Error(), short) || !strings.Contains(err.Error(), "key 2") {
		t.Fatalf("short key: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("# nothing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sealKeys(empty, nil); err == nil {
		t.Fatal("a key file without keys was accepted")
	}
	if _, err := sealKeys(filepath.Join(t.TempDir(), "missing"), nil); err == nil || strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestSpoolURL(t *testing.T) {
	for _, c := range []struct{ spool, queue, want string }{
		{"s3://b?region=eu-west-1", "postgres://db/x", "s3://b?region=eu-west-1"},
		{"", "sqlite:/var/lib/picfre/picfre.db", "file:///var/lib/picfre/spool?"},
		{"", "sqlite:///var/lib/picfre/picfre.db", "file:///var/lib/picfre/spool?"},
		{"/srv/spool", "postgres://db/x", "file:///srv/spool?"},
	} {
		got, err := spoolURL(c.spool, c.queue)
		if err != nil || !strings.HasPrefix(got, c.want) {
			t.Errorf("spoolURL(%q, %q) = %q, %v; want %q...", c.spool, c.queue, got, err, c.want)
		}
		if c.spool == "" && !strings.Contains(got, "no_tmp_dir=true") {
			t.Errorf("a folder spool writes its temporary files elsewhere: %q", got)
		}
	}
	if _, err := spoolURL("", "postgres://db/x"); err == nil {
		t.Error("a PostgreSQL queue without --spool was accepted")
	}
}

// TestJobsPostgresTwoWorkers is the scale-out recipe: one PostgreSQL
// database for the queue and the ledger, one shared spool, two workers.
func TestJobsPostgresTwoWorkers(t *testing.T) {
	je := newJobsEnv(t)
	je.dsn = testenv.Postgres(t)
	spool := filepath.Join(je.dir, "shared-spool")
	mustCredits(t, "topup", "--ledger", je.dsn, "--account", "acme", "--credits", "10", "--ref", "p1")
	startWorker(t, je.vars, "--queue", je.dsn, "--spool", spool, "--workers", "1")
	startWorker(t, je.vars, "--queue", je.dsn, "--spool", spool, "--workers", "1")
	out, errw, code := je.cli(t, "submit", append([]string{"--account", "acme", "--spool", spool, "--wait"}, threeSamples...)...)
	if code != exitOK {
		t.Fatalf("submit --wait: exit %d: %s", code, errw)
	}
	j := decodeJob(t, out)
	if j.State != jobs.StateDone || j.Done != 3 {
		t.Fatalf("job: %+v", j)
	}
	out, errw, code = je.cli(t, "results", "--account", "acme", "--spool", spool, j.ID)
	if recs := decodeJSONL(t, out); code != exitOK || len(recs) != 3 {
		t.Fatalf("results: exit %d, %d records: %s", code, len(recs), errw)
	}
	bal := decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", je.dsn, "--account", "acme"))
	if bal.Credits != 7 {
		t.Errorf("balance: %+v, want 7", bal)
	}
	for _, args := range [][]string{{"status", "--account", "acme"}, {"cancel", "--account", "acme", j.ID},
		{"delete", "--account", "acme", j.ID}, {"purge"}} {
		if _, errw, code := je.cli(t, args[0], append(args[1:], "--spool", spool)...); code != exitOK {
			t.Errorf("%q: exit %d: %s", args, code, errw)
		}
	}
	if _, errw, code := je.cli(t, "status", "--account", "acme", "--spool", spool, j.ID); code != exitFailed || !strings.Contains(errw, "not_found") {
		t.Errorf("status after delete: exit %d: %s", code, errw)
	}
}
