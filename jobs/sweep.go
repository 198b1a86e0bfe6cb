package jobs

import (
	"context"
	"time"

	"github.com/picfre/picfre/errcode"
)

// SweepReport says what one Sweep deleted.
type SweepReport struct {
	// Results counts the held results whose lifetime had passed.
	Results int `json:"results"`
	// Uploads counts the uploads never committed within
	// Config.UploadTimeout, deleted with their content.
	Uploads int `json:"uploads"`
	// Orphans counts the files River was done with while their rows
	// said queued or running (a worker that vanished), settled now.
	Orphans int `json:"orphans"`
	// Jobs counts the job records past the retention period.
	Jobs int `json:"jobs"`
}

// Sweep deletes what the service no longer may keep: held results past
// their lifetime, uncommitted uploads past Config.UploadTimeout (content
// included), and the records of jobs created before the retention cutoff
// (Config.Retention; accounts under a legal hold in Config.Ledger are
// skipped). It also settles the files of canceled or stopped jobs whose
// worker vanished. On SQLite the write-ahead log is then checkpointed and
// truncated, so that deleted rows leave the log as well as the database
// file (the file is opened with secure_delete, which overwrites deleted
// content). Run it every few minutes from one or more instances
// (`picfre serve` and `picfre worker` do); concurrent sweeps are safe.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	now := s.cfg.Now()
	res, err := s.db.ExecContext(ctx, `UPDATE picfre_job_files SET result = NULL, result_expires_at = 0
		WHERE result_expires_at > 0 AND result_expires_at <= $1`, now.UnixMicro())
	if err != nil {
		return rep, s.dbErr("sweep", err)
	}
	if n, err := res.RowsAffected(); err == nil {
		rep.Results = int(n)
	}

	stale, err := s.ids(ctx, `SELECT id FROM picfre_jobs WHERE state = 'uploading' AND updated_at < $1`,
		now.Add(-s.cfg.UploadTimeout).UnixMicro())
	if err != nil {
		return rep, err
	}
	for _, id := range stale {
		if err := s.deleteJob(ctx, id); err != nil {
			return rep, err
		}
		rep.Uploads++
	}

	if err := s.settleOrphans(ctx, now, &rep); err != nil {
		return rep, err
	}

	n, err := s.PurgeRecords(ctx, s.cfg.Retention.Cutoff(now), false)
	rep.Jobs = n
	if err != nil {
		return rep, err
	}
	s.checkpoint(ctx)
	return rep, nil
}

// settleOrphans settles the files River is done with although their rows
// say otherwise: a worker that vanished after the job was canceled or
// stopped, or a file whose worker crashed on its last attempt (River then
// discards it). Such a file fails with internal. It is uncharged unless
// its worker crashed after the capture on the last of Config.MaxAttempts
// attempts, each ending in a crash: then it was charged and its answer
// lost. That needs MaxAttempts crashes of one file, and is left so.
func (s *Service) settleOrphans(ctx context.Context, now time.Time, rep *SweepReport) error {
	cutoff := now.Add(-2 * s.cfg.RescueAfter).UnixMicro()
	rows, err := s.db.QueryContext(ctx, `SELECT f.job_id, f.idx, f.river_id, j.state, j.code FROM picfre_job_files f
		JOIN picfre_jobs j ON j.id = f.job_id
		WHERE f.state IN ('queued', 'running') AND j.state <> 'uploading'
		AND ((f.started_at <> 0 AND f.started_at < $1) OR (f.started_at = 0 AND j.updated_at < $1))`, cutoff)
	if err != nil {
		return s.dbErr("sweep", err)
	}
	type orphan struct {
		a     fileArgs
		river int64
		state State
		code  string
	}
	var found []orphan
	for rows.Next() {
		var o orphan
		var st string
		if err := rows.Scan(&o.a.Job, &o.a.File, &o.river, &st, &o.code); err != nil {
			rows.Close()
			return s.dbErr("sweep", err)
		}
		o.state = State(st)
		found = append(found, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s.dbErr("sweep", err)
	}
	for _, o := range found {
		if o.river != 0 {
			done, err := s.q.finalized(ctx, o.river)
			if err != nil {
				return s.dbErr("sweep", err)
			}
			if !done {
				continue // River still has it: queued, retrying or running
			}
		}
		st, code := FileFailed, errcode.Internal
		switch o.state {
		case StateCanceled:
			st, code = FileCanceled, ""
		case StateStopped:
			code = errcode.Code(o.code)
		}
		if err := s.settle(ctx, o.a, st, code, nil); err != nil {
			return err
		}
		rep.Orphans++
	}
	return nil
}

// PurgeRecords deletes the records of final jobs created before cutoff
// (in a dry run, counts them), skipping accounts under a legal hold in
// Config.Ledger. It is what retention.Sweeper calls (retention.Purger).
func (s *Service) PurgeRecords(ctx context.Context, cutoff time.Time, dryRun bool) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, account FROM picfre_jobs WHERE created_at < $1 AND finished_at <> 0`,
		cutoff.UnixMicro())
	if err != nil {
		return 0, s.dbErr("purge", err)
	}
	type rec struct{ id, account string }
	var old []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.id, &r.account); err != nil {
			rows.Close()
			return 0, s.dbErr("purge", err)
		}
		old = append(old, r)
	}
	rows.Close()
	held := map[string]bool{}
	n := 0
	for _, r := range old {
		if s.cfg.Ledger != nil {
			h, seen := held[r.account]
			if !seen {
				var err error
				if h, err = s.cfg.Ledger.LegalHold(ctx, r.account); err != nil {
					return n, err
				}
				held[r.account] = h
			}
			if h {
				continue
			}
		}
		n++
		if dryRun {
			continue
		}
		if err := s.deleteJob(ctx, r.id); err != nil {
			return n - 1, err
		}
	}
	return n, nil
}

// checkpoint moves SQLite's write-ahead log into the database and
// truncates it, best effort (a reader holding an old snapshot makes it a
// partial checkpoint; the next sweep finishes it).
func (s *Service) checkpoint(ctx context.Context) {
	if s.d == sqliteDialect {
		_, _ = s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
}

func (s *Service) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.dbErr("sweep", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.dbErr("sweep", err)
		}
		ids = append(ids, id)
	}
	return ids, s.dbErr("sweep", rows.Err())
}

// EraseAccount deletes everything the service holds for the account, for
// an erasure request: its jobs are canceled (queued files uncharged), and
// their content, held results and records deleted. It returns the number
// of jobs deleted. privacy.Subjects calls it (privacy.JobStore).
func (s *Service) EraseAccount(ctx context.Context, account string) (int, error) {
	if err := checkAccount(account); err != nil {
		return 0, err
	}
	ids, err := s.ids(ctx, `SELECT id FROM picfre_jobs WHERE account = $1`, account)
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		if err := s.Delete(ctx, account, id); err != nil && errcode.Of(err) != errcode.NotFound {
			return i, err
		}
	}
	s.checkpoint(ctx)
	return len(ids), nil
}
