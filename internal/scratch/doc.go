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
// # Ownership and crashes
//
// A process that is killed cannot run its deferred cleanups, so a folder
// can outlive its owner. Ownership is therefore marked by a lock, not by a
// name: the owner holds an exclusive flock(2) lock on the folder itself
// from before the folder gets its public name (picfre-scratch-<random>)
// until the cleanup has removed it. The kernel releases the lock when the
// owner's descriptor closes, which happens however the process ends,
// SIGKILL included.
//
// [Root.CleanStale], called once at start, removes a folder only when it
// can take that lock itself without waiting, which means that no process
// on the host holds it: processes in other PID namespaces (other
// containers sharing the parent) are protected like any other, and a
// recycled PID keeps nothing alive. Age never overrides the lock; a
// positive age bound only spares abandoned folders younger than it. After
// taking a lock, CleanStale checks that the name still refers to the
// folder it locked, since owners and cleaners remove a folder before they
// release its lock; and it never follows a symbolic link. Entries whose
// name is not exactly a scratch name, including the PID-named folders of
// earlier versions, are never touched.
//
// # File systems
//
// flock(2) locks protect across every process that shares a kernel, on
// local file systems (ext4, XFS, Btrfs, tmpfs, APFS, ...), which is where
// the parent belongs. Network file systems vary (see flock(2) and
// nfs(5)): NFS emulates the lock with a byte-range lock at the server, or
// keeps it local to one client (local_lock), and may refuse it on a
// folder; a FUSE file system that does not implement locks keeps them
// local to the host. Where the file system refuses the lock, Dir and
// CleanStale fail with [ErrNoLocking] and nothing is removed; where it
// keeps locks local to one host, processes on other hosts sharing
// the same parent are not protected.
//
// # Platforms
//
// Locks are taken on Linux, macOS and the BSDs. On other systems (Windows,
// AIX, Solaris and illumos) Dir makes folders without a lock and
// CleanStale removes nothing: without the lock it cannot tell a crashed
// owner's folder from a running one's, so the leftovers of a crash stay
// until someone removes them.
//
// # Concurrency
//
// A Root holds no mutable state after construction; all its methods are
// safe for concurrent use, from any number of goroutines and processes
// sharing one parent.
package scratch
