// Package sqlitedb opens SQLite files through modernc.org/sqlite (pure Go,
// no cgo) with the settings every picfre store shares, so that the
// ledger, the privacy store and, later, the job queue open one file alike
// and nobody writes a DSN by hand.
//
// # Settings
//
//   - _txlock=immediate: every transaction is BEGIN IMMEDIATE, so a
//     writer takes SQLite's single write lock before it reads, and two
//     writers never both decide from the same snapshot;
//   - busy_timeout (10 s by default): how long a writer waits for another
//     process's write transaction;
//   - journal_mode=WAL: readers do not block the writer;
//   - synchronous=FULL by default (a commit survives a power cut), or
//     NORMAL (survives a process crash, may lose the last commits on power
//     loss);
//   - foreign_keys=1.
//
// A file opened this way may be shared by the processes of one machine
// (on a local file system; not over NFS).
//
// # Read-only files
//
// An existing file this process cannot write is opened read-only
// (mode=ro, and immutable=1 while its WAL is empty, so that nothing is
// created beside it): reads work, writes fail. A -shm this process cannot
// write beside a file it can (left by a run while the file was read-only:
// SQLite gives it the database's mode) is removed when the WAL is empty
// and no process has it locked, since SQLite would otherwise refuse every
// write for as long as it stays.
package sqlitedb
