package privacy

import (
	"context"
	"time"

	"github.com/picfre/picfre/retention"
)

// JobStore is the job service's side of a data subject's request:
// (*jobs.Service) implements it. Both methods are safe for concurrent use
// and honour ctx.
type JobStore interface {
	// ExportJobs returns the account's job records as they are stored,
	// newest first: names, times, states, codes and credits, never
	// content or results. An unknown account has none.
	ExportJobs(ctx context.Context, account string) ([]ExportJob, error)
	// EraseAccount cancels the account's jobs (files not yet processed
	// are not charged), deletes their content, held results and records,
	// and returns the number of jobs deleted. Erasing twice is harmless.
	EraseAccount(ctx context.Context, account string) (int, error)
}

// ExportJob is the record of one job: what it holds of the job and of
// each of its files.
type ExportJob struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// Code is why a stopped job stopped ("quota_exhausted").
	Code     string    `json:"code,omitempty"`
	Created  time.Time `json:"created"`
	Finished time.Time `json:"finished,omitzero"`
	// KeptUntil is when the record is deleted, as a usage record
	// recorded when the job was created (Export fills it in).
	KeptUntil time.Time       `json:"kept_until,omitzero"`
	Files     []ExportJobFile `json:"files"`
}

// ExportJobFile is the record of one file of a job.
type ExportJobFile struct {
	// Name is the file's name as it was uploaded.
	Name string `json:"name"`
	// Kind is the media kind detected at upload ("image", "video" ...).
	Kind string `json:"kind,omitempty"`
	// Size is the uploaded size in bytes, kept only while the file
	// waits to be processed (0 once it is done or failed).
	Size  int64  `json:"size,omitempty"`
	State string `json:"state"`
	// Attempts counts the times a worker started the file.
	Attempts int `json:"attempts"`
	// Code is a failed file's error code ("unsupported_media").
	Code     string    `json:"code,omitempty"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	Credits  int64     `json:"credits"`
	// ResultHeldUntil is set while the metadata generated for the file
	// is held for fetching: it is deleted when fetched, and at the latest
	// at this time. The result itself is not part of the export.
	ResultHeldUntil time.Time `json:"result_held_until,omitzero"`
}

const reasonResult = "The titles, descriptions, keywords and prompts made for your files in a job are held, " +
	"encrypted when the service is so configured, only so that you can fetch them: each is deleted once fetched, " +
	"and at the latest at the time stated."

func (s *Subjects) reasonJob() string {
	return "For each job you submitted, its state, times and error codes, and for each of its files the name, " +
		"state, times and credits charged are kept, like usage records, for questions about a charge: " +
		s.months() + " after the job was created, then deleted."
}

// exportJobs adds the job records and their statement to x.
func (s *Subjects) exportJobs(ctx context.Context, x *Export) error {
	list, err := s.Jobs.ExportJobs(ctx, x.Account)
	if err != nil {
		return err
	}
	var jobsUntil, resultsUntil time.Time
	results := 0
	for _, j := range list {
		j.KeptUntil = s.Retention.UsageExpires(j.Created)
		jobsUntil = later(jobsUntil, j.KeptUntil)
		if j.Files == nil {
			j.Files = []ExportJobFile{}
		}
		for _, f := range j.Files {
			if !f.ResultHeldUntil.IsZero() {
				results++
				resultsUntil = later(resultsUntil, f.ResultHeldUntil)
			}
		}
		x.Jobs = append(x.Jobs, j)
	}
	if len(list) > 0 {
		r := Retained{retention.KindJob, len(list), s.reasonJob(), &jobsUntil}
		if x.LegalHold {
			r.Reason, r.Until = s.reasonLegalHold(), nil
		}
		x.Retained = append(x.Retained, r)
	}
	if results > 0 {
		x.Retained = append(x.Retained, Retained{retention.KindResult, results, reasonResult, &resultsUntil})
	}
	return nil
}
