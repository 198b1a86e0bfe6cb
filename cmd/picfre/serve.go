package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/payments"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/agegate"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/webapp"
)

const serveUsage = `usage:
  picfre serve [--addr 127.0.0.1:8080] [--auth single|tokens] [--ledger DSN] [--queue DSN] [--spool URL]
               [--workers N] [--seal-key-file F] [--result-lifetime D] [--sweep-every D] [--grace D]
               [--max-files N] [--max-file-bytes N] [provider and price flags as for tag]
               [--stripe-secret-key-file F] [--stripe-webhook-secret-file F] [--stripe-api URL]
               [--packs LIST | --packs-file F] [--public-url URL]

serve runs the whole service in one process: the HTTP API under /v1
(see /v1/openapi.json), the web app at /, the workers and the sweeper
(expired results, abandoned uploads, records past retention). By default
everything is in one SQLite file (--ledger, default ` + defaultLedgerDSN + `;
the queue is the same database unless --queue names another) with the
spool folder beside it; at scale, a postgres:// ledger and queue and an
s3:// --spool shared by several serve or worker processes.

--auth single (the default) serves one account, "local", to whoever can
connect: it only binds a loopback address (127.0.0.1, ::1, localhost).
In single-user mode files are free unless --price or --price-per-minute
sets a price (then top the account "local" up with picfre credits topup).
--auth tokens asks every request for an API token (Authorization: Bearer,
or the session cookie the web app signs in with); make them with
"picfre accounts create" and "picfre accounts token".

Payments are on when a Stripe secret key is given ($STRIPE_SECRET_KEY or
--stripe-secret-key-file), with the webhook signing secrets in
$STRIPE_WEBHOOK_SECRET (comma-separated, several during a rotation) or
--stripe-webhook-secret-file (one a line). Stripe posts its events to
/v1/payments/webhook. The packs on sale are --packs
"name=credits:amount:currency,..." (amount in minor units, cents) or
--packs-file (JSON); by default one pack, starter=500:500:usd (500
credits for $5.00). Buyers come back from Stripe's page to --public-url
(with --auth single, the address served by default; with --auth tokens
it is required when payments are on). --stripe-api points at another
API base, such as stripe-mock's for tests.

On SIGINT or SIGTERM it stops taking connections, lets the requests in
progress finish (progress streams end at once) and the files in progress
--grace each to finish, then stops: a file not finished is released, not
charged, and worked again by the next start.
`

// singleUserAccount is the account of --auth single.
const singleUserAccount = "local"

// Server limits. ReadTimeout stays 0: an upload streams for as long as
// the client takes to send its files (a hundred camera files over a slow
// link take minutes), and a whole-request deadline would cut it off;
// ReadHeaderTimeout bounds a client that never finishes its headers,
// IdleTimeout a kept-alive connection nobody uses, and the API sets
// per-request deadlines itself (http.ResponseController). WriteTimeout
// stays 0 for the progress streams (Server-Sent Events).
const (
	serveReadHeaderTimeout = 10 * time.Second
	serveMaxHeaderBytes    = 64 << 10
	serveIdleTimeout       = 2 * time.Minute
)

// runServe runs "picfre serve".
func runServe(ctx context.Context, args []string, e env) error {
	var (
		jf          jobsFlags
		f           tagFlags
		addr, auth  string
		ldsn        string
		wf          workFlags
		maxFiles    int
		maxFileSize int64
		pf          payFlags
	)
	fs := newFlagSet("serve", "serve [flags]", e.stderr)
	fs.Usage = func() {
		fmt.Fprint(e.stderr, serveUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	jf.register(fs)
	fs.Lookup("queue").DefValue = "the --ledger database"
	jf.queue = ""
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&auth, "auth", "single", "single (one account, loopback only) or tokens (API tokens of picfre accounts)")
	fs.StringVar(&ldsn, "ledger", defaultLedgerDSN, "credit ledger and accounts: sqlite:PATH or a postgres:// URL")
	wf.register(fs, "on SIGINT or SIGTERM, how long requests in progress, and then files in progress, may take to finish")
	fs.IntVar(&maxFiles, "max-files", jobs.DefaultMaxFiles, "most files in one upload")
	fs.Int64Var(&maxFileSize, "max-file-bytes", jobs.DefaultMaxFileBytes, "largest file in bytes")
	pf.register(fs)
	fs.StringVar(&pf.publicURL, "public-url", "", "URL buyers return to from the payment page (default with --auth single: http://ADDR/ as served)")
	registerSome(fs, &f, providerFlags...)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve: unexpected argument %q", pos[0])
	}
	if err := wf.check(f); err != nil {
		return err
	}
	if maxFiles < 1 || maxFileSize < 1 {
		return usagef("--max-files and --max-file-bytes must be at least 1")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef("--addr wants host:port, got %q", addr)
	}
	switch auth {
	case "single":
		if !loopbackAddr(addr) {
			return usagef("--auth single serves one account to anyone who can connect, so it binds a loopback address only (127.0.0.1:PORT, [::1]:PORT, localhost:PORT), not %q; use --auth tokens to serve a network", addr)
		}
	case "tokens":
	default:
		return usagef("--auth wants single or tokens, got %q", auth)
	}
	if jf.queue == "" {
		jf.queue = ldsn
	}
	if auth == "single" && !flagSet(fs, "price") && !flagSet(fs, "price-per-minute") {
		// One person's own install: their files are free unless they set
		// a price, so that serve works before anyone has topped up. The
		// usage records and the balance are kept as always.
		f.price, f.pricePerMinute = 0, 0
	}
	prov, err := newProvider(f, e.getenv)
	if err != nil {
		return err
	}

	// The pipeline bills through the ledger; the service checks credits
	// at commit against the same ledger and prices.
	cfg := wf.pipelineConfig(f)
	db, err := configureLedger(ctx, &cfg, ldsn, f.price, f.pricePerMinute)
	if err != nil {
		return coded("serve", err)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	policy := retention.Policy{}
	pipeline := picfre.New(prov, cfg)
	svc, err := jf.open(ctx, e, jobs.Config{
		Tagger: pipeline, Ledger: db.Ledger(), Pricer: cfg.Pricer,
		Workers: wf.workers, ResultLifetime: wf.lifetime, MaxAttempts: wf.maxAttempts, Retention: policy,
		MaxFiles: maxFiles, MaxFileBytes: maxFileSize, Logger: log,
	}, true)
	if err != nil {
		db.Close()
		return coded("serve", err)
	}
	svc.ledger = db // closed by svc.close, after the service

	// A payment credits only an account this server serves: in tokens
	// mode one that `picfre accounts create` made, in single-user mode
	// the one account.
	exists := db.Accounts().Exists
	if auth == "single" {
		exists = func(_ context.Context, account string) (bool, error) { return account == singleUserAccount, nil }
	}
	proc, err := pf.processor(e, db, log, exists)
	if err == nil && proc != nil && auth == "tokens" && pf.publicURL == "" {
		err = usagef("serve: payments with --auth tokens need --public-url, the address buyers return to")
	}
	if err != nil {
		svc.close(context.WithoutCancel(ctx))
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		svc.close(context.WithoutCancel(ctx))
		return errcode.Errorf(errcode.Unavailable, "serve: cannot listen on %s: %w", addr, err)
	}
	publicURL := pf.publicURL
	if proc != nil && publicURL == "" {
		publicURL = "http://" + ln.Addr().String() + "/"
	}
	var processor payments.Processor // nil, not a nil *stripe.Processor, when off
	if proc != nil {
		processor = proc
	}

	var authn httpapi.Authenticator
	mode := "single-user"
	if auth == "tokens" {
		mode = "tokens"
		authn = &httpapi.Tokens{Store: db.Accounts()}
	} else {
		authn = httpapi.SingleUser(singleUserAccount)
	}
	api, err := httpapi.New(httpapi.Config{
		Jobs: svc.Service, Auth: authn, Payments: processor, PublicURL: publicURL,
		Ledger: db.Ledger(), Pricer: cfg.Pricer, Estimator: pipeline,
		Subjects: &privacy.Subjects{
			Contacts: db.Contacts(), Ledger: db.Ledger(), Retention: policy,
			Jobs: svc.Service, AgeGate: agegate.Gate{},
		},
		MaxFiles: maxFiles, MaxFileBytes: maxFileSize,
		Logger: log,
	})
	if err != nil {
		_ = ln.Close()
		svc.close(context.WithoutCancel(ctx))
		return coded("serve", err)
	}

	// Two contexts under the requests: streams (the progress events)
	// end as soon as the shutdown begins, since they would otherwise hold
	// it for the whole grace; every other request keeps its context until
	// the grace is over.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	streams, endStreams := context.WithCancel(base)
	defer endStreams()
	mux := http.NewServeMux()
	mux.Handle("/v1/", endOnShutdown(api, streams))
	mux.Handle("/", webapp.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: serveReadHeaderTimeout,
		MaxHeaderBytes:    serveMaxHeaderBytes,
		IdleTimeout:       serveIdleTimeout,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	// The sweeper: the job service's (results, uploads, orphans, job
	// records) and the ledger's retention (usage records).
	sweepCtx, stopSweep := context.WithCancel(ctx)
	var sweeping sync.WaitGroup
	if wf.sweepEvery > 0 {
		sweeping.Go(func() {
			sweepLoop(sweepCtx, "picfre serve", svc.Service, &retention.Sweeper{Ledger: db.Ledger(), Policy: policy}, wf.sweepEvery, log)
		})
	}

	fmt.Fprintln(e.stderr, paymentsLine(proc, pf.apiBase))
	fmt.Fprintf(e.stderr, "picfre: serving http://%s (%s)\n", ln.Addr(), mode)
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}

	fmt.Fprintf(e.stderr, "picfre: stopping; requests and files in progress have %s each to finish\n", wf.grace)
	endStreams()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wf.grace)
	defer cancel()
	if err := srv.Shutdown(stopCtx); err != nil {
		// The grace is over: cut what is left.
		cancelBase()
		srv.Close()
	}
	stopSweep()
	sweeping.Wait()
	workCtx, cancelWork := context.WithTimeout(context.WithoutCancel(ctx), wf.grace)
	defer cancelWork()
	if err := svc.close(workCtx); err != nil {
		return coded("serve: stop", err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return errcode.Errorf(errcode.Unavailable, "serve: %w", serveErr)
	}
	fmt.Fprintln(e.stderr, "picfre: stopped")
	return nil
}

// endOnShutdown gives the progress streams (GET .../events) a context
// that also ends with streams, so that a shutdown does not wait for them.
func endOnShutdown(h http.Handler, streams context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/events") {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			stop := context.AfterFunc(streams, cancel)
			defer stop()
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}

// sweepLoop sweeps at once and then every interval until ctx ends.
func sweepLoop(ctx context.Context, who string, svc *jobs.Service, ledger *retention.Sweeper, every time.Duration, log *slog.Logger) {
	sweep := func() {
		rep, err := svc.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn(who+": sweep failed", "code", string(errcode.Of(err)), "error", err.Error())
		case rep != (jobs.SweepReport{}):
			log.Info(who+": swept", "results", rep.Results, "uploads", rep.Uploads, "orphans", rep.Orphans, "jobs", rep.Jobs)
		}
		if ledger == nil {
			return
		}
		r, err := ledger.Sweep(ctx, retention.SweepOptions{})
		switch {
		case errors.Is(err, retention.ErrSweepInProgress):
			// Another instance sweeps the same ledger now.
		case err != nil && ctx.Err() == nil:
			log.Warn(who+": retention sweep failed", "code", string(errcode.Of(err)), "error", err.Error())
		case err == nil && r.Purged > 0:
			log.Info(who+": retention swept", "usage_records", r.Purged)
		}
	}
	sweep()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			sweep()
		}
	}
}

// loopbackAddr reports whether addr (host:port) listens on a loopback
// address only: 127.0.0.0/8, ::1 or localhost. An empty host (":8080")
// listens on every interface and is not.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// flagSet reports whether the command line set the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
