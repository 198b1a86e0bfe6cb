package picfre_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// peakCounter counts something in progress and remembers the most at once.
type peakCounter struct{ now, peak atomic.Int64 }

func (c *peakCounter) enter() int64 {
	n := c.now.Add(1)
	for {
		old := c.peak.Load()
		if n <= old || c.peak.CompareAndSwap(old, n) {
			return n
		}
	}
}

func (c *peakCounter) leave() { c.now.Add(-1) }

// closer runs a function when closed, once.
type closer struct {
	io.Reader
	done atomic.Bool
	fn   func()
}

func (c *closer) Close() error {
	if c.done.CompareAndSwap(false, true) {
		c.fn()
	}
	return nil
}

// preparing is Media whose preparation is counted in c: the pipeline
// opens a file when its preparation starts and closes it when the parts
// are ready. Open waits a while, as a slow disk or store would, so that
// preparations overlap whenever the pipeline lets them.
func preparing(name string, data []byte, c *peakCounter, slow time.Duration) picfre.Media {
	return picfre.Media{Name: name, Key: name, Open: func() (io.ReadCloser, error) {
		c.enter()
		time.Sleep(slow)
		return &closer{Reader: bytes.NewReader(data), fn: c.leave}, nil
	}}
}

func TestPreparationPoolIsSeparateFromRequests(t *testing.T) {
	const files, slots = 16, 2
	var requests peakCounter
	all := make(chan struct{})
	p := fake.New(fake.Options{Respond: func(*provider.Request) fake.Step {
		if requests.enter() == files {
			close(all)
		}
		defer requests.leave()
		// Each request stays in flight until all of them are, or a
		// while has passed: the peak says which.
		select {
		case <-all:
		case <-time.After(5 * time.Second):
		}
		return fake.Step{}
	}})
	pl := picfre.New(p, picfre.Config{PrepareConcurrency: slots, MaxRequests: files})
	var prepares peakCounter
	var batch []picfre.Media
	for i := range files {
		batch = append(batch, preparing(fmt.Sprintf("f%d.png", i), pngOfWidth(t, 120, uint8(i)), &prepares, 30*time.Millisecond))
	}
	err := pl.TagAll(t.Context(), slices.Values(batch), picfre.Options{Concurrency: files},
		func(r *picfre.Result) error { return r.Err })
	if err != nil {
		t.Fatal(err)
	}
	if got := prepares.peak.Load(); got != slots {
		t.Errorf("%d files prepared at once, want %d (PrepareConcurrency)", got, slots)
	}
	if got := requests.peak.Load(); got != files {
		t.Errorf("%d requests in flight at most, want all %d (Concurrency)", got, files)
	}
}

func TestPreparationPoolIsSharedByCalls(t *testing.T) {
	p := fake.New(fake.Options{})
	pl := picfre.New(p, picfre.Config{PrepareConcurrency: 1})
	var prepares peakCounter
	done := make(chan error, 4)
	for c := range 4 {
		go func() {
			m := preparing(fmt.Sprintf("c%d.png", c), pngOfWidth(t, 80, uint8(c)), &prepares, 20*time.Millisecond)
			_, err := pl.Tag(t.Context(), m, picfre.Options{})
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := prepares.peak.Load(); got != 1 {
		t.Fatalf("%d files prepared at once by concurrent Tag calls, want 1", got)
	}
}

// holdSlot starts preparing a file on pl whose Open blocks until the
// returned release is called, and returns once it holds the slot. wait
// returns that Tag's error.
func holdSlot(t *testing.T, pl *picfre.Pipeline) (release func(), wait func() error) {
	t.Helper()
	opened, unblock := make(chan struct{}), make(chan struct{})
	data := pngOfWidth(t, 90, 200)
	m := picfre.Media{Name: "holder.png", Open: func() (io.ReadCloser, error) {
		close(opened)
		<-unblock
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
	errc := make(chan error, 1)
	go func() {
		_, err := pl.Tag(context.WithoutCancel(t.Context()), m, picfre.Options{})
		errc <- err
	}()
	<-opened
	return func() { close(unblock) }, func() error { return <-errc }
}

func TestCancelWhileWaitingForPrepareSlot(t *testing.T) {
	rec := newRecorder()
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{PrepareConcurrency: 1, Meter: rec})
	release, wait := holdSlot(t, pl)

	var waitingOpened atomic.Bool
	waiting := picfre.Media{Name: "waiting.png", Open: func() (io.ReadCloser, error) {
		waitingOpened.Store(true)
		return io.NopCloser(bytes.NewReader(pngOfWidth(t, 90, 1))), nil
	}}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := pl.Tag(ctx, waiting, picfre.Options{Account: "a"})
	if !errors.Is(err, errcode.Canceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while waiting for a slot: %v (code %s), want canceled", err, errcode.Of(err))
	}
	if waitingOpened.Load() {
		t.Error("a file waiting for a slot was opened")
	}

	release()
	if err := wait(); err != nil {
		t.Fatalf("the file holding the slot: %v", err)
	}
	// No slot was leaked: with one slot, the next file must get it.
	ctx, cancel2 := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel2()
	if _, err := pl.Tag(ctx, picfre.Bytes("next.png", pngOfWidth(t, 90, 2)), picfre.Options{Account: "a"}); err != nil {
		t.Fatalf("after a cancelled wait: %v", err)
	}
	if rec.authCalls != 2 {
		t.Errorf("%d credit holds, want 2: a file cancelled before it was prepared holds nothing", rec.authCalls)
	}
	rec.settledOnce(t)
}

func TestFileTimeoutWhileWaitingForPrepareSlot(t *testing.T) {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{PrepareConcurrency: 1})
	release, wait := holdSlot(t, pl)
	defer func() {
		release()
		if err := wait(); err != nil {
			t.Errorf("the file holding the slot: %v", err)
		}
	}()
	_, err := pl.Tag(t.Context(), picfre.Bytes("late.png", pngOfWidth(t, 90, 3)), picfre.Options{FileTimeout: 50 * time.Millisecond})
	if !errors.Is(err, errcode.DeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("out of time waiting for a slot: %v (code %s), want deadline_exceeded", err, errcode.Of(err))
	}
}

func TestTagAllCancelWhileWaitingForPrepareSlot(t *testing.T) {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{PrepareConcurrency: 1})
	release, wait := holdSlot(t, pl)
	var prepares peakCounter
	var batch []picfre.Media
	for i := range 8 {
		batch = append(batch, preparing(fmt.Sprintf("w%d.png", i), pngOfWidth(t, 70, uint8(i)), &prepares, 0))
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	var failed int
	err := pl.TagAll(ctx, slices.Values(batch), picfre.Options{Concurrency: 8}, func(r *picfre.Result) error {
		if errors.Is(r.Err, errcode.Canceled) {
			failed++
		}
		return nil
	})
	if !errors.Is(err, errcode.Canceled) {
		t.Fatalf("TagAll cancelled while its files wait for a slot: %v", err)
	}
	if failed != len(batch) || prepares.peak.Load() != 0 {
		t.Fatalf("%d of %d files cancelled, %d prepared; want all cancelled, none prepared", failed, len(batch), prepares.peak.Load())
	}
	release()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}
