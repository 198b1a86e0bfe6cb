// Package jobs is picfre's online service layer: durable jobs that users
// submit from a browser or an app, worked by any number of processes on any
// number of machines, surviving crashes and restarts, and keeping the
// service's promise that content and generated metadata are not kept once
// the job is done.
//
// # The parts
//
//   - The queue is River (github.com/riverqueue/river): on an SQLite file
//     through riversqlite (the embedded default; the ledger's file, or one
//     beside it) or on PostgreSQL through riverpgxv5, shared by every
//     instance. Each file of a job is one River job, whose arguments are the
//     job id and the file's index and nothing else. River's migrations,
//     retries with backoff, unique jobs, cancellation and rescue of stuck
//     jobs are used as they are.
//   - The uploaded content waits in a spool, a gocloud.dev/blob bucket: a
//     file:// folder on one machine, an s3://, gs:// or azblob:// bucket at
//     scale, so that a worker on any machine can take any file. Objects are
//     named "<job id>/<index>": no file name, no account.
//   - The job tables (picfre_jobs, picfre_job_files) live in the queue's
//     database. They keep what the usage records keep — the file's name,
//     times, state and error code — plus, only while it is needed, the job's
//     options (until the job is final) and each file's result (until it is
//     fetched or its lifetime ends).
//
// # What is kept, and for how long
//
//   - Content: in the spool from Upload.Add until the file settles (done or
//     failed for good), and no longer; Cancel, Delete, EraseAccount and an
//     upload's Abort delete it at once, Sweep what an uncommitted upload left
//     after Config.UploadTimeout.
//   - Results (title, description, keywords, prompts ...): in the file's row
//     until fetched with ResultOptions.Consume, and at most
//     Config.ResultLifetime (24 hours by default), after which Sweep deletes
//     them.
//   - Job records: names, times, states and codes, for the usage retention
//     period (Config.Retention, three calendar months), like the usage
//     records; Sweep (or retention.Sweeper) purges them, EraseAccount deletes
//     them on request.
//
// Spooled content and held results are sealed with AES-256-GCM under the
// embedder's keys (Config.Keys; a key id in every object, so keys rotate);
// each object is bound to its job and index, so that it cannot be moved to
// another. Without keys both are stored in clear, and Open logs a warning.
// The SQLite file is opened with secure_delete, and Sweep checkpoints and
// truncates its write-ahead log, so that deleted rows do not linger in the
// file's free pages or in the log.
//
// # Billing
//
// The Tagger bills (a *picfre.Pipeline with the ledger as its Meter): each
// file is held when a worker starts it — so no hold has to outlive a long
// queue — and captured when it succeeds, voided when it fails. A file is
// charged exactly once across River's retries, crashed workers, duplicate
// submissions and several instances, because the pipeline bills it under
// one key of the account, the content and the options: an attempt after a
// crash that followed the capture is a replay, charged nothing; an attempt
// while a crashed attempt's hold is still live is refused by the ledger and
// snoozed (Config.InProgressWait) until that hold expires
// (metering.Options.HoldTTL). A failed file costs nothing.
//
// A job whose files the balance cannot cover is refused at Upload.Commit
// with insufficient_credits (when Config.Ledger and Config.Pricer are set):
// the available credits must cover every file's price, video and audio at
// their price for no running time, the rest of which the worker's hold
// covers or, if the balance no longer does, fails that file uncharged.
// Credits spent elsewhere while the job waits fail the files they no longer
// cover, uncharged; the others go on.
//
// # Failures
//
// A file that fails for a passing reason (provider failure, rate limit,
// bad model output, a database outage) is tried again, up to
// Config.MaxAttempts, River waiting longer each time. One that fails for a
// reason of its own (invalid, unsupported or too large media, a refusal) fails
// at once with its code, and the rest of the job goes on. A fatal provider
// error (quota_exhausted, provider_unauthenticated) stops the account's
// active jobs (StateStopped, Job.Code): their files not yet started fail with
// that code, uncharged, instead of burning through retries.
//
// # Tenants
//
// Every call takes the account: another account's job is ErrNotFound
// (errcode.NotFound), exactly like one that does not exist, and job ids are
// 128 random bits.
//
// # Scale
//
// Open starts Config.Workers workers in the process; a process with
// Workers < 0 only submits and looks (a web front end), and `picfre worker`
// processes on other machines join by opening the same PostgreSQL database
// and bucket. Watch and Results look at the database, so they see the work
// of every instance.
//
// # Concurrency
//
// A Service is safe for concurrent use; so is an Upload, whose files are
// added one at a time.
package jobs
