package scratch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prefix starts the name of every scratch folder. CleanStale considers only
// entries whose name starts with it.
const Prefix = "picfre-scratch-"

// Root makes scratch folders inside one parent folder. Create it with New.
// It is safe for concurrent use.
type Root struct {
	parent string
	pid    int
	now    func() time.Time
	alive  func(pid int) bool
}

// New returns a Root that makes its folders in parent, or in os.TempDir()
// when parent is "". The parent is not created or checked until Dir or
// CleanStale is called.
func New(parent string) *Root {
	return NewWithClock(parent, time.Now)
}

// NewWithClock is New with an injected clock, used by CleanStale to judge
// the age of folders. now must be safe for concurrent use.
func NewWithClock(parent string, now func() time.Time) *Root {
	if parent == "" {
		parent = os.TempDir()
	}
	if now == nil {
		now = time.Now
	}
	return &Root{parent: parent, pid: os.Getpid(), now: now, alive: processAlive}
}

// Parent returns the folder the scratch folders are made in.
func (r *Root) Parent() string { return r.parent }

// Dir creates a new, empty scratch folder with mode 0700 and returns its
// path and a function that removes it and everything in it. The cleanup
// function is safe to call more than once and from several goroutines;
// only the first call does the work. Dir fails without creating anything
// when ctx is already done.
func (r *Root) Dir(ctx context.Context) (dir string, cleanup func(), err error) {
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	dir, err = os.MkdirTemp(r.parent, Prefix+strconv.Itoa(r.pid)+"-")
	if err != nil {
		return "", nil, fmt.Errorf("scratch: creating a folder: %w", err)
	}
	// MkdirTemp already uses 0700; make sure a permissive umask or an
	// unusual platform cannot widen it.
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, fmt.Errorf("scratch: securing a folder: %w", err)
	}
	var once sync.Once
	cleanup = func() { once.Do(func() { _ = os.RemoveAll(dir) }) }
	return dir, cleanup, nil
}

// CleanStale removes scratch folders left behind by processes that died
// without cleaning up: every folder in the parent whose name starts with
// Prefix and whose owning process no longer runs. When olderThan is
// positive, folders last modified more than olderThan ago are removed as
// well whoever owns them, except the current process's own. It returns how
// many folders it removed. Entries that are not folders (including
// symbolic links) and names that do not parse are left alone. A parent
// that does not exist yet is not an error.
func (r *Root) CleanStale(ctx context.Context, olderThan time.Duration) (removed int, err error) {
	entries, err := os.ReadDir(r.parent)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("scratch: listing %s: %w", r.parent, err)
	}
	now := r.now()
	var errs []error
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		pid, ok := ownerPID(e.Name())
		if !ok || !e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		stale := false
		switch {
		case pid == r.pid:
			// Our own folders are in use; only Dir's cleanup removes them.
		case !r.alive(pid):
			stale = true
		case olderThan > 0:
			info, err := e.Info()
			if err != nil {
				continue // vanished meanwhile
			}
			stale = now.Sub(info.ModTime()) > olderThan
		}
		if !stale {
			continue
		}
		if err := os.RemoveAll(filepath.Join(r.parent, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("scratch: removing stale folders: %w", errors.Join(errs...))
	}
	return removed, nil
}

// ownerPID parses the PID out of a scratch folder name.
func ownerPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, Prefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	if !ok || digits == "" || len(digits) > 10 {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}
