package meteringtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
)

// Environment variables that mark a re-executed test binary as a child
// process of RunProcessTests and carry its orders.
const (
	EnvRole   = "PICFRE_METERINGTEST_ROLE"
	EnvTarget = "PICFRE_METERINGTEST_TARGET"
	EnvArgs   = "PICFRE_METERINGTEST_ARGS"
)

// Lines a child writes on its standard output.
const (
	lineReady   = "METERINGTEST-READY"
	lineCharged = "METERINGTEST-CHARGED"
	lineResult  = "METERINGTEST-RESULT "
)

// ProcessHarness tells RunProcessTests how to share one ledger between OS
// processes.
type ProcessHarness struct {
	// Getenv reads the environment; pass os.Getenv. (The harness reads it
	// through this so that the package itself reads no environment.)
	Getenv func(string) string
	// NewTarget creates an empty shared ledger (a file path, a DSN) in the
	// parent process and returns the string that opens it. It registers
	// its own cleanup.
	NewTarget func(t *testing.T) string
	// Open opens the store at target, in the parent and in each child;
	// it registers the store's cleanup itself.
	Open func(t testing.TB, target string) driver.Store
}

// childArgs are a child's orders.
type childArgs struct {
	Account string
	Prefix  string // idempotency keys are Prefix-0, Prefix-1, ...
	Count   int
	Price   int64
	// FixedNow, when set (Unix nanoseconds), is the child's clock;
	// otherwise the real time plus Offset.
	FixedNow int64
	Offset   time.Duration
	TTL      time.Duration
	// Crash: capture the first half, leave the second half held, then
	// SIGKILL itself.
	Crash bool
	// Progress: report every capture, so that the parent can kill the
	// child in the middle of the batch.
	Progress bool
}

type childResult struct {
	Charged, Refused, Settled, InProgress int
}

// RunProcessTests runs the multi-process tests: several OS processes
// spending from one account, and processes killed with SIGKILL between
// authorize and capture. The processes are the test binary itself,
// re-executed to run only the calling top-level test with EnvRole set;
// RunProcessTests must therefore be called from a top-level test, and in a
// child it plays the child's part and returns.
func RunProcessTests(t *testing.T, h ProcessHarness) {
	if role := h.Getenv(EnvRole); role != "" {
		runChild(t, h, role)
		return
	}
	top, _, _ := strings.Cut(t.Name(), "/")
	t.Run("ConcurrentProcesses", func(t *testing.T) { testConcurrentProcesses(t, h, top) })
	t.Run("CrashBetweenAuthorizeAndCapture", func(t *testing.T) { testCrash(t, h, top) })
	t.Run("KilledMidBatch", func(t *testing.T) { testKilledMidBatch(t, h, top) })
}

func runChild(t *testing.T, h ProcessHarness, role string) {
	var args childArgs
	if err := json.Unmarshal([]byte(h.Getenv(EnvArgs)), &args); err != nil {
		t.Fatalf("child %s: bad %s: %v", role, EnvArgs, err)
	}
	store := h.Open(t, h.Getenv(EnvTarget))
	clock := func() time.Time { return time.Now().Add(args.Offset) }
	if args.FixedNow != 0 {
		clock = func() time.Time { return time.Unix(0, args.FixedNow) }
	}
	l := metering.NewLedger(store, metering.Options{Clock: clock, HoldTTL: args.TTL})
	fmt.Println(lineReady)
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatalf("child: waiting for the start signal: %v", err)
	}
	ctx := context.Background()
	var res childResult
	for i := range args.Count {
		key := fmt.Sprintf("%s-%d", args.Prefix, i)
		hold, err := l.Authorize(ctx, auth(args.Account, key, args.Price))
		switch {
		case errors.Is(err, metering.ErrInsufficientCredits):
			res.Refused++
			continue
		case errors.Is(err, metering.ErrInProgress):
			res.InProgress++
			continue
		case err != nil:
			t.Fatalf("child: Authorize %s: %v", key, err)
		case hold.Settled:
			res.Settled++
			continue
		case args.Crash && i >= args.Count/2:
			continue // held; the crash comes before the capture
		}
		if err := l.Capture(ctx, hold, event(args.Price)); err != nil {
			t.Fatalf("child: Capture %s: %v", key, err)
		}
		res.Charged++
		if args.Progress {
			fmt.Println(lineCharged)
		}
	}
	b, _ := json.Marshal(res)
	fmt.Println(lineResult + string(b))
	if args.Crash {
		p, err := os.FindProcess(os.Getpid())
		if err == nil {
			_ = p.Kill() // SIGKILL: no deferred function, no cleanup runs
		}
		select {}
	}
}

// child is a running child process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *bytes.Buffer
	done   chan struct{}
}

func startChild(t *testing.T, h ProcessHarness, top, target string, args childArgs) *child {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+top+"$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), EnvRole+"=spend", EnvTarget+"="+target, EnvArgs+"="+string(b))
	c := &child{cmd: cmd, lines: make(chan string, 1024), stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	go func() {
		defer close(c.done)
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	return c
}

// await reads the child's output until a line with the prefix.
func (c *child) await(t *testing.T, prefix string) string {
	t.Helper()
	var seen []string
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				t.Fatalf("child ended before %q; output:\n%s\nstderr:\n%s", prefix, strings.Join(seen, "\n"), c.stderr)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
			seen = append(seen, line)
		case <-timeout:
			t.Fatalf("child did not write %q in time", prefix)
		}
	}
}

func (c *child) release(t *testing.T) {
	t.Helper()
	if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
		t.Fatalf("release child: %v", err)
	}
}

// finish waits for the result line and the end of the child; killed
// reports whether it ended by a signal rather than exiting.
func (c *child) finish(t *testing.T) (res childResult, killed bool) {
	t.Helper()
	line := c.await(t, lineResult)
	if err := json.Unmarshal([]byte(strings.TrimPrefix(line, lineResult)), &res); err != nil {
		t.Fatalf("child result %q: %v", line, err)
	}
	for range c.lines {
	}
	<-c.done
	err := c.cmd.Wait()
	killed = c.cmd.ProcessState != nil && c.cmd.ProcessState.ExitCode() == -1
	if err != nil && !killed {
		t.Fatalf("child failed: %v\nstderr:\n%s", err, c.stderr)
	}
	return res, killed
}

// runChildren starts the children, releases them together once all are
// ready, and returns their results.
func runChildren(t *testing.T, h ProcessHarness, top, target string, args ...childArgs) []childResult {
	t.Helper()
	cs := make([]*child, len(args))
	for i, a := range args {
		cs[i] = startChild(t, h, top, target, a)
	}
	for _, c := range cs {
		c.await(t, lineReady)
	}
	for _, c := range cs {
		c.release(t)
	}
	out := make([]childResult, len(cs))
	for i, c := range cs {
		var killed bool
		out[i], killed = c.finish(t)
		if killed != args[i].Crash {
			t.Fatalf("child %d: killed = %v, want %v", i, killed, args[i].Crash)
		}
	}
	return out
}

// testConcurrentProcesses: 4 processes demand three times the balance.
func testConcurrentProcesses(t *testing.T, h ProcessHarness, top string) {
	const (
		procs   = 4
		count   = 25
		price   = 3
		credits = 100
		allowed = credits / price
	)
	target := h.NewTarget(t)
	st := h.Open(t, target)
	l := metering.NewLedger(st, metering.Options{})
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "shared", Credits: credits, PaymentRef: "pay-procs"}); err != nil {
		t.Fatal(err)
	}
	args := make([]childArgs, procs)
	for i := range args {
		args[i] = childArgs{Account: "shared", Prefix: fmt.Sprintf("p%d", i), Count: count, Price: price, TTL: time.Hour}
	}
	stop := make(chan struct{})
	var watchErr error
	var wg sync.WaitGroup
	wg.Go(func() { watchErr = watchBalance(l, "shared", stop) })
	results := runChildren(t, h, top, target, args...)
	close(stop)
	wg.Wait()
	if watchErr != nil {
		t.Fatal(watchErr)
	}
	var charged, refused int
	for _, r := range results {
		charged += r.Charged
		refused += r.Refused
		if r.Settled != 0 || r.InProgress != 0 {
			t.Fatalf("unexpected result %+v", r)
		}
	}
	if charged != allowed || refused != procs*count-allowed {
		t.Fatalf("%d processes charged %d times and were refused %d times; want %d and %d (results %+v)",
			procs, charged, refused, allowed, procs*count-allowed, results)
	}
	b, err := l.Balance(t.Context(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	if want := (metering.Balance{Credits: credits - allowed*price, Available: credits - allowed*price}); b != want {
		t.Fatalf("balance = %+v, want %+v", b, want)
	}
	ReconcileAccount(t, l, "shared")
	usage, err := l.Usage(t.Context(), "shared")
	if err != nil || len(usage) != allowed {
		t.Fatalf("%d usage records (%v), want %d", len(usage), err, allowed)
	}
}

// testCrash: a process authorizes a batch, captures half and is killed
// with SIGKILL before capturing the rest.
func testCrash(t *testing.T, h ProcessHarness, top string) {
	const (
		count   = 10
		price   = 5
		credits = 100
		ttl     = time.Minute
	)
	target := h.NewTarget(t)
	st := h.Open(t, target)
	clock := NewClock(Epoch)
	l := metering.NewLedger(st, metering.Options{Clock: clock.Now, HoldTTL: ttl})
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acct", Credits: credits, PaymentRef: "pay-crash"}); err != nil {
		t.Fatal(err)
	}
	batch := func(at time.Time, crash bool) childResult {
		t.Helper()
		return runChildren(t, h, top, target, childArgs{
			Account: "acct", Prefix: "file", Count: count, Price: price,
			FixedNow: at.UnixNano(), TTL: ttl, Crash: crash,
		})[0]
	}
	wantBalance := func(credits, held int64) {
		t.Helper()
		b, err := l.Balance(t.Context(), "acct")
		if err != nil {
			t.Fatal(err)
		}
		if want := (metering.Balance{Credits: credits, Held: held, Available: credits - held}); b != want {
			t.Fatalf("at +%s balance = %+v, want %+v", clock.Now().Sub(Epoch), b, want)
		}
	}

	if r := batch(Epoch, true); r.Charged != count/2 {
		t.Fatalf("crashed run charged %d, want %d", r.Charged, count/2)
	}
	// The dead process's holds outlive it...
	clock.Advance(ttl / 2)
	wantBalance(credits-count/2*price, count/2*price)
	// ...so a rerun now charges nothing: done files are settled, the
	// others are still in progress.
	if r := batch(clock.Now(), false); r != (childResult{Settled: count / 2, InProgress: count / 2}) {
		t.Fatalf("rerun while the holds live = %+v", r)
	}
	wantBalance(credits-count/2*price, count/2*price)
	// Once the holds expire the credits are back...
	clock.Advance(ttl)
	wantBalance(credits-count/2*price, 0)
	// ...and a rerun with the same keys charges each file once.
	if r := batch(clock.Now(), false); r != (childResult{Settled: count / 2, Charged: count / 2}) {
		t.Fatalf("rerun after expiry = %+v", r)
	}
	wantBalance(credits-count*price, 0)
	clock.Advance(time.Hour)
	if r := batch(clock.Now(), false); r != (childResult{Settled: count}) {
		t.Fatalf("third run = %+v, want all settled", r)
	}
	wantBalance(credits-count*price, 0)
	usage, err := l.Usage(t.Context(), "acct")
	if err != nil || len(usage) != count {
		t.Fatalf("%d usage records (%v), want %d", len(usage), err, count)
	}
	seen := map[string]bool{}
	for _, u := range usage {
		if seen[u.IdempotencyKey] {
			t.Fatalf("key %s charged twice", u.IdempotencyKey)
		}
		seen[u.IdempotencyKey] = true
	}
	ReconcileAccount(t, l, "acct")
}

// testKilledMidBatch: the parent kills a process at an arbitrary point of
// its batch, possibly inside a transaction; the ledger stays consistent
// and a rerun completes the batch charging each file once.
func testKilledMidBatch(t *testing.T, h ProcessHarness, top string) {
	const (
		count   = 100
		price   = 2
		credits = 1000
		ttl     = time.Minute
	)
	target := h.NewTarget(t)
	st := h.Open(t, target)
	l := metering.NewLedger(st, metering.Options{HoldTTL: ttl})
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acct", Credits: credits, PaymentRef: "pay-kill"}); err != nil {
		t.Fatal(err)
	}
	args := childArgs{Account: "acct", Prefix: "file", Count: count, Price: price, TTL: ttl, Progress: true}
	c := startChild(t, h, top, target, args)
	c.await(t, lineReady)
	c.release(t)
	for range 10 {
		c.await(t, lineCharged)
	}
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
	for range c.lines {
	}
	<-c.done
	if c.cmd.ProcessState.ExitCode() != -1 {
		t.Fatalf("child was not killed: %v", c.cmd.ProcessState)
	}
	ReconcileAccount(t, l, "acct")
	b, err := l.Balance(t.Context(), "acct")
	if err != nil {
		t.Fatal(err)
	}
	charged := (credits - b.Credits) / price
	if charged < 10 || charged >= count || b.Held > price {
		t.Fatalf("after the kill: balance %+v (%d charged)", b, charged)
	}
	// A rerun after the hold TTL finishes the batch.
	args.Offset, args.Progress = ttl+time.Second, false
	r := runChildren(t, h, top, target, args)[0]
	if int64(r.Settled) != charged || int64(r.Charged) != count-charged {
		t.Fatalf("rerun = %+v, want %d settled and %d charged", r, charged, count-charged)
	}
	later := metering.NewLedger(st, metering.Options{Clock: func() time.Time { return time.Now().Add(ttl + time.Second) }})
	b, err = later.Balance(t.Context(), "acct")
	if err != nil {
		t.Fatal(err)
	}
	if want := (metering.Balance{Credits: credits - count*price, Available: credits - count*price}); b != want {
		t.Fatalf("balance after the rerun = %+v, want %+v", b, want)
	}
	usage, err := l.Usage(t.Context(), "acct")
	if err != nil || len(usage) != count {
		t.Fatalf("%d usage records (%v), want %d", len(usage), err, count)
	}
	ReconcileAccount(t, later, "acct")
}
