// Package stripemock starts stripe-mock, Stripe's own mock of its API
// (github.com/stripe/stripe-mock), for tests of code that calls Stripe.
package stripemock

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Env names the environment variable that may hold the path of the
// stripe-mock binary; without it, stripe-mock is looked up on PATH.
const Env = "PICFRE_TEST_STRIPE_MOCK"

// Install is the command that installs the version the tests were
// written against.
const Install = "go install github.com/stripe/stripe-mock@v0.203.0"

const listening = "Listening for HTTP at address: "

// Start runs stripe-mock on a free loopback port for the rest of the test
// and returns its base URL ("http://127.0.0.1:PORT"), to be given to a
// Stripe client as its API base. When the binary is missing the test is
// skipped, or fails when CI=true.
func Start(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(Env)
	if bin == "" {
		p, err := exec.LookPath("stripe-mock")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("stripe-mock not found and CI=true: %s, or set %s", Install, Env)
			}
			t.Skipf("skipping: stripe-mock not found on PATH (%s, or set %s to its path)", Install, Env)
		}
		bin = p
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatalf("stripe-mock: %v", err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start stripe-mock: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), listening); ok {
				addr <- strings.TrimSpace(a)
				break
			}
		}
		_, _ = io.Copy(io.Discard, out) // keep the pipe drained
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatalf("stripe-mock did not report its HTTP address within 30s")
		return ""
	}
}
