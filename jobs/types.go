package jobs

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
)

// State is a job's state.
type State string

// The job states. A job is final once it is Done, Canceled or Stopped and
// none of its files is still being worked (Job.Finished is set).
const (
	// StateUploading: files are being added (Upload.Add); nothing is
	// queued until Upload.Commit.
	StateUploading State = "uploading"
	// StateQueued: committed, no file started yet.
	StateQueued State = "queued"
	// StateRunning: at least one file was started.
	StateRunning State = "running"
	// StateDone: every file settled, each done or failed.
	StateDone State = "done"
	// StateCanceled: Service.Cancel stopped it; the files not yet started
	// were canceled, uncharged.
	StateCanceled State = "canceled"
	// StateStopped: a file met a fatal provider error (Job.Code:
	// quota_exhausted or provider_unauthenticated), so the service stopped
	// taking the account's files: the files not yet started failed with
	// that code, uncharged, instead of burning through retries. Submit
	// again once the operator has fixed the provider.
	StateStopped State = "stopped"
)

// FileState is the state of one file of a job.
type FileState string

// The file states. Done, Failed and Canceled are final ("settled").
const (
	// FileQueued: waiting for a worker (also between retries).
	FileQueued FileState = "queued"
	// FileRunning: a worker has it.
	FileRunning FileState = "running"
	// FileDone: processed and charged once; its result is held until
	// fetched or until its lifetime ends.
	FileDone FileState = "done"
	// FileFailed: failed for good with File.Code; not charged.
	FileFailed FileState = "failed"
	// FileCanceled: the job was canceled before the file was done; not
	// charged.
	FileCanceled FileState = "canceled"
)

func (s FileState) settled() bool {
	return s == FileDone || s == FileFailed || s == FileCanceled
}

// Job is what Service.Job reports: a job's state, its counts and, from
// Service.Job, its files. It holds what the usage records hold (file names,
// times, states, error codes), never content or generated metadata.
type Job struct {
	ID      string `json:"id"`
	Account string `json:"-"`
	State   State  `json:"state"`
	// Code is why a Stopped job stopped.
	Code errcode.Code `json:"code,omitempty"`
	Counts
	Created time.Time `json:"created"`
	// Finished is when the last file settled; zero until then.
	Finished time.Time `json:"finished,omitzero"`
	// Files are the job's files in input order (Service.Job and
	// Upload.Commit fill them; Service.Jobs does not).
	Files []File `json:"files,omitempty"`
}

// Counts counts a job's files by state.
type Counts struct {
	Total    int `json:"total"`
	Queued   int `json:"queued"`
	Running  int `json:"running"`
	Done     int `json:"done"`
	Failed   int `json:"failed"`
	Canceled int `json:"canceled"`
}

// Settled is the number of files that are done, failed or canceled.
func (c Counts) Settled() int { return c.Done + c.Failed + c.Canceled }

func (c *Counts) add(s FileState) {
	c.Total++
	switch s {
	case FileQueued:
		c.Queued++
	case FileRunning:
		c.Running++
	case FileDone:
		c.Done++
	case FileFailed:
		c.Failed++
	case FileCanceled:
		c.Canceled++
	}
}

// File is one file of a job.
type File struct {
	// Index is the file's position in the job, from 0.
	Index int `json:"index"`
	// Name is the uploader's name for the file, as the usage record
	// keeps it.
	Name  string    `json:"name"`
	State FileState `json:"state"`
	// Code is a failed file's error code.
	Code errcode.Code `json:"code,omitempty"`
	// Kind is the media kind detected from the content at upload
	// ("image", "vector", "video", "audio"), empty when it was not
	// recognised.
	Kind string `json:"kind,omitempty"`
	// Size is the uploaded size in bytes while the file waits; 0 once it
	// is settled, since the record keeps no more than a usage record
	// (name, times, state, code, credits).
	Size int64 `json:"size"`
	// Credits is what the file was charged (0 for a replay or failure).
	Credits int64 `json:"credits"`
	// Attempts counts the times a worker started the file.
	Attempts int       `json:"attempts"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Held is true while the file's result is held for fetching.
	Held bool `json:"held,omitempty"`
}

// Event is one step of a job's progress, as Service.Watch reports it.
type Event struct {
	Job   string `json:"job"`
	State State  `json:"state"`
	Counts
	// File is the file whose state changed; nil for an event about the
	// job as a whole (the first and the last).
	File *File `json:"file,omitempty"`
	// Final is true on the last event: the job is done, canceled or
	// stopped and no file is still being worked.
	Final bool `json:"final,omitempty"`
}

// Result is one file's result as Service.Results yields it: the
// picfre.Result with the file's position in the job, which tells apart
// files of the same name.
//
// In JSON it is the picfre.Result's record with "index" first.
type Result struct {
	// Index is the file's position in the job, from 0: File.Index, the
	// order in which it was added.
	Index int
	picfre.Result
}

// MarshalJSON writes the result's record with "index" first.
func (r Result) MarshalJSON() ([]byte, error) {
	b, err := r.Result.MarshalJSON()
	if err != nil {
		return nil, err
	}
	head := append([]byte(`{"index":`), strconv.Itoa(r.Index)...)
	if bytes.Equal(bytes.TrimSpace(b), []byte("{}")) {
		return append(head, '}'), nil
	}
	return append(append(head, ','), bytes.TrimSpace(b)[1:]...), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Result) UnmarshalJSON(b []byte) error {
	var idx struct {
		Index *int `json:"index"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return err
	}
	if idx.Index == nil || *idx.Index < 0 {
		return errcode.New(errcode.InvalidArgument, "jobs: a result needs its index")
	}
	var res picfre.Result
	if err := res.UnmarshalJSON(b); err != nil {
		return err
	}
	r.Index, r.Result = *idx.Index, res
	return nil
}
