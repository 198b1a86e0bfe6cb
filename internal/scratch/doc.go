// Package scratch manages private temporary folders for intermediate files
// (video frames, transcodes) that must never outlive the job that made
// them.
//
// # Lifetime
//
// [Root.Dir] creates a fresh folder readable only by the current user
// (mode 0700) and returns a cleanup function that removes it with all its
// contents. Callers defer the cleanup right after the call, so the folder
// goes away on success, on failure and on cancellation alike:
//
//	dir, cleanup, err := root.Dir(ctx)
//	if err != nil {
//		return err
//	}
//	defer cleanup()
//
// # Crashes
//
// A process that is killed cannot run its deferred cleanups. Every folder
// is therefore named after the process that owns it
// (picfre-scratch-<pid>-<random>), and [Root.CleanStale], called once at
// start, removes the folders of processes that no longer run, and any
// folder older than a bound whatever its owner (a recycled PID cannot keep
// a folder alive for ever).
//
// # Concurrency
//
// A Root holds no mutable state after construction; all its methods are
// safe for concurrent use.
package scratch
