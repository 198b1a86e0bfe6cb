package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"iter"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
)

// ErrResultGone: the file was done, but its result is no longer held: it
// was fetched with ResultOptions.Consume, or its lifetime
// (Config.ResultLifetime) passed. Results reports it in the file's Result.
var ErrResultGone = errcode.New(errcode.NotFound, "jobs: the result is no longer held")

// Job returns the account's job with its files. Another account's job, or
// one that does not exist, is ErrNotFound alike.
func (s *Service) Job(ctx context.Context, account, id string) (*Job, error) {
	j, err := s.jobRow(ctx, account, id)
	if err != nil {
		return nil, err
	}
	files, err := s.files(ctx, id)
	if err != nil {
		return nil, err
	}
	j.Files = files
	j.Counts = Counts{}
	for _, f := range files {
		j.add(f.State)
	}
	return j, nil
}

// Jobs lists the account's jobs, newest first, with their counts (not
// their files).
func (s *Service) Jobs(ctx context.Context, account string) ([]*Job, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT j.id, j.state, j.code, j.created_at, j.finished_at, f.state, COUNT(f.idx)
		FROM picfre_jobs j LEFT JOIN picfre_job_files f ON f.job_id = j.id
		WHERE j.account = $1 GROUP BY j.id, j.state, j.code, j.created_at, j.finished_at, f.state
		ORDER BY j.created_at DESC, j.id`, account)
	if err != nil {
		return nil, s.dbErr("list", err)
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		var id, st, code string
		var fst sql.NullString
		var created, finished int64
		var n int
		if err := rows.Scan(&id, &st, &code, &created, &finished, &fst, &n); err != nil {
			return nil, s.dbErr("list", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, &Job{ID: id, Account: account, State: State(st), Code: errcode.Code(code),
				Created: fromMicros(created), Finished: fromMicros(finished)})
		}
		if fst.Valid {
			j := out[len(out)-1]
			for range n {
				j.add(FileState(fst.String))
			}
		}
	}
	return out, s.dbErr("list", rows.Err())
}

// jobRow reads a job of the account, without files.
func (s *Service) jobRow(ctx context.Context, account, id string) (*Job, error) {
	if checkAccount(account) != nil || !validID(id) {
		return nil, ErrNotFound
	}
	var st, code string
	var created, finished int64
	err := s.db.QueryRowContext(ctx, `SELECT state, code, created_at, finished_at FROM picfre_jobs
		WHERE id = $1 AND account = $2`, id, account).Scan(&st, &code, &created, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, s.dbErr("look", err)
	}
	return &Job{ID: id, Account: account, State: State(st), Code: errcode.Code(code),
		Created: fromMicros(created), Finished: fromMicros(finished)}, nil
}

// files reads a job's files in input order.
func (s *Service) files(ctx context.Context, id string) ([]File, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT idx, name, kind, size, state, code, credits, attempts,
		started_at, finished_at, result IS NOT NULL FROM picfre_job_files WHERE job_id = $1 ORDER BY idx`, id)
	if err != nil {
		return nil, s.dbErr("look", err)
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		var f File
		var name, st, code string
		var started, finished int64
		if err := rows.Scan(&f.Index, &name, &f.Kind, &f.Size, &st, &code, &f.Credits, &f.Attempts,
			&started, &finished, &f.Held); err != nil {
			return nil, s.dbErr("look", err)
		}
		f.Name, f.State, f.Code = picfre.UnescapeName(name), FileState(st), errcode.Code(code)
		f.Started, f.Finished = fromMicros(started), fromMicros(finished)
		out = append(out, f)
	}
	return out, s.dbErr("look", rows.Err())
}

// ResultOptions tune Results.
type ResultOptions struct {
	// Consume deletes each result from the database once it has been
	// handed over (the yield returned), so that nothing generated is kept
	// after the user has it. Without it a result is held until its
	// lifetime ends (Config.ResultLifetime).
	Consume bool
	// Wait makes Results wait for the files not yet settled, and end once
	// the job is final; without it Results reports the files settled so
	// far and ends.
	Wait bool
}

// Results yields the job's results in input order, each with its file's
// Index: each done file's Result (its answer, unsealed); for a failed or
// canceled file a Result with only Index, File and Err (its code); for a
// done file whose result is no longer held, Err is ErrResultGone. Files
// not settled yet are skipped, unless o.Wait; Index tells which file a
// result is, also among files of the same name. An error (ErrNotFound for
// another account's job, a database failure, ctx's end) is yielded once,
// last, with a nil Result.
func (s *Service) Results(ctx context.Context, account, id string, o ResultOptions) iter.Seq2[*Result, error] {
	return func(yield func(*Result, error) bool) {
		if _, err := s.jobRow(ctx, account, id); err != nil {
			yield(nil, err)
			return
		}
		next := 0
		for {
			files, err := s.files(ctx, id)
			if err != nil {
				yield(nil, err)
				return
			}
			for next < len(files) {
				f := files[next]
				if !f.State.settled() {
					if o.Wait {
						break
					}
					next++
					continue
				}
				r, err := s.result(ctx, id, f)
				if err != nil {
					yield(nil, err)
					return
				}
				if !yield(r, nil) {
					return
				}
				if o.Consume && f.Held {
					if _, err := s.db.ExecContext(ctx, `UPDATE picfre_job_files SET result = NULL, result_expires_at = 0
						WHERE job_id = $1 AND idx = $2`, id, f.Index); err != nil {
						yield(nil, s.dbErr("consume", err))
						return
					}
				}
				next++
			}
			if next >= len(files) || !o.Wait {
				return
			}
			if err := s.pause(ctx); err != nil {
				yield(nil, err)
				return
			}
			if _, err := s.jobRow(ctx, account, id); err != nil {
				yield(nil, err) // deleted meanwhile
				return
			}
		}
	}
}

// result builds a settled file's Result.
func (s *Service) result(ctx context.Context, id string, f File) (*Result, error) {
	switch f.State {
	case FileFailed:
		code := f.Code
		if code == "" {
			code = errcode.Internal
		}
		return &Result{Index: f.Index, Result: picfre.Result{File: f.Name, Err: code}}, nil
	case FileCanceled:
		return &Result{Index: f.Index, Result: picfre.Result{File: f.Name, Err: errcode.Canceled}}, nil
	}
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT result FROM picfre_job_files WHERE job_id = $1 AND idx = $2`, id, f.Index).Scan(&sealed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, s.dbErr("results", err)
	}
	if sealed == nil {
		return &Result{Index: f.Index, Result: picfre.Result{File: f.Name, Err: ErrResultGone}}, nil
	}
	raw, err := s.keys.Open(sealed, resultAAD(id, f.Index))
	if err != nil {
		return nil, wrapIfNone(errcode.Internal, "jobs: unseal a result", err)
	}
	r := Result{Index: f.Index}
	if err := json.Unmarshal(raw, &r.Result); err != nil {
		return nil, wrap(errcode.Internal, "jobs: a held result", err)
	}
	return &r, nil
}

// pause waits one poll interval, or until River reports that a job of
// this process ended an attempt, ctx ends or the service closes.
func (s *Service) pause(ctx context.Context) error {
	t := time.NewTimer(s.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-s.woken():
		return nil
	case <-ctx.Done():
		return wrap(errcode.Canceled, "jobs", context.Cause(ctx))
	case <-s.closed:
		return ErrClosed
	case <-t.C:
		return nil
	}
}

// Watch follows a job's progress: a first event with the job as it is, one
// event for each file whose state changes (running, done, failed, ...),
// and a last one with Final set when the job is final; then the sequence
// ends. It looks every Config.PollInterval, so that it sees the work of
// every instance. An error (ErrNotFound, the job deleted meanwhile, ctx's
// end) is yielded once, last.
func (s *Service) Watch(ctx context.Context, account, id string) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		var prev map[int]File
		for {
			j, err := s.Job(ctx, account, id)
			if err != nil {
				yield(Event{}, err)
				return
			}
			final := !j.Finished.IsZero()
			base := Event{Job: id, State: j.State, Counts: j.Counts}
			if prev == nil {
				prev = make(map[int]File, len(j.Files))
				for _, f := range j.Files {
					prev[f.Index] = f
				}
				if !yield(base, nil) {
					return
				}
			} else {
				for _, f := range j.Files {
					if p, ok := prev[f.Index]; ok && p.State == f.State && p.Attempts == f.Attempts {
						continue
					}
					prev[f.Index] = f
					ev := base
					ev.File = &f
					if !yield(ev, nil) {
						return
					}
				}
			}
			if final {
				base.Final = true
				yield(base, nil)
				return
			}
			if err := s.pause(ctx); err != nil {
				yield(Event{}, err)
				return
			}
		}
	}
}

// Cancel cancels the account's job: its files not yet started are
// canceled (uncharged, their content deleted at once); a file a worker
// has in hand is interrupted — its hold voided — unless it is already
// being charged, in which case it completes and its result is kept.
// Cancelling a final job changes nothing. It returns the job as it then
// is.
func (s *Service) Cancel(ctx context.Context, account, id string) (*Job, error) {
	j, err := s.jobRow(ctx, account, id)
	if err != nil {
		return nil, err
	}
	if j.Finished.IsZero() {
		if _, err := s.db.ExecContext(ctx, `UPDATE picfre_jobs SET state = $2, updated_at = $3
			WHERE id = $1 AND state IN ('queued', 'running')`, id, string(StateCanceled), s.micros()); err != nil {
			return nil, s.dbErr("cancel", err)
		}
		if err := s.settleQueued(ctx, id, FileCanceled, ""); err != nil {
			return nil, err
		}
		// Interrupt the running ones; their workers settle them.
		rows, err := s.db.QueryContext(ctx, `SELECT river_id FROM picfre_job_files WHERE job_id = $1 AND state = 'running'`, id)
		if err != nil {
			return nil, s.dbErr("cancel", err)
		}
		var running []int64
		for rows.Next() {
			var r int64
			if rows.Scan(&r) == nil && r != 0 {
				running = append(running, r)
			}
		}
		rows.Close()
		for _, r := range running {
			_ = s.q.cancel(ctx, r)
		}
	}
	return s.Job(ctx, account, id)
}

// Delete deletes the account's job now: its spooled content, its held
// results and its rows. Files being worked are interrupted as by Cancel;
// one that completes anyway is charged, and its result is discarded.
func (s *Service) Delete(ctx context.Context, account, id string) error {
	if _, err := s.Cancel(ctx, account, id); err != nil {
		return err
	}
	return s.deleteJob(ctx, id)
}

// deleteJob deletes a job's content and rows, whoever owns it.
func (s *Service) deleteJob(ctx context.Context, id string) error {
	if err := s.spoolDeleteJob(ctx, id); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM picfre_job_files WHERE job_id = $1`, id); err != nil {
		return s.dbErr("delete", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM picfre_jobs WHERE id = $1`, id); err != nil {
		return s.dbErr("delete", err)
	}
	return nil
}
