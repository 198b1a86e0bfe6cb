package jobs

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"iter"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/media"
	"github.com/picfre/picfre/metering"
)

// options is what a job keeps of picfre.Options: every field that shapes
// the answer, sealed in the job's row until the job is final.
type options struct {
	Task               picfre.Task   `json:"task,omitempty"`
	Language           string        `json:"language,omitempty"`
	MinKeywords        int           `json:"min_keywords,omitempty"`
	MaxKeywords        int           `json:"max_keywords,omitempty"`
	MaxTitle           int           `json:"max_title,omitempty"`
	MaxDescription     int           `json:"max_description,omitempty"`
	Context            string        `json:"context,omitempty"`
	Agency             string        `json:"agency,omitempty"`
	SecondLanguage     string        `json:"second_language,omitempty"`
	Require            []string      `json:"require,omitempty"`
	Exclude            []string      `json:"exclude,omitempty"`
	SingleWord         bool          `json:"single_word,omitempty"`
	ASCIIOnly          bool          `json:"ascii_only,omitempty"`
	Generator          string        `json:"generator,omitempty"`
	SimilarDistance    int           `json:"similar_distance,omitempty"`
	KeepNearDuplicates bool          `json:"keep_near_duplicates,omitempty"`
	FileTimeout        time.Duration `json:"file_timeout,omitempty"`
}

func fromOptions(o picfre.Options) options {
	return options{
		Task: o.Task, Language: o.Language, MinKeywords: o.MinKeywords, MaxKeywords: o.MaxKeywords,
		MaxTitle: o.MaxTitle, MaxDescription: o.MaxDescription, Context: o.Context, Agency: o.Agency,
		SecondLanguage: o.SecondLanguage, Require: o.Require, Exclude: o.Exclude, SingleWord: o.SingleWord,
		ASCIIOnly: o.ASCIIOnly, Generator: o.Generator, SimilarDistance: o.SimilarDistance,
		KeepNearDuplicates: o.KeepNearDuplicates, FileTimeout: o.FileTimeout,
	}
}

func (o options) picfre(account string) picfre.Options {
	return picfre.Options{
		Task: o.Task, Language: o.Language, MinKeywords: o.MinKeywords, MaxKeywords: o.MaxKeywords,
		MaxTitle: o.MaxTitle, MaxDescription: o.MaxDescription, Context: o.Context, Agency: o.Agency,
		SecondLanguage: o.SecondLanguage, Require: o.Require, Exclude: o.Exclude, SingleWord: o.SingleWord,
		ASCIIOnly: o.ASCIIOnly, Generator: o.Generator, SimilarDistance: o.SimilarDistance,
		KeepNearDuplicates: o.KeepNearDuplicates, FileTimeout: o.FileTimeout, Account: account,
	}
}

// ErrInvalidAccount: the account is empty, longer than metering.MaxIDLen
// or not UTF-8.
var ErrInvalidAccount = errcode.New(errcode.InvalidArgument, "jobs: invalid account")

func checkAccount(account string) error {
	if account == "" || len(account) > metering.MaxIDLen || !utf8.ValidString(account) || strings.ContainsRune(account, 0) {
		return ErrInvalidAccount
	}
	return nil
}

// storedName is the form a file name is kept in: picfre.EscapeName (so a
// name that is not UTF-8 keeps its bytes) with NUL escaped too, which
// PostgreSQL's text refuses, cut to metering.MaxTextLen like a usage
// record's. picfre.UnescapeName gives the name back.
func storedName(name string) string {
	s := strings.ReplaceAll(picfre.EscapeName(name), "\x00", `\x00`)
	if len(s) > metering.MaxTextLen {
		cut := metering.MaxTextLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// Upload is a job being submitted: files are streamed into the spool one
// by one (Add), then the job is queued whole (Commit). Nothing is worked
// before Commit; an upload neither committed nor aborted is deleted by
// Sweep after Config.UploadTimeout. An Upload is safe for concurrent use,
// though its files are added one at a time.
type Upload struct {
	s       *Service
	id      string
	account string
	task    string
	mu      sync.Mutex
	n       int
	ended   bool
}

// Begin starts a job for account with the options o (o.Account,
// o.Progress and o.Concurrency are ignored: the account is the argument,
// progress is Watch, and workers bound concurrency). The options are kept,
// sealed, in the job's row until the job is final.
func (s *Service) Begin(ctx context.Context, account string, o picfre.Options) (*Upload, error) {
	if s.isClosed() {
		return nil, ErrClosed
	}
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	id := newJobID()
	raw, err := json.Marshal(fromOptions(o))
	if err != nil {
		return nil, wrap(errcode.InvalidArgument, "jobs: options", err)
	}
	sealed, err := s.keys.Seal(raw, optionsAAD(id))
	if err != nil {
		return nil, wrap(errcode.Internal, "jobs: seal", err)
	}
	now := s.micros()
	_, err = s.db.ExecContext(ctx, `INSERT INTO picfre_jobs (id, account, state, options, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)`, id, account, string(StateUploading), sealed, now)
	if err != nil {
		return nil, s.dbErr("begin", err)
	}
	task := string(o.Task)
	if task == "" {
		task = string(picfre.TaskMetadata)
	}
	return &Upload{s: s, id: id, account: account, task: task}, nil
}

// ID is the job's id: 128 random bits, not guessable.
func (u *Upload) ID() string { return u.id }

// Add streams one file into the spool, sealed, and returns its index. The
// content is sniffed as it passes (never the name): a file that is empty,
// of a type picfre does not take, or larger than Config.MaxFileBytes is
// recorded as failed with its code (invalid_media, unsupported_media,
// too_large), nothing of it is kept, and the job goes on; that is not an
// error of Add. Add fails only when the upload itself cannot go on (the
// spool or the database failed, ctx ended, Config.MaxFiles reached, the
// upload ended); the caller may then Abort. r is read to its end or to the
// limit, and not closed.
func (u *Upload) Add(ctx context.Context, name string, r io.Reader) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ended {
		return 0, ErrCommitted
	}
	if u.n >= u.s.cfg.MaxFiles {
		return 0, ErrTooManyFiles
	}
	idx := u.n
	br := bufio.NewReaderSize(r, media.SniffLen)
	head, _ := br.Peek(media.SniffLen) // a short file gives what it has
	state, code, kind := FileQueued, errcode.Code(""), ""
	f, err := media.Detect(head)
	if err != nil {
		state, code = FileFailed, errcode.Of(err)
		if code != errcode.InvalidMedia && code != errcode.UnsupportedMedia {
			code = errcode.UnsupportedMedia
		}
	} else {
		kind = string(f.Kind())
	}
	var size int64
	if state == FileQueued {
		size, err = u.s.spoolPut(ctx, u.id, idx, br, u.s.cfg.MaxFileBytes)
		if errcode.Of(err) == errcode.TooLarge {
			state, code, err = FileFailed, errcode.TooLarge, nil
		}
		if err != nil {
			return 0, err
		}
	}
	now := u.s.micros()
	finished := int64(0)
	if state != FileQueued {
		finished = now
	}
	_, err = u.s.db.ExecContext(ctx, `INSERT INTO picfre_job_files
		(job_id, idx, name, kind, size, state, code, created_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		u.id, idx, storedName(name), kind, size, string(state), string(code), now, finished)
	if err == nil {
		_, err = u.s.db.ExecContext(ctx, `UPDATE picfre_jobs SET total = $2, updated_at = $3 WHERE id = $1`, u.id, idx+1, now)
	}
	if err != nil {
		u.s.spoolDelete(context.WithoutCancel(ctx), u.id, idx)
		return 0, u.s.dbErr("add", err)
	}
	u.n++
	return idx, nil
}

// Commit queues the job's files and returns the job. With Config.Ledger
// and Config.Pricer set, the account's available credits must cover every
// file at its price before anything is queued (a video or audio file
// counted at its price for no running time, which the worker's hold then
// completes); otherwise Commit fails with metering.ErrInsufficientCredits
// (insufficient_credits) and the upload stays open: top up and Commit
// again, or Abort. A Commit that fails for any other reason may be
// retried too: each file is queued once (River's unique jobs).
func (u *Upload) Commit(ctx context.Context) (*Job, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ended {
		return nil, ErrCommitted
	}
	if u.n == 0 {
		return nil, ErrEmptyJob
	}
	files, err := u.s.files(ctx, u.id)
	if err != nil {
		return nil, err
	}
	if err := u.s.checkCredits(ctx, u.account, u.task, files); err != nil {
		return nil, err
	}
	var args []fileArgs
	for _, f := range files {
		if f.State == FileQueued {
			args = append(args, fileArgs{Job: u.id, File: f.Index})
		}
	}
	now := u.s.micros()
	err = u.s.q.insertWith(ctx, args, func(ex execer) error {
		state, finished := StateQueued, int64(0)
		if len(args) == 0 {
			state, finished = StateDone, now
		}
		return ex.exec(ctx, `UPDATE picfre_jobs SET state = $2, updated_at = $3, finished_at = $4,
			options = CASE WHEN CAST($4 AS BIGINT) = 0 THEN options ELSE NULL END WHERE id = $1 AND state = $5`,
			u.id, string(state), now, finished, string(StateUploading))
	})
	if err != nil {
		return nil, u.s.dbErr("commit", err)
	}
	u.ended = true
	return u.s.Job(ctx, u.account, u.id)
}

// checkCredits refuses a job the account's available credits cannot
// cover.
func (s *Service) checkCredits(ctx context.Context, account, task string, files []File) error {
	if s.cfg.Ledger == nil || s.cfg.Pricer == nil {
		return nil
	}
	var need int64
	for _, f := range files {
		if f.State != FileQueued {
			continue
		}
		p, err := s.cfg.Pricer.Price(metering.PriceInput{Task: task, MediaType: priceKind(f.Kind)})
		if err != nil {
			return err
		}
		need += p
	}
	if need == 0 {
		return nil
	}
	b, err := s.cfg.Ledger.Balance(ctx, account)
	if err != nil {
		return err
	}
	if b.Available < need {
		return wrap(errcode.InsufficientCredits, "jobs: commit", metering.ErrInsufficientCredits)
	}
	return nil
}

// priceKind is the media type a file is priced as: an SVG is priced as an
// image, as the pipeline bills it.
func priceKind(kind string) string {
	if kind == "vector" {
		return "image"
	}
	return kind
}

// Abort deletes the upload: its spooled content and its rows.
func (u *Upload) Abort(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ended {
		return ErrCommitted
	}
	u.ended = true
	return u.s.deleteJob(ctx, u.id)
}

// Submit is Begin, Add for each file and Commit, for callers that have the
// files at hand (a folder, a test). Each file's Open is called once and its
// reader closed; a file that cannot be opened is recorded as failed with
// its code. On an error the upload is aborted.
func (s *Service) Submit(ctx context.Context, account string, o picfre.Options, files iter.Seq[picfre.Media]) (*Job, error) {
	u, err := s.Begin(ctx, account, o)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Job, error) {
		_ = u.Abort(context.WithoutCancel(ctx))
		return nil, err
	}
	for m := range files {
		var r io.Reader = strings.NewReader("")
		var rc io.ReadCloser
		if m.Open != nil {
			if c, err := m.Open(); err == nil {
				rc, r = c, c
			}
		}
		_, err := u.Add(ctx, m.Name, r)
		if rc != nil {
			_ = rc.Close()
		}
		if err != nil {
			return fail(err)
		}
	}
	j, err := u.Commit(ctx)
	if err != nil {
		return fail(err)
	}
	return j, nil
}

func (s *Service) micros() int64 { return s.cfg.Now().UnixMicro() }

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// dbErr wraps a database failure: unavailable, the operation named, the
// driver's message (which names no content) kept in the chain only.
func (s *Service) dbErr(op string, err error) error {
	switch {
	case err == nil || errcode.Has(err):
		return err
	case errcode.Of(err) == errcode.Canceled:
		return wrap(errcode.Canceled, "jobs: "+op, err)
	}
	return wrap(errcode.Unavailable, "jobs: "+op, err)
}

// wrap gives err the code c behind the message msg; nil stays nil.
func wrap(c errcode.Code, msg string, err error) error {
	if err == nil {
		return nil
	}
	return errcode.Errorf(c, "%s: %w", msg, err)
}

// wrapIfNone is wrap, unless err carries a code of its own.
func wrapIfNone(c errcode.Code, msg string, err error) error {
	if err == nil || errcode.Has(err) {
		return err
	}
	return wrap(c, msg, err)
}
