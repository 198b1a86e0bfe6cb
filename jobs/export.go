package jobs

import (
	"context"

	"github.com/picfre/picfre"

	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/retention"
)

// The interfaces the service answers for privacy and retention.
var (
	_ privacy.JobStore = (*Service)(nil)
	_ retention.Purger = (*Service)(nil)
)

// ExportJobs returns the account's job records for a data subject's
// access request, newest first: what the rows hold — the jobs' states,
// codes and times, and each file's name, state, code, times and credits,
// with the time its result is held until while it is held — never content
// or results. privacy.Subjects calls it (privacy.JobStore).
func (s *Service) ExportJobs(ctx context.Context, account string) ([]privacy.ExportJob, error) {
	list, err := s.Jobs(ctx, account)
	if err != nil {
		return nil, err
	}
	out := make([]privacy.ExportJob, 0, len(list))
	for _, j := range list {
		x := privacy.ExportJob{ID: j.ID, State: string(j.State), Code: string(j.Code), Created: j.Created,
			Finished: j.Finished, Files: []privacy.ExportJobFile{}}
		rows, err := s.db.QueryContext(ctx, `SELECT name, kind, size, state, code, attempts, started_at, finished_at, credits, result_expires_at
			FROM picfre_job_files WHERE job_id = $1 ORDER BY idx`, j.ID)
		if err != nil {
			return nil, s.dbErr("export", err)
		}
		for rows.Next() {
			var name, st, code string
			var started, finished, expires int64
			var f privacy.ExportJobFile
			if err := rows.Scan(&name, &f.Kind, &f.Size, &st, &code, &f.Attempts, &started, &finished, &f.Credits, &expires); err != nil {
				rows.Close()
				return nil, s.dbErr("export", err)
			}
			f.Name, f.State, f.Code = picfre.UnescapeName(name), st, code
			f.Started, f.Finished, f.ResultHeldUntil = fromMicros(started), fromMicros(finished), fromMicros(expires)
			x.Files = append(x.Files, f)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.dbErr("export", err)
		}
		out = append(out, x)
	}
	return out, nil
}
