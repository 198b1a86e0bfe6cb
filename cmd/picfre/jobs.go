package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"gocloud.dev/blob"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/stock"
	"github.com/picfre/picfre/store"
)

const jobsUsage = `usage:
  picfre jobs submit  --account A [--wait] [--task metadata|prompt] [tag's request flags] PATH...
  picfre jobs status  --account A [JOBID]
  picfre jobs results --account A [--consume] [--wait] [--format jsonl|json|csv] [--out FILE] JOBID
  picfre jobs cancel  --account A JOBID
  picfre jobs delete  --account A JOBID
  picfre jobs purge

Every subcommand takes --queue DSN (sqlite:PATH or a postgres:// URL;
default: ` + defaultQueueDSN + `), --spool URL (the bucket the uploads wait
in: file:///FOLDER, s3://BUCKET?region=..., or a folder; default: a folder
"spool" beside an SQLite queue) and --seal-key-file FILE (else the keys in
` + sealKeysEnv + `), the same as the "picfre worker" processes that work
the jobs.

submit uploads the files (folders are walked as by tag) into the spool and
queues them as one job; it prints the job (id, state, counts) as JSON.
With --wait it follows the job, its progress on stderr, until it is final,
then prints it. The account's available credits in the ledger (--ledger,
default: the queue database) must cover the job at --price.
status prints the job with its files, or without JOBID the account's jobs
(JSONL, newest first). results prints the results as picfre tag does, in
input order; --consume deletes each result once printed, --wait waits for
the files not yet done. cancel stops a job (files not started are not
charged), delete deletes it with its content and results, purge runs the
sweep: expired results, abandoned uploads and records past retention.
A job of another account is not_found, as is one that does not exist.
`

// jobsFlags are the flags every jobs subcommand and the worker share.
type jobsFlags struct {
	queue, spool, keyFile string
}

func (j *jobsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&j.queue, "queue", defaultQueueDSN, "job queue: sqlite:PATH or a postgres:// URL")
	fs.StringVar(&j.spool, "spool", "", "spool bucket: file:///FOLDER, s3://BUCKET?region=..., or a folder (default: \"spool\" beside an SQLite queue)")
	fs.StringVar(&j.keyFile, "seal-key-file", "", "file of sealing keys, one ID:BASE64 a line, the first sealing (default: the keys in "+sealKeysEnv+")")
}

// service is an open job service with what it was opened over.
type service struct {
	*jobs.Service
	bucket *blob.Bucket
	ledger *store.DB
}

// close closes the service (giving files in progress until ctx ends),
// the spool and the ledger.
func (s *service) close(ctx context.Context) error {
	err := s.Service.Close(ctx)
	_ = s.bucket.Close()
	if s.ledger != nil {
		_ = s.ledger.Close()
	}
	return err
}

// open opens the spool, reads the sealing keys (warning on stderr when
// there are none and warn is set) and opens the job service over the
// queue with cfg.
func (j *jobsFlags) open(ctx context.Context, e env, cfg jobs.Config, warn bool) (*service, error) {
	keys, err := sealKeys(j.keyFile, e.getenv)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 && warn {
		fmt.Fprint(e.stderr, warnClear)
	}
	url, err := spoolURL(j.spool, j.queue)
	if err != nil {
		return nil, err
	}
	bucket, err := openSpool(ctx, url)
	if err != nil {
		return nil, err
	}
	cfg.Spool, cfg.Keys = bucket, keys
	svc, err := jobs.Open(ctx, j.queue, cfg)
	if err != nil {
		_ = bucket.Close()
		return nil, err
	}
	return &service{Service: svc, bucket: bucket}, nil
}

// coded gives a failure its code in the message ("jobs cancel: not_found:
// jobs: no such job"), as picfre tag prints a file's: scripts branch on
// it. Usage errors and errSomeFailed pass as they are.
func coded(what string, err error) error {
	if err == nil || errors.Is(err, errUsage) || errors.Is(err, errSomeFailed) {
		return err
	}
	return fmt.Errorf("%s: %s: %w", what, errcode.Of(err), err)
}

// runJobs runs "picfre jobs SUBCOMMAND [flags] [ARGS]".
func runJobs(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, jobsUsage)
		return usagef("jobs: missing subcommand")
	}
	sub, rest := args[0], args[1:]
	var run func(context.Context, []string, env) error
	switch sub {
	case "submit":
		run = runJobsSubmit
	case "status":
		run = runJobsStatus
	case "results":
		run = runJobsResults
	case "cancel", "delete":
		run = func(ctx context.Context, args []string, e env) error { return runJobsEnd(ctx, sub, args, e) }
	case "purge":
		run = runJobsPurge
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, jobsUsage)
		return nil
	default:
		fmt.Fprint(e.stderr, jobsUsage)
		return usagef("jobs: unknown subcommand %q", sub)
	}
	return coded("jobs "+sub, run(ctx, rest, e))
}

// parseJobArgs parses a subcommand's flags and returns its positional
// arguments; flag.ErrHelp when -h asked for the usage.
func parseJobArgs(fs *flag.FlagSet, args []string, account *string) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	if account != nil && *account == "" {
		return nil, usagef("%s: --account is required", fs.Name())
	}
	return pos, nil
}

// oneJobID checks that pos is exactly one job id.
func oneJobID(name string, pos []string) (string, error) {
	if len(pos) != 1 {
		return "", usagef("%s needs one JOBID", name)
	}
	return pos[0], nil
}

// jobRecord is a job as the commands print it: file names escaped as in
// the result records (picfre.EscapeName), so that a name that is not
// UTF-8 keeps its bytes.
func jobRecord(j *jobs.Job, withFiles bool) *jobs.Job {
	r := *j
	r.Files = nil
	if withFiles {
		r.Files = make([]jobs.File, len(j.Files))
		for i, f := range j.Files {
			f.Name = picfre.EscapeName(f.Name)
			r.Files[i] = f
		}
	}
	return &r
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// requestFlags are the flags of tag that shape a job's request.
var requestFlags = []string{"lang", "keywords", "max-keywords", "context", "agency", "require", "exclude",
	"single-word", "ascii", "second-lang", "generator", "file-timeout", "price", "price-per-minute"}

func runJobsSubmit(ctx context.Context, args []string, e env) error {
	var (
		jf   jobsFlags
		f    tagFlags
		task string
		wait bool
		ldsn string
	)
	fs := newFlagSet("jobs submit", "jobs submit --account A [flags] PATH...", e.stderr)
	jf.register(fs)
	fs.StringVar(&f.account, "account", "", "account the job is for and billed to")
	fs.StringVar(&task, "task", "metadata", "metadata (titles, descriptions, keywords) or prompt (reverse prompts)")
	fs.BoolVar(&wait, "wait", false, "follow the job, its progress on stderr, until it is final")
	fs.StringVar(&ldsn, "ledger", "", "credit ledger whose available credits must cover the job (default: the --queue database)")
	registerSome(fs, &f, requestFlags...)
	fs.Lookup("agency").Usage = "stock agency whose rules shape the request (one): adobe, shutterstock, getty, freepik, vecteezy, dreamstime, pond5, envato, depositphotos, 123rf"
	paths, err := parseJobArgs(fs, args, &f.account)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("jobs submit needs at least one file or folder")
	}
	if task != string(picfre.TaskMetadata) && task != string(picfre.TaskPrompt) {
		return usagef("--task wants metadata or prompt, got %q", task)
	}
	if f.generator != "" && task != string(picfre.TaskPrompt) {
		return usagef("--generator goes with --task prompt")
	}
	lo, hi, err := f.keywordRange()
	if err != nil {
		return err
	}
	if f.price < 0 || f.pricePerMinute < 0 {
		return usagef("--price and --price-per-minute must not be negative")
	}
	opts := f.options(picfre.Task(task), lo, hi)
	switch len(f.agencies) {
	case 0:
	case 1:
		p, err := stock.Lookup(f.agencies[0])
		if err != nil {
			return usagef("--agency: %v", err)
		}
		opts.Agency = p.Name
	default:
		return usagef("jobs submit takes one --agency: it shapes the request")
	}
	if ldsn == "" {
		ldsn = jf.queue
	}
	db, err := openLedger(ctx, ldsn)
	if err != nil {
		return err
	}
	svc, err := jf.open(ctx, e, jobs.Config{Workers: -1, Ledger: db.Ledger(), Pricer: pricing(f.price, f.pricePerMinute)}, true)
	if err != nil {
		db.Close()
		return err
	}
	svc.ledger = db
	defer svc.close(context.WithoutCancel(ctx))

	files := expandPaths(paths)
	media := func(yield func(picfre.Media) bool) {
		for _, f := range files {
			if !yield(entryMedia(f)) {
				return
			}
		}
	}
	j, err := svc.Submit(ctx, f.account, opts, media)
	if err != nil {
		return err
	}
	if !wait {
		return printJSON(e.stdout, jobRecord(j, false))
	}
	fmt.Fprintf(e.stderr, "picfre: %s submitted, %d files\n", j.ID, j.Total)
	if j, err = follow(ctx, svc.Service, f.account, j.ID, e); err != nil {
		return err
	}
	if err := printJSON(e.stdout, jobRecord(j, false)); err != nil {
		return err
	}
	return jobOutcome(j, e.stderr)
}

// follow watches the job until it is final, drawing its progress on
// stderr (a bar on a terminal, else a line each time a file settles), and
// returns it.
func follow(ctx context.Context, svc *jobs.Service, account, id string, e env) (*jobs.Job, error) {
	settled := -1
	for ev, err := range svc.Watch(ctx, account, id) {
		if err != nil {
			return nil, err
		}
		if n := ev.Settled(); n != settled || ev.Final {
			settled = n
			if e.isTerminal {
				(&progressBar{w: e.stderr, total: ev.Total}).update(n, ev.Failed)
			} else {
				fmt.Fprintf(e.stderr, "picfre: %s %s: %d/%d files settled, %d failed\n", id, ev.State, n, ev.Total, ev.Failed)
			}
		}
	}
	return svc.Job(ctx, account, id)
}

// jobOutcome is the exit status of a final job: errSomeFailed (exit 1)
// when it was stopped or any file failed or was canceled, as for picfre
// tag.
func jobOutcome(j *jobs.Job, stderr io.Writer) error {
	switch {
	case j.State == jobs.StateStopped:
		fmt.Fprintf(stderr, "picfre: %s stopped: %s\n", j.ID, j.Code)
		return errSomeFailed
	case j.Failed+j.Canceled > 0:
		fmt.Fprintf(stderr, "picfre: %d of %d files failed\n", j.Failed+j.Canceled, j.Total)
		return errSomeFailed
	}
	return nil
}

func runJobsStatus(ctx context.Context, args []string, e env) error {
	var (
		jf      jobsFlags
		account string
	)
	fs := newFlagSet("jobs status", "jobs status --account A [flags] [JOBID]", e.stderr)
	jf.register(fs)
	fs.StringVar(&account, "account", "", "account whose jobs to show")
	pos, err := parseJobArgs(fs, args, &account)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("jobs status takes at most one JOBID")
	}
	svc, err := jf.open(ctx, e, jobs.Config{Workers: -1}, false)
	if err != nil {
		return err
	}
	defer svc.close(context.WithoutCancel(ctx))
	if len(pos) == 1 {
		j, err := svc.Job(ctx, account, pos[0])
		if err != nil {
			return err
		}
		return printJSON(e.stdout, jobRecord(j, true))
	}
	list, err := svc.Jobs(ctx, account)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	for _, j := range list {
		if err := enc.Encode(jobRecord(j, false)); err != nil {
			return err
		}
	}
	return nil
}

func runJobsResults(ctx context.Context, args []string, e env) error {
	var (
		jf                   jobsFlags
		account, format, out string
		consume, wait        bool
	)
	fs := newFlagSet("jobs results", "jobs results --account A [flags] JOBID", e.stderr)
	jf.register(fs)
	fs.StringVar(&account, "account", "", "account the job is for")
	fs.StringVar(&format, "format", "jsonl", "output format: jsonl, json or csv")
	fs.StringVar(&out, "out", "", "write output to FILE instead of stdout")
	fs.BoolVar(&consume, "consume", false, "delete each result from the queue database once it is printed")
	fs.BoolVar(&wait, "wait", false, "wait for the files not yet done, until the job is final")
	pos, err := parseJobArgs(fs, args, &account)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	id, err := oneJobID("jobs results", pos)
	if err != nil {
		return err
	}
	if _, err := newResultWriter(format, io.Discard); err != nil {
		return err
	}
	svc, err := jf.open(ctx, e, jobs.Config{Workers: -1}, false)
	if err != nil {
		return err
	}
	defer svc.close(context.WithoutCancel(ctx))
	if _, err := svc.Job(ctx, account, id); err != nil {
		return err // before --out creates a file
	}
	var w io.Writer = e.stdout
	if out != "" {
		file, err := os.Create(out)
		if err != nil {
			return errcode.Errorf(errcode.InvalidArgument, "--out: the file cannot be created")
		}
		defer file.Close()
		w = file
	}
	rw, err := newResultWriter(format, w)
	if err != nil {
		return err
	}
	n, failed := 0, 0
	for r, err := range svc.Results(ctx, account, id, jobs.ResultOptions{Consume: consume, Wait: wait}) {
		if err != nil {
			_ = rw.Close()
			return err
		}
		n++
		if r.Err != nil {
			failed++
		}
		if err := rw.Write(toRecord(&r.Result)); err != nil {
			return err
		}
	}
	if err := rw.Close(); err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "picfre: %d of %d files failed\n", failed, n)
		return errSomeFailed
	}
	return nil
}

// runJobsEnd runs cancel and delete.
func runJobsEnd(ctx context.Context, sub string, args []string, e env) error {
	var (
		jf      jobsFlags
		account string
	)
	fs := newFlagSet("jobs "+sub, "jobs "+sub+" --account A [flags] JOBID", e.stderr)
	jf.register(fs)
	fs.StringVar(&account, "account", "", "account the job is for")
	pos, err := parseJobArgs(fs, args, &account)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	id, err := oneJobID("jobs "+sub, pos)
	if err != nil {
		return err
	}
	svc, err := jf.open(ctx, e, jobs.Config{Workers: -1}, false)
	if err != nil {
		return err
	}
	defer svc.close(context.WithoutCancel(ctx))
	if sub == "delete" {
		if err := svc.Delete(ctx, account, id); err != nil {
			return err
		}
		return printJSON(e.stdout, struct {
			ID      string `json:"id"`
			Deleted bool   `json:"deleted"`
		}{id, true})
	}
	j, err := svc.Cancel(ctx, account, id)
	if err != nil {
		return err
	}
	return printJSON(e.stdout, jobRecord(j, false))
}

func runJobsPurge(ctx context.Context, args []string, e env) error {
	var (
		jf   jobsFlags
		ldsn string
	)
	fs := newFlagSet("jobs purge", "jobs purge [flags]", e.stderr)
	jf.register(fs)
	fs.StringVar(&ldsn, "ledger", "", "credit ledger whose legal holds the purge respects (default: the --queue database)")
	pos, err := parseJobArgs(fs, args, nil)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("jobs purge: unexpected argument %q", pos[0])
	}
	if ldsn == "" {
		ldsn = jf.queue
	}
	db, err := openLedger(ctx, ldsn)
	if err != nil {
		return err
	}
	svc, err := jf.open(ctx, e, jobs.Config{Workers: -1, Ledger: db.Ledger()}, false)
	if err != nil {
		db.Close()
		return err
	}
	svc.ledger = db
	defer svc.close(context.WithoutCancel(ctx))
	rep, err := svc.Sweep(ctx)
	if err != nil {
		return err
	}
	return printJSON(e.stdout, rep)
}
