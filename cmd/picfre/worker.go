package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/jobs"
)

// providerFlags are the flags of tag that choose and limit the provider
// and price the files; the worker takes them as tag does.
var providerFlags = []string{"provider", "fallback", "model", "base-url", "api-key", "rpm",
	"price", "price-per-minute", "max-credits", "max-duration"}

// runWorker runs "picfre worker": it works the queue's files until ctx
// ends (SIGINT, SIGTERM), then stops, giving the files in hand --grace to
// finish before they are interrupted (their holds voided) and left for
// another worker. It sweeps every --sweep-every.
func runWorker(ctx context.Context, args []string, e env) error {
	var (
		jf   jobsFlags
		f    tagFlags
		ldsn string
		wf   workFlags
	)
	fs := newFlagSet("worker", "worker [flags]", e.stderr)
	jf.register(fs)
	fs.StringVar(&ldsn, "ledger", "", "credit ledger that bills the files: sqlite:PATH or a postgres:// URL (default: the --queue database)")
	wf.register(fs, "on SIGINT or SIGTERM, how long files in progress may take to finish before they are interrupted and left for another worker")
	registerSome(fs, &f, providerFlags...)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("worker: unexpected argument %q", pos[0])
	}
	if err := wf.check(f); err != nil {
		return err
	}
	prov, err := newProvider(f, e.getenv)
	if err != nil {
		return err
	}
	cfg := wf.pipelineConfig(f)
	if ldsn == "" {
		ldsn = jf.queue
	}
	db, err := configureLedger(ctx, &cfg, ldsn, f.price, f.pricePerMinute)
	if err != nil {
		return coded("worker", err)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc, err := jf.open(ctx, e, jobs.Config{
		Tagger: picfre.New(prov, cfg), Ledger: db.Ledger(), Pricer: cfg.Pricer,
		Workers: wf.workers, ResultLifetime: wf.lifetime, MaxAttempts: wf.maxAttempts, Logger: log,
	}, true)
	if err != nil {
		db.Close()
		return coded("worker", err)
	}
	svc.ledger = db
	queueKind, _, _ := strings.Cut(jf.queue, ":")
	fmt.Fprintf(e.stderr, "picfre worker: %d workers on the %s queue; stop with SIGINT or SIGTERM\n", wf.workers, strings.TrimSuffix(queueKind, "ql"))

	if wf.sweepEvery > 0 {
		sweepLoop(ctx, "picfre worker", svc.Service, nil, wf.sweepEvery, log)
	} else {
		<-ctx.Done()
	}

	fmt.Fprintf(e.stderr, "picfre worker: stopping; files in progress have %s to finish\n", wf.grace)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wf.grace)
	defer cancel()
	if err := svc.close(stopCtx); err != nil {
		return coded("worker: stop", err)
	}
	fmt.Fprintln(e.stderr, "picfre worker: stopped")
	return nil
}

// workFlags are the flags of the commands that work files: worker and
// serve.
type workFlags struct {
	workers     int
	lifetime    time.Duration
	sweepEvery  time.Duration
	grace       time.Duration
	maxAttempts int
}

// register adds the flags to fs; graceUsage says what --grace waits for.
func (w *workFlags) register(fs *flag.FlagSet, graceUsage string) {
	fs.IntVar(&w.workers, "workers", jobs.DefaultWorkers, "files worked at once by this process (and provider requests in flight)")
	fs.DurationVar(&w.lifetime, "result-lifetime", jobs.DefaultResultLifetime, "how long a result is held for fetching after its file is done")
	fs.DurationVar(&w.sweepEvery, "sweep-every", time.Minute, "how often to sweep expired results, abandoned uploads and old records (0: never)")
	fs.DurationVar(&w.grace, "grace", 30*time.Second, graceUsage)
	fs.IntVar(&w.maxAttempts, "max-attempts", jobs.DefaultMaxAttempts, "tries of a file that fails for a passing reason (provider down, rate limited)")
}

// check refuses values out of range, these flags' and the price flags of f.
func (w *workFlags) check(f tagFlags) error {
	switch {
	case w.workers < 1:
		return usagef("--workers must be at least 1")
	case w.lifetime <= 0 || w.grace <= 0 || w.sweepEvery < 0:
		return usagef("--result-lifetime and --grace must be positive, --sweep-every not negative")
	case w.maxAttempts < 1:
		return usagef("--max-attempts must be at least 1")
	case f.price < 0 || f.pricePerMinute < 0:
		return usagef("--price and --price-per-minute must not be negative")
	case f.maxCredits < 0 || f.maxDuration <= 0:
		return usagef("--max-credits must not be negative and --max-duration must be positive")
	}
	return nil
}

// pipelineConfig is the pipeline's setup for w.workers files at once with
// f's limits; configureLedger adds the meter and the prices.
func (w *workFlags) pipelineConfig(f tagFlags) picfre.Config {
	cfg := picfre.Config{MaxRequests: w.workers, MaxCredits: f.maxCredits, MaxDuration: f.maxDuration}
	if f.maxCredits == 0 {
		cfg.MaxCredits = -1 // no ceiling
	}
	return cfg
}
