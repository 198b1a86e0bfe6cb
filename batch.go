package picfre

import (
	"context"
	"iter"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/stock"
)

// fatalFlag remembers the first failure that will fail every later file
// too (quota exhausted, bad API key), so that a batch stops calling the
// provider instead of failing each remaining file against it.
type fatalFlag struct {
	mu  sync.Mutex
	err error
}

func (f *fatalFlag) get() error {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fatalFlag) set(err error) {
	if f == nil {
		return
	}
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

// TagAll processes media with at most o.Concurrency requests in flight
// and calls emit with each result in input order, from the calling
// goroutine.
//
// Memory does not grow with the number of files: at most o.Concurrency
// groups of files are being processed and as many more wait to be
// emitted. media runs on another goroutine; it must return promptly when
// ctx is done (a sequence that blocks waiting for input should also watch
// ctx), and a panic in it is re-raised in the caller's goroutine. A file that fails has Result.Err set and the batch goes on; once a
// failure shows the provider cannot serve any file (quota exhausted, bad
// key), the remaining files fail with that error without being sent.
func (pl *Pipeline) TagAll(ctx context.Context, media iter.Seq[Media], opts Options, emit func(*Result) error) error {
	o, err := pl.settings(opts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	group := max(pl.caps.MaxItemsPerRequest, 1)
	type future chan []*job
	// pending holds the groups in input order, each as a future that its
	// worker fills; workers bounds the groups being processed. Together
	// they bound memory to about 2×Concurrency groups, whatever the
	// batch length.
	pending := make(chan future, o.Concurrency)
	var workers errgroup.Group
	workers.SetLimit(o.Concurrency)
	fatal := &fatalFlag{}

	// If emit or Progress panics, or the caller's goroutine otherwise
	// leaves early, the producer must still be able to finish: cancel it
	// and drain what it sends.
	defer func() {
		cancel()
		go func() {
			for f := range pending {
				<-f
			}
		}()
	}()

	// A panic in the caller's iterator happens on the producer's
	// goroutine; it is carried back and re-raised on the caller's.
	var iterPanic any
	var read atomic.Int64     // files taken from media so far
	var inputDone atomic.Bool // media has ended
	go func() {
		defer close(pending)
		defer func() {
			if r := recover(); r != nil {
				iterPanic = r
				cancel()
			}
		}()
		dispatch := func(jobs []*job) bool {
			if ctx.Err() != nil {
				return false
			}
			f := make(future, 1)
			pending <- f
			workers.Go(func() error {
				pl.process(ctx, jobs, o, fatal)
				f <- jobs
				return nil
			})
			return true
		}
		var batch []*job
		for m := range media {
			batch = append(batch, &job{media: m, index: int(read.Add(1)) - 1})
			if len(batch) == group {
				if !dispatch(batch) {
					return
				}
				batch = nil
			}
		}
		inputDone.Store(true)
		if len(batch) > 0 {
			dispatch(batch)
		}
	}()

	var done, failed int
	var emitErr error
	similar := newSimilarity(o)
	for f := range pending {
		jobs := <-f
		for _, j := range jobs {
			if emitErr != nil {
				continue
			}
			r := j.result
			if j.err != nil {
				if !j.answered { // a failed capture keeps the answer
					r = Result{File: j.media.Name, Task: o.Task, Kind: j.result.Kind}
				}
				r.Err = j.err
				failed++
			} else if j.hashed {
				similar.distinguish(&r, j.dhash)
			}
			done++
			if err := emit(&r); err != nil {
				emitErr = err
				cancel()
			}
			if o.Progress != nil {
				known := inputDone.Load()
				o.Progress(Progress{Index: j.index, File: j.media.Name, Code: errcode.Of(j.err),
					Done: done, Failed: failed, Total: int(read.Load()), TotalKnown: known})
			}
		}
	}
	_ = workers.Wait() // workers report through their futures
	if iterPanic != nil {
		panic(iterPanic) // read after close(pending): no race
	}
	if emitErr != nil {
		return emitErr
	}
	if err := context.Cause(ctx); err != nil {
		return errcode.WrapIfNone(errcode.Canceled, err)
	}
	return nil
}

// similarWindow is how many recent results near-duplicates are looked
// for among. It bounds memory; shots of one scene usually come together.
const similarWindow = 256

// similarity gives near-identical files of a batch distinct titles and
// keyword orders. Each result is compared with the previous
// similarWindow results; one within the distance joins that result's
// group, takes a title no other member has and its own keyword order.
type similarity struct {
	distance int
	maxTitle int
	top      int
	recent   []similarEntry // ring of the latest results
	next     int
}

type similarEntry struct {
	hash  uint64
	group *similarGroup
}

type similarGroup struct {
	titles  []string // the latest titles, at most similarWindow
	members int      // how many files joined, for the keyword order
}

func newSimilarity(o *settings) *similarity {
	if o.Task != TaskMetadata || o.KeepNearDuplicates {
		return nil
	}
	top := 10
	if o.profile != nil && o.profile.TopKeywords > 0 {
		top = o.profile.TopKeywords
	}
	return &similarity{distance: o.SimilarDistance, maxTitle: o.MaxTitle, top: top}
}

func (s *similarity) distinguish(r *Result, hash uint64) {
	if s == nil {
		return
	}
	// The nearest earlier file within the distance decides the group.
	var g *similarGroup
	best := s.distance + 1
	for _, e := range s.recent {
		if d := stock.Hamming(e.hash, hash); d < best {
			g, best = e.group, d
		}
	}
	if g == nil {
		g = &similarGroup{}
	} else {
		n := len(g.titles)
		details := make([][]string, n+1)
		details[n] = r.Keywords
		titles := stock.DistinctTitles(append(slices.Clone(g.titles), r.Title), details, s.maxTitle)
		r.Title = titles[n]
		r.Keywords = stock.RotateKeywords(r.Keywords, g.members, s.top)
		if r.Answer != nil {
			// Other agencies' versions start from the answer: give it
			// the same distinct title and keyword order.
			a := *r.Answer
			a.Title = r.Title
			a.Keywords = stock.RotateKeywords(a.Keywords, g.members, s.top)
			r.Answer = &a
		}
	}
	g.members++
	g.titles = append(g.titles, r.Title)
	if len(g.titles) > similarWindow {
		// Only titles still in the window can collide; keep memory flat
		// through long runs of near-identical shots.
		g.titles = slices.Delete(g.titles, 0, len(g.titles)-similarWindow)
	}
	e := similarEntry{hash: hash, group: g}
	if len(s.recent) < similarWindow {
		s.recent = append(s.recent, e)
	} else {
		s.recent[s.next] = e
		s.next = (s.next + 1) % similarWindow
	}
}
