package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/internal/hostile"
	"github.com/picfre/picfre/internal/testenv"
)

// buildCLI returns the path of this command built without the race
// detector, since the hostile run measures the real program's memory:
// PICFRE_TEST_CLI when set (.ci/run builds it once), else a fresh build
// into a temporary folder.
func buildCLI(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("PICFRE_TEST_CLI"); bin != "" {
		return bin
	}
	goBin := testenv.Tool(t, "go", "golang")
	bin := filepath.Join(t.TempDir(), "picfre")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestHostileFolder runs the real program over the whole hostile corpus
// of the adversarial review at --concurrency 4, billing on an SQLite
// ledger by the minute and writing XMP back: it must end within two minutes with exit status 1
// (some files fail), under 1 GB of peak memory, with one typed record for
// every entry, distinct names, no file charged for more than it lasts, and
// our own stale temporary file removed.
func TestHostileFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program and runs the hostile corpus")
	}
	ffmpeg := testenv.Tool(t, "ffmpeg", "ffmpeg")
	testenv.Tool(t, "ffprobe", "ffmpeg")
	bin := buildCLI(t)
	dir := filepath.Join(t.TempDir(), "hostile")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cases, err := hostile.Folder(dir, ffmpeg)
	if err != nil {
		t.Fatal(err)
	}
	ledger := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")

	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasSuffix(k, "_API_KEY") {
			env = append(env, kv)
		}
	}
	run := func(ctx context.Context, args ...string) (stdout, stderr string, state *os.ProcessState, err error) {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err = cmd.Run()
		return o.String(), e.String(), cmd.ProcessState, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, stderr, _, err := run(ctx, "credits", "topup", "--ledger", ledger, "--account", "alice", "--credits", "1000000", "--ref", "pay-1"); err != nil {
		t.Fatalf("topup: %v\n%s", err, stderr)
	}

	args := []string{"tag", "--concurrency", "4", "--ledger", ledger, "--account", "alice",
		"--price", "1", "--price-per-minute", "10", "--write", "xmp", "--format", "jsonl", dir}
	for _, c := range cases {
		if c.Explicit {
			args = append(args, filepath.Join(dir, c.Name))
		}
	}
	start := time.Now()
	stdout, stderr, state, err := run(ctx, args...)
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("still running after %v: it hangs\nstderr:\n%s", elapsed, stderr)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\nstderr:\n%s", err, stderr)
	}
	if elapsed > 2*time.Minute {
		t.Errorf("took %v, want under 2 minutes", elapsed)
	}
	if ru, ok := state.SysUsage().(*syscall.Rusage); ok {
		peak := int64(ru.Maxrss) * 1024 // kilobytes on Linux
		t.Logf("%d entries in %v, peak RSS %d MiB", len(cases), elapsed.Round(time.Millisecond), peak>>20)
		if peak > 1<<30 {
			t.Errorf("peak RSS %d MiB, want under 1 GiB", peak>>20)
		}
	}

	recs := decodeJSONL(t, stdout)
	want := 0
	for _, c := range cases {
		if !c.NoRecord {
			want++
		}
	}
	if len(recs) != want {
		t.Errorf("%d records for %d entries", len(recs), want)
	}
	seen := map[string]bool{}
	byName := map[string]record{}
	for _, r := range recs {
		if seen[r.File] {
			t.Errorf("two records name %q", r.File)
		}
		seen[r.File] = true
		byName[filepath.Base(r.File)] = r
		switch {
		case r.Error != nil:
			if !r.Error.Code.Valid() || r.Error.Message == "" {
				t.Errorf("%s: untyped error %+v", r.File, r.Error)
			}
			if strings.Contains(r.Error.Message, dir) {
				t.Errorf("%s: the message %q holds a path", r.File, r.Error.Message)
			}
		case r.Title == "" && r.Prompt == "":
			t.Errorf("%s: neither an error nor a result: %+v", r.File, r)
		}
	}
	for _, c := range cases {
		r, ok := byName[picfre.EscapeName(c.Name)]
		if c.NoRecord {
			if ok {
				t.Errorf("%s (%s) got a record", c.Name, c.What)
			}
			if _, err := os.Lstat(filepath.Join(dir, c.Name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s (%s) is still there: %v", c.Name, c.What, err)
			}
			continue
		}
		if !ok {
			t.Errorf("no record for %s (%s)", c.Name, c.What)
			continue
		}
		// A clip of 3 or 20 seconds costs at most 1 + 10 credits, whatever
		// its header says.
		if r.Usage != nil && r.Usage.Credits > 11 {
			t.Errorf("%s (%s) charged %d credits", c.Name, c.What, r.Usage.Credits)
		}
		t.Logf("%-26q %-17s %s", c.Name, codeOf(r), c.What)
	}
	for _, name := range []string{"photo.jpg", "link.jpg", "motion.jpg", "utf16-xmp.jpg", "exif-gps.jpg"} {
		if r := byName[name]; r.Error != nil {
			t.Errorf("%s failed: %+v", name, r.Error)
		}
	}
}

func codeOf(r record) string {
	if r.Error != nil {
		return string(r.Error.Code)
	}
	return "ok"
}
