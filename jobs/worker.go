package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/riverqueue/river"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
)

// fileWorker works one file of a job: River hands it (job id, index).
type fileWorker struct {
	river.WorkerDefaults[fileArgs]
	s *Service
}

func (w *fileWorker) Work(ctx context.Context, job *river.Job[fileArgs]) error {
	return w.s.work(ctx, job.Args, job.Attempt, job.MaxAttempts)
}

// settleTimeout bounds the writes that settle a file, which run even when
// the worker's context has ended, so that a captured charge is never left
// without its result.
const settleTimeout = 30 * time.Second

// work processes one file. It returns nil when the file is settled (done,
// failed for good, canceled), so that River completes the job; an error
// when River should try again later (a passing failure, or an
// interruption); river.JobSnooze while another attempt's hold is live.
//
// Exactly one charge: the pipeline bills the file under its key (account,
// content, options), so an attempt after a crash that came after the
// capture is a replay, charged nothing; an attempt while a crashed
// attempt's hold is live is refused by the ledger (in progress) and
// snoozed until that hold expires.
func (s *Service) work(ctx context.Context, a fileArgs, attempt, maxAttempts int) error {
	if !validID(a.Job) || a.File < 0 {
		return river.JobCancel(errcode.New(errcode.InvalidArgument, "jobs: malformed queue entry"))
	}
	var (
		account, jstate string
		sealedOpts      []byte
		fstate, name    string
	)
	err := s.db.QueryRowContext(ctx, `SELECT j.account, j.state, j.options, f.state, f.name
		FROM picfre_jobs j JOIN picfre_job_files f ON f.job_id = j.id
		WHERE j.id = $1 AND f.idx = $2`, a.Job, a.File).Scan(&account, &jstate, &sealedOpts, &fstate, &name)
	if errors.Is(err, sql.ErrNoRows) {
		// Deleted (Delete, erasure): make sure nothing is left.
		s.spoolDelete(context.WithoutCancel(ctx), a.Job, a.File)
		return nil
	}
	if err != nil {
		return s.dbErr("work", err)
	}
	if FileState(fstate).settled() {
		// A worker that crashed after settling the file's row: finish
		// what settle had left, the content's deletion and, if this was
		// the job's last file, the job.
		s.spoolDelete(context.WithoutCancel(ctx), a.Job, a.File)
		return s.finishJob(context.WithoutCancel(ctx), a.Job)
	}
	switch State(jstate) {
	case StateCanceled:
		return s.settle(ctx, a, FileCanceled, "", nil)
	case StateStopped:
		var code string
		_ = s.db.QueryRowContext(ctx, `SELECT code FROM picfre_jobs WHERE id = $1`, a.Job).Scan(&code)
		return s.settle(ctx, a, FileFailed, errcode.Code(code), nil)
	}
	raw, err := s.keys.Open(sealedOpts, optionsAAD(a.Job))
	if err != nil {
		return s.settle(ctx, a, FileFailed, errcode.Internal, nil)
	}
	var o options
	if err := json.Unmarshal(raw, &o); err != nil {
		return s.settle(ctx, a, FileFailed, errcode.Internal, nil)
	}
	now := s.micros()
	claim, err := s.db.ExecContext(ctx, `UPDATE picfre_job_files SET state = $3, started_at = $4, attempts = attempts + 1
		WHERE job_id = $1 AND idx = $2 AND state IN ('queued', 'running')`, a.Job, a.File, string(FileRunning), now)
	if err != nil {
		return s.dbErr("work", err)
	}
	if n, err := claim.RowsAffected(); err == nil && n == 0 {
		return nil // settled meanwhile (canceled, stopped, deleted)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE picfre_jobs SET state = $2, updated_at = $3 WHERE id = $1 AND state = $4`,
		a.Job, string(StateRunning), now, string(StateQueued)); err != nil {
		return s.dbErr("work", err)
	}
	m := picfre.Media{
		Name: picfre.UnescapeName(name),
		Open: func() (io.ReadCloser, error) { return s.spoolOpen(ctx, a.Job, a.File) },
	}
	res, terr := s.cfg.Tagger.Tag(ctx, m, o.picfre(account))
	if terr == nil {
		return s.settle(ctx, a, FileDone, "", res)
	}
	code := errcode.Of(terr)
	switch {
	case errors.Is(terr, metering.ErrInProgress):
		// Another attempt's hold is live: a crashed worker's, until it
		// expires. Not charged; try again later.
		s.requeue(ctx, a)
		return river.JobSnooze(s.cfg.InProgressWait)
	case code == errcode.QuotaExhausted || code == errcode.ProviderUnauthenticated:
		// Retrying cannot help until the operator acts: stop the
		// account's jobs instead of burning through retries.
		if err := s.settle(ctx, a, FileFailed, code, nil); err != nil {
			return err
		}
		return s.stopAccount(context.WithoutCancel(ctx), account, code)
	case code == errcode.Canceled && ctx.Err() != nil:
		// Interrupted: the service is stopping, or the job was canceled.
		if s.jobState(context.WithoutCancel(ctx), a.Job) == StateCanceled {
			return s.settle(ctx, a, FileCanceled, "", nil)
		}
		s.requeue(ctx, a)
		return terr
	case passing(code) && attempt < maxAttempts:
		s.requeue(ctx, a)
		return terr
	}
	return s.settle(ctx, a, FileFailed, code, nil)
}

// passing reports whether a failure may go away by itself, so that the
// file is tried again (up to Config.MaxAttempts).
func passing(c errcode.Code) bool {
	switch c {
	case errcode.ProviderFailure, errcode.RateLimited, errcode.Unavailable, errcode.BillingFailure,
		errcode.BadOutput, errcode.DeadlineExceeded, errcode.Conflict, errcode.Canceled:
		return true
	}
	return false
}

// requeue shows a file that will be tried again as queued.
func (s *Service) requeue(ctx context.Context, a fileArgs) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	_, _ = s.db.ExecContext(ctx, `UPDATE picfre_job_files SET state = $3 WHERE job_id = $1 AND idx = $2 AND state = $4`,
		a.Job, a.File, string(FileQueued), string(FileRunning))
}

// settle records a file's outcome — its sealed result when it is done —,
// deletes its content from the spool, and finishes the job when it was
// the last. It runs after ctx has ended: a file that was charged keeps its
// result.
func (s *Service) settle(ctx context.Context, a fileArgs, st FileState, code errcode.Code, res *picfre.Result) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	var sealed []byte
	var credits, expires int64
	now := s.micros()
	if res != nil {
		raw, err := json.Marshal(res)
		if err != nil {
			return wrap(errcode.Internal, "jobs: result", err)
		}
		if sealed, err = s.keys.Seal(raw, resultAAD(a.Job, a.File)); err != nil {
			return wrap(errcode.Internal, "jobs: seal", err)
		}
		credits = res.Usage.Credits
		expires = s.cfg.Now().Add(s.cfg.ResultLifetime).UnixMicro()
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE picfre_job_files SET state = $3, code = $4, credits = $5, result = $6,
		result_expires_at = $7, finished_at = $8, size = 0 WHERE job_id = $1 AND idx = $2 AND state IN ('queued', 'running')`,
		a.Job, a.File, string(st), string(code), credits, sealed, expires, now); err != nil {
		return s.dbErr("settle", err)
	}
	s.spoolDelete(ctx, a.Job, a.File)
	return s.finishJob(ctx, a.Job)
}

// finishJob marks a job final once none of its files is queued or
// running, and forgets its options. Before it does, it deletes whatever
// of the job is still in the spool: another worker may have settled its
// file's row and not yet deleted the content, and a job is never final
// while any of its content is kept. A failed deletion leaves the job
// unfinished and fails the call, so that the queue tries again.
func (s *Service) finishJob(ctx context.Context, job string) error {
	var ready bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM picfre_jobs WHERE id = $1 AND finished_at = 0 AND state <> 'uploading')
		AND NOT EXISTS (SELECT 1 FROM picfre_job_files f WHERE f.job_id = $1 AND f.state IN ('queued', 'running'))`, job).Scan(&ready)
	if err != nil {
		return s.dbErr("finish", err)
	}
	if !ready {
		return nil
	}
	if err := s.spoolDeleteJob(ctx, job); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `UPDATE picfre_jobs SET
		state = CASE WHEN state IN ('queued', 'running') THEN 'done' ELSE state END,
		finished_at = $2, updated_at = $2, options = NULL
		WHERE id = $1 AND finished_at = 0 AND state <> 'uploading' AND NOT EXISTS
		(SELECT 1 FROM picfre_job_files f WHERE f.job_id = $1 AND f.state IN ('queued', 'running'))`, job, s.micros())
	return s.dbErr("finish", err)
}

func (s *Service) jobState(ctx context.Context, job string) State {
	var st string
	_ = s.db.QueryRowContext(ctx, `SELECT state FROM picfre_jobs WHERE id = $1`, job).Scan(&st)
	return State(st)
}

// stopAccount stops every active job of the account after a fatal
// provider error: the files not yet started fail with code, uncharged,
// their content deleted; files being worked elsewhere finish or meet the
// same error.
func (s *Service) stopAccount(ctx context.Context, account string, code errcode.Code) error {
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	ids, err := s.activeJobs(ctx, account)
	if err != nil {
		return err
	}
	now := s.micros()
	for _, id := range ids {
		if _, err := s.db.ExecContext(ctx, `UPDATE picfre_jobs SET state = $2, code = $3, updated_at = $4
			WHERE id = $1 AND state IN ('queued', 'running')`, id, string(StateStopped), string(code), now); err != nil {
			return s.dbErr("stop", err)
		}
		if err := s.settleQueued(ctx, id, FileFailed, code); err != nil {
			return err
		}
	}
	s.log.Warn("jobs: stopped an account's jobs after a fatal provider error", "code", string(code), "jobs", len(ids))
	return nil
}

// activeJobs lists the account's queued and running jobs.
func (s *Service) activeJobs(ctx context.Context, account string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM picfre_jobs WHERE account = $1 AND state IN ('queued', 'running')`, account)
	if err != nil {
		return nil, s.dbErr("list", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.dbErr("list", err)
		}
		ids = append(ids, id)
	}
	return ids, s.dbErr("list", rows.Err())
}

// settleQueued settles the job's queued files (not those being worked),
// cancels their River jobs and deletes their content.
func (s *Service) settleQueued(ctx context.Context, job string, st FileState, code errcode.Code) error {
	rows, err := s.db.QueryContext(ctx, `SELECT idx, river_id FROM picfre_job_files WHERE job_id = $1 AND state = 'queued'`, job)
	if err != nil {
		return s.dbErr("cancel", err)
	}
	type entry struct {
		idx   int
		river int64
	}
	var queued []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.idx, &e.river); err != nil {
			rows.Close()
			return s.dbErr("cancel", err)
		}
		queued = append(queued, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s.dbErr("cancel", err)
	}
	now := s.micros()
	for _, e := range queued {
		res, err := s.db.ExecContext(ctx, `UPDATE picfre_job_files SET state = $3, code = $4, finished_at = $5, size = 0
			WHERE job_id = $1 AND idx = $2 AND state = 'queued'`, job, e.idx, string(st), string(code), now)
		if err != nil {
			return s.dbErr("cancel", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // a worker took it meanwhile; it settles it
		}
		if e.river != 0 {
			if err := s.q.cancel(ctx, e.river); err != nil {
				s.log.Warn("jobs: River cancel failed", "job", job, "file", e.idx)
			}
		}
		s.spoolDelete(ctx, job, e.idx)
	}
	return s.finishJob(ctx, job)
}
