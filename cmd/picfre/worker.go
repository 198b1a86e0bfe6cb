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
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
)

// providerFlags are the flags of tag that choose and limit the provider
// and price the files; the worker takes them as tag does.
var providerFlags = []string{"provider", "fallback", "model", "base-url", "api-key",
	"price", "price-per-minute", "max-credits", "max-duration"}

// runWorker runs "picfre worker": it works the queue's files until ctx
// ends (SIGINT, SIGTERM), then stops, giving the files in hand --grace to
// finish before they are interrupted (their holds voided) and left for
// another worker. It sweeps every --sweep-every.
func runWorker(ctx context.Context, args []string, e env) error {
	var (
		jf          jobsFlags
		f           tagFlags
		ldsn        string
		workers     int
		lifetime    time.Duration
		sweepEvery  time.Duration
		grace       time.Duration
		maxAttempts int
	)
	fs := newFlagSet("worker", "worker [flags]", e.stderr)
	jf.register(fs)
	fs.StringVar(&ldsn, "ledger", "", "credit ledger that bills the files: sqlite:PATH or a postgres:// URL (default: the --queue database)")
	fs.IntVar(&workers, "workers", jobs.DefaultWorkers, "files worked at once by this process (and provider requests in flight)")
	fs.DurationVar(&lifetime, "result-lifetime", jobs.DefaultResultLifetime, "how long a result is held for fetching after its file is done")
	fs.DurationVar(&sweepEvery, "sweep-every", time.Minute, "how often to sweep expired results, abandoned uploads and old records (0: never)")
	fs.DurationVar(&grace, "grace", 30*time.Second, "on SIGINT or SIGTERM, how long files in progress may take to finish before they are interrupted and left for another worker")
	fs.IntVar(&maxAttempts, "max-attempts", jobs.DefaultMaxAttempts, "tries of a file that fails for a passing reason (provider down, rate limited)")
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
	switch {
	case workers < 1:
		return usagef("--workers must be at least 1")
	case lifetime <= 0 || grace <= 0 || sweepEvery < 0:
		return usagef("--result-lifetime and --grace must be positive, --sweep-every not negative")
	case maxAttempts < 1:
		return usagef("--max-attempts must be at least 1")
	case f.price < 0 || f.pricePerMinute < 0:
		return usagef("--price and --price-per-minute must not be negative")
	case f.maxCredits < 0 || f.maxDuration <= 0:
		return usagef("--max-credits must not be negative and --max-duration must be positive")
	}
	prov, err := newProvider(f, e.getenv)
	if err != nil {
		return err
	}
	cfg := picfre.Config{MaxRequests: workers, MaxCredits: f.maxCredits, MaxDuration: f.maxDuration}
	if f.maxCredits == 0 {
		cfg.MaxCredits = -1 // no ceiling
	}
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
		Workers: workers, ResultLifetime: lifetime, MaxAttempts: maxAttempts, Logger: log,
	}, true)
	if err != nil {
		db.Close()
		return coded("worker", err)
	}
	svc.ledger = db
	queueKind, _, _ := strings.Cut(jf.queue, ":")
	fmt.Fprintf(e.stderr, "picfre worker: %d workers on the %s queue; stop with SIGINT or SIGTERM\n", workers, strings.TrimSuffix(queueKind, "ql"))

	sweep := func() {
		rep, err := svc.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("picfre worker: sweep failed", "code", string(errcode.Of(err)), "error", err.Error())
		case rep != (jobs.SweepReport{}):
			log.Info("picfre worker: swept", "results", rep.Results, "uploads", rep.Uploads, "orphans", rep.Orphans, "jobs", rep.Jobs)
		}
	}
	if sweepEvery > 0 {
		sweep()
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for done := false; !done; {
			select {
			case <-ctx.Done():
				done = true
			case <-t.C:
				sweep()
			}
		}
	} else {
		<-ctx.Done()
	}

	fmt.Fprintf(e.stderr, "picfre worker: stopping; files in progress have %s to finish\n", grace)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := svc.close(stopCtx); err != nil {
		return coded("worker: stop", err)
	}
	fmt.Fprintln(e.stderr, "picfre worker: stopped")
	return nil
}
