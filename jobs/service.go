package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"gocloud.dev/blob"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/seal"
	"github.com/picfre/picfre/internal/sqlitedb"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/pgstore"
	"github.com/picfre/picfre/retention"
)

// Defaults of Config's zero fields.
const (
	// DefaultWorkers is Config.Workers when it is zero.
	DefaultWorkers = 4
	// DefaultResultLifetime is how long a result is held for fetching
	// when Config.ResultLifetime is zero.
	DefaultResultLifetime = 24 * time.Hour
	// DefaultMaxFiles bounds the files of one job when Config.MaxFiles is
	// zero.
	DefaultMaxFiles = 10000
	// DefaultMaxFileBytes bounds one upload when Config.MaxFileBytes is
	// zero: the pipeline's own limit for video and audio.
	DefaultMaxFileBytes int64 = 4 << 30
	// DefaultMaxAttempts is how often a file is tried when
	// Config.MaxAttempts is zero.
	DefaultMaxAttempts = 5
	// DefaultRescueAfter is Config.RescueAfter when it is zero: well
	// above a file's default time limit (picfre.DefaultFileTimeout) and
	// its capture retries.
	DefaultRescueAfter = 5 * time.Minute
	// DefaultInProgressWait is Config.InProgressWait when it is zero.
	DefaultInProgressWait = 30 * time.Second
	// DefaultUploadTimeout is Config.UploadTimeout when it is zero.
	DefaultUploadTimeout = time.Hour
	// DefaultPollInterval is Config.PollInterval when it is zero.
	DefaultPollInterval = 250 * time.Millisecond
)

// queueName is the River queue the files are worked from.
const queueName = "picfre"

// Key is one sealing key for the spool and the held results: ID names it
// in every object sealed with it (1 to 64 printable ASCII bytes, no
// spaces), Secret is 32 random bytes (AES-256). ParseKey reads the
// "ID:BASE64" form an operator keeps in a file or a secret store.
type Key struct {
	ID     string
	Secret []byte
}

// ParseKey parses "ID:BASE64" (32 bytes, standard or URL-safe base64,
// padded or not). The error never repeats the secret.
func ParseKey(s string) (Key, error) {
	k, err := seal.ParseKey(s)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: k.ID, Secret: k.Secret}, nil
}

// Config configures a Service. Spool is required; so is Tagger when the
// service runs workers.
type Config struct {
	// Tagger processes each file: a *picfre.Pipeline whose Config.Meter
	// is the ledger, so that every file is held, charged or voided
	// through it. Required unless Workers is negative.
	Tagger picfre.Tagger
	// Spool is the bucket the uploaded content waits in
	// (blob.OpenBucket: "file:///var/lib/picfre/spool",
	// "s3://bucket?region=...", "gs://...", "azblob://..."). Every
	// instance of a service must open the same bucket. Objects are named
	// by job id and file index only, never by file name or account.
	Spool *blob.Bucket
	// Keys seal the spooled content and the held results with
	// AES-256-GCM: the first seals, every one opens what names it, so
	// that a key can be rotated by putting the new one first and keeping
	// the old until the result lifetime has passed. Without keys both
	// are stored in clear (Open logs a warning saying so): protect the
	// database and the bucket accordingly.
	Keys []Key

	// Ledger and Pricer, when both are set, check at Upload.Commit that
	// the account's available credits cover the job (see the package
	// documentation, Billing).
	Ledger *metering.Ledger
	Pricer metering.Pricer

	// Workers is the number of files this process works at once
	// (DefaultWorkers when zero; negative: none, the process only
	// submits and looks, as a web front end that leaves the work to
	// `picfre worker` processes).
	Workers int
	// ResultLifetime is how long a result is held after its file is done
	// (DefaultResultLifetime when zero). Sweep deletes older ones.
	ResultLifetime time.Duration
	// Retention is the retention policy of the job records (file names,
	// times, states, codes): Sweep deletes the records of jobs created
	// before Retention.Cutoff, three calendar months by default, like the
	// usage records. Give it the ledger's policy; a retention.Sweeper with
	// the service in its Also purges the same records with that policy's
	// cutoff.
	Retention retention.Policy
	// MaxFiles bounds the files of one job (DefaultMaxFiles when zero);
	// MaxFileBytes one file (DefaultMaxFileBytes when zero).
	MaxFiles     int
	MaxFileBytes int64
	// MaxAttempts bounds the tries of a file that fails for a passing
	// reason (provider failure, rate limit, database outage); River waits
	// longer between each (DefaultMaxAttempts when zero).
	MaxAttempts int
	// RescueAfter is how long a file may be worked before River takes
	// it for a crashed worker and gives it to another
	// (DefaultRescueAfter when zero); an attempt still running then is
	// interrupted. Keep it above the file's time limit
	// (picfre.Options.FileTimeout). River looks for such files every 30
	// seconds, so a crashed worker's files are taken over between
	// RescueAfter and RescueAfter plus 30 seconds after they started
	// (plus River's leader election, up to 15 s, when the crashed
	// process led).
	RescueAfter time.Duration
	// InProgressWait is how long a worker waits before trying a file
	// again when the ledger still holds the file's credits for an
	// attempt that has not settled (a crashed worker's hold, until it
	// expires: metering.Options.HoldTTL). DefaultInProgressWait when
	// zero.
	InProgressWait time.Duration
	// UploadTimeout is how long an upload may stay uncommitted before
	// Sweep deletes it (DefaultUploadTimeout when zero).
	UploadTimeout time.Duration
	// PollInterval is how often workers look for new files on SQLite
	// (PostgreSQL notifies them), and how often Watch looks for changes
	// (DefaultPollInterval when zero).
	PollInterval time.Duration
	// Logger receives the service's records (and River's, at Warn and
	// above). They carry job ids, counts and codes, never content, file
	// names or accounts. Nil discards.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service is the job service over one queue database and one spool. It is
// safe for concurrent use. Close it once, after its last call.
type Service struct {
	cfg    Config
	db     *sql.DB
	pool   *pgxpool.Pool // PostgreSQL only
	d      dialect
	keys   *seal.Keyring
	q      queue
	log    *slog.Logger
	closed chan struct{}
	once   sync.Once

	// wake is closed, and replaced, whenever River tells this process's
	// client that a file's job ended (completed, failed, snoozed,
	// cancelled), so that Watch and Results(Wait) here look at once
	// instead of at their next poll.
	wakeMu      sync.Mutex
	wake        chan struct{}
	unsubscribe func()
}

// woken returns the channel the next River event closes.
func (s *Service) woken() <-chan struct{} {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	return s.wake
}

// relay turns River's job events into wake-ups until events closes.
func (s *Service) relay(events <-chan *river.Event) {
	for range events {
		s.wakeMu.Lock()
		close(s.wake)
		s.wake = make(chan struct{})
		s.wakeMu.Unlock()
	}
}

// Errors of the service. Each answers errcode.Of.
var (
	// ErrNotFound: no such job for this account (it never existed,
	// belongs to another account, or was deleted). The two are never told
	// apart.
	ErrNotFound = errcode.New(errcode.NotFound, "jobs: no such job")
	// ErrInvalidDSN: the queue DSN is neither sqlite:PATH nor a
	// postgres:// URL.
	ErrInvalidDSN = errcode.New(errcode.InvalidArgument, "jobs: the queue must be sqlite:PATH or a postgres:// URL")
	// ErrTooManyFiles: the job has Config.MaxFiles files already.
	ErrTooManyFiles = errcode.New(errcode.TooLarge, "jobs: too many files in one job")
	// ErrEmptyJob: Commit of an upload without files.
	ErrEmptyJob = errcode.New(errcode.InvalidArgument, "jobs: a job needs at least one file")
	// ErrCommitted: Add, Commit or Abort of an upload already committed
	// or aborted.
	ErrCommitted = errcode.New(errcode.FailedPrecondition, "jobs: the upload was already committed or aborted")
	// ErrClosed: the Service was closed.
	ErrClosed = errcode.New(errcode.FailedPrecondition, "jobs: the service is closed")
	// ErrNoTagger: the Config has workers but no Tagger.
	ErrNoTagger = errcode.New(errcode.InvalidArgument, "jobs: workers need a Tagger")
	// ErrNoSpool: the Config has no Spool.
	ErrNoSpool = errcode.New(errcode.InvalidArgument, "jobs: a spool bucket is required")
)

// Open opens the job service over the queue database named by dsn —
// "sqlite:PATH" (the embedded default; the same file as the ledger's, or
// one beside it) or a "postgres://" URL shared by any number of instances
// — creating or migrating River's tables and the job tables, and starts
// this process's workers (Config.Workers). A database that cannot be
// reached or migrated fails with errcode.Unavailable; the message never
// repeats the DSN.
func Open(ctx context.Context, dsn string, cfg Config) (*Service, error) {
	if cfg.Spool == nil {
		return nil, ErrNoSpool
	}
	if cfg.Workers >= 0 && cfg.Tagger == nil {
		return nil, ErrNoTagger
	}
	keys := make([]seal.Key, len(cfg.Keys))
	for i, k := range cfg.Keys {
		keys[i] = seal.Key{ID: k.ID, Secret: k.Secret}
	}
	ring, err := seal.NewKeyring(keys...)
	if err != nil {
		return nil, wrap(errcode.InvalidArgument, "jobs: sealing keys", err)
	}
	cfg = withDefaults(cfg)
	s := &Service{cfg: cfg, keys: ring, log: cfg.Logger, closed: make(chan struct{}), wake: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		db, err := sqlitedb.Open(path, sqlitedb.Options{SecureDelete: true})
		if err != nil {
			return nil, wrap(errcode.InvalidArgument, "jobs: open the queue", err)
		}
		s.db, s.d = db, sqliteDialect
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		pc, err := pgstore.ParseConfig(dsn, pgstore.Options{})
		if err != nil {
			return nil, wrap(errcode.InvalidArgument, "jobs: open the queue", err)
		}
		pool, err := pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return nil, wrap(errcode.Unavailable, "jobs: open the queue", err)
		}
		s.pool, s.db, s.d = pool, stdlib.OpenDBFromPool(pool), postgresDialect
	default:
		return nil, ErrInvalidDSN
	}
	if err := s.setup(ctx); err != nil {
		s.closeDB()
		return nil, err
	}
	if !ring.Sealing() {
		s.log.Warn("jobs: no sealing key: spooled content and held results are stored in clear")
	}
	return s, nil
}

func withDefaults(c Config) Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	def(&c.ResultLifetime, DefaultResultLifetime)
	def(&c.RescueAfter, DefaultRescueAfter)
	def(&c.InProgressWait, DefaultInProgressWait)
	def(&c.UploadTimeout, DefaultUploadTimeout)
	def(&c.PollInterval, DefaultPollInterval)
	if c.MaxFiles <= 0 {
		c.MaxFiles = DefaultMaxFiles
	}
	if c.MaxFileBytes <= 0 {
		c.MaxFileBytes = DefaultMaxFileBytes
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (s *Service) setup(ctx context.Context) error {
	if err := migrate(ctx, s.db, s.d); err != nil {
		return wrap(errcode.Unavailable, "jobs: migrate the job tables", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &fileWorker{s: s})
	rc := &river.Config{
		Logger:               riverLogger(s.log),
		MaxAttempts:          s.cfg.MaxAttempts,
		RescueStuckJobsAfter: s.cfg.RescueAfter,
		// A file's own limit (picfre.Options.FileTimeout) is below
		// RescueAfter. The River timeout must be positive: River's
		// rescuer never rescues a job whose timeout is negative, so the
		// files of a crashed worker would stay "running" for ever. At
		// RescueAfter the file is rescued and given to another worker
		// anyway, so the attempt still running here is interrupted too.
		JobTimeout:        s.cfg.RescueAfter,
		FetchPollInterval: s.cfg.PollInterval,
		FetchCooldown:     min(s.cfg.PollInterval, 100*time.Millisecond),
		// River's finished rows hold only a job id and a file index;
		// keep them a day for operators, then River deletes them.
		CompletedJobRetentionPeriod: 24 * time.Hour,
	}
	if s.cfg.Workers > 0 {
		rc.Queues = map[string]river.QueueConfig{queueName: {MaxWorkers: s.cfg.Workers}}
		rc.Workers = workers
	}
	var err error
	switch s.d {
	case sqliteDialect:
		s.q, err = newRiverQueue(ctx, riversqlite.New(s.db), rc, func(ctx context.Context) (*sql.Tx, execer, func() error, func(), error) {
			tx, err := s.db.BeginTx(ctx, nil)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			return tx, sqlExec{tx}, tx.Commit, func() { _ = tx.Rollback() }, nil
		})
	case postgresDialect:
		s.q, err = newRiverQueue(ctx, riverpgxv5.New(s.pool), rc, func(ctx context.Context) (pgx.Tx, execer, func() error, func(), error) {
			tx, err := s.pool.Begin(ctx)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			bg := context.WithoutCancel(ctx)
			return tx, pgxExec{tx}, func() error { return tx.Commit(bg) }, func() { _ = tx.Rollback(bg) }, nil
		})
	}
	if err != nil {
		return err
	}
	if s.cfg.Workers > 0 {
		events, unsubscribe := s.q.subscribe()
		s.unsubscribe = unsubscribe
		go s.relay(events)
		// River ties the workers' lifetime to Start's context: a
		// cancelled one stops them abruptly. Open's ctx bounds Open only;
		// Close stops the workers, gracefully first.
		if err := s.q.start(context.WithoutCancel(ctx)); err != nil {
			unsubscribe()
			return wrap(errcode.Unavailable, "jobs: start the workers", err)
		}
	}
	return nil
}

// riverLogger passes River's warnings and errors on; River's records name
// job ids and kinds, never our arguments' content (which holds none).
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

// Close stops this process's workers — a file in progress gets until ctx
// ends to finish, then is interrupted (its hold voided) and left for
// another worker — and closes the database. The spool bucket is the
// caller's to close.
func (s *Service) Close(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		close(s.closed)
		if s.cfg.Workers > 0 {
			err = s.q.stop(ctx)
			s.unsubscribe()
		}
		s.closeDB()
	})
	return err
}

func (s *Service) closeDB() {
	if s.db != nil {
		_ = s.db.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
}

func (s *Service) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// queue is River, over either driver.
type queue interface {
	start(ctx context.Context) error
	stop(ctx context.Context) error
	// insertWith queues args and runs fn in the same transaction, so
	// that a job is queued exactly when its row says so; each River job's
	// id is written to its file's row.
	insertWith(ctx context.Context, args []fileArgs, fn func(execer) error) error
	cancel(ctx context.Context, id int64) error
	// finalized reports whether River is done with the job: completed,
	// cancelled, discarded, or deleted.
	finalized(ctx context.Context, id int64) (bool, error)
	// subscribe delivers River's events of the jobs this process works
	// that ended an attempt.
	subscribe() (<-chan *river.Event, func())
}

// execer runs one statement in a transaction of either driver.
type execer interface {
	exec(ctx context.Context, query string, args ...any) error
}

type sqlExec struct{ tx *sql.Tx }

func (e sqlExec) exec(ctx context.Context, q string, args ...any) error {
	_, err := e.tx.ExecContext(ctx, q, args...)
	return err
}

type pgxExec struct{ tx pgx.Tx }

func (e pgxExec) exec(ctx context.Context, q string, args ...any) error {
	_, err := e.tx.Exec(ctx, q, args...)
	return err
}

type riverQueue[TTx any] struct {
	c *river.Client[TTx]
	// begin starts a transaction of the driver's type.
	begin func(ctx context.Context) (TTx, execer, func() error, func(), error)
}

func newRiverQueue[TTx any](ctx context.Context, drv riverdriver.Driver[TTx], rc *river.Config,
	begin func(ctx context.Context) (TTx, execer, func() error, func(), error)) (queue, error) {
	m, err := rivermigrate.New(drv, nil)
	if err != nil {
		return nil, wrap(errcode.Internal, "jobs: River migrator", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, wrap(errcode.Unavailable, "jobs: migrate River's tables", err)
	}
	c, err := river.NewClient(drv, rc)
	if err != nil {
		return nil, wrap(errcode.InvalidArgument, "jobs: River client", err)
	}
	return &riverQueue[TTx]{c: c, begin: begin}, nil
}

func (q *riverQueue[TTx]) start(ctx context.Context) error { return q.c.Start(ctx) }

func (q *riverQueue[TTx]) stop(ctx context.Context) error {
	err := q.c.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// Interrupt what is still running: each file's hold is voided and
		// River hands the file to another worker.
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return q.c.StopAndCancel(stopCtx)
	}
	return err
}

func (q *riverQueue[TTx]) insertWith(ctx context.Context, args []fileArgs, fn func(execer) error) error {
	tx, ex, commit, rollback, err := q.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback()
	if err := fn(ex); err != nil {
		return err
	}
	for start := 0; start < len(args); start += 1000 {
		batch := args[start:min(start+1000, len(args))]
		params := make([]river.InsertManyParams, len(batch))
		for i, a := range batch {
			params[i] = river.InsertManyParams{Args: a}
		}
		res, err := q.c.InsertManyTx(ctx, tx, params)
		if err != nil {
			return err
		}
		for i, r := range res {
			if err := ex.exec(ctx, `UPDATE picfre_job_files SET river_id = $3 WHERE job_id = $1 AND idx = $2`,
				batch[i].Job, batch[i].File, r.Job.ID); err != nil {
				return err
			}
		}
	}
	return commit()
}

func (q *riverQueue[TTx]) subscribe() (<-chan *river.Event, func()) {
	return q.c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobSnoozed, river.EventKindJobCancelled)
}

func (q *riverQueue[TTx]) finalized(ctx context.Context, id int64) (bool, error) {
	row, err := q.c.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	switch row.State {
	case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		return true, nil
	}
	return false, nil
}

func (q *riverQueue[TTx]) cancel(ctx context.Context, id int64) error {
	_, err := q.c.JobCancel(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil
	}
	return err
}

// fileArgs are a River job's arguments: a job id and a file index, nothing
// else, so that River's rows hold no name, account or content.
type fileArgs struct {
	Job  string `json:"job"`
	File int    `json:"file"`
}

func (fileArgs) Kind() string { return "picfre_file" }

// InsertOpts puts files on the service's queue, unique by (job, file): a
// Commit retried after a crash queues each file once.
func (fileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueName, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
