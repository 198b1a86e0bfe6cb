package s3test_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/picfre/picfre/internal/s3test"
)

// recorder is a testing.TB whose Skipf and Fatalf record the message and
// stop the goroutine, as the real ones do, without ending the test that
// uses it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a recorder in a goroutine of its own, so that Skipf
// and Fatalf can stop it, and returns the recorder.
func run(t *testing.T, fn func(testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}

// TestMissingServer checks that without a binary the test is skipped with
// the install command, and fails instead when CI=true.
func TestMissingServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no minio, and no go to ask for GOPATH
	t.Setenv(s3test.ServerEnv, "")
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		r := run(t, func(tb testing.TB) { s3test.Start(tb) })
		msg := r.skipped
		if ci == "true" {
			msg = r.failed
			if r.skipped != "" {
				t.Errorf("CI=true: skipped (%q); want a failure", r.skipped)
			}
		} else if r.failed != "" {
			t.Errorf("CI unset: failed (%q); want a skip", r.failed)
		}
		if !strings.Contains(msg, s3test.InstallCommand) || !strings.Contains(msg, s3test.ServerEnv) {
			t.Errorf("CI=%q: message %q names neither the install command nor %s", ci, msg, s3test.ServerEnv)
		}
	}
}

// TestServerEnvNotRunnable checks that a wrong ServerEnv fails the test
// rather than skipping it: whoever set it meant the tests to run.
func TestServerEnvNotRunnable(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv(s3test.ServerEnv, "/nonexistent/minio")
	r := run(t, func(tb testing.TB) { s3test.Open(tb, t.Context()) })
	if r.failed == "" || r.skipped != "" {
		t.Errorf("failed %q, skipped %q; want a failure naming %s", r.failed, r.skipped, s3test.ServerEnv)
	}
	if !strings.Contains(r.failed, s3test.ServerEnv) {
		t.Errorf("message %q does not name %s", r.failed, s3test.ServerEnv)
	}
}
