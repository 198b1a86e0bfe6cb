package picfre

import (
	"context"
	"slices"
	"sync"

	"github.com/picfre/picfre/errcode"
)

// flights coalesces files with the same billing key within one pipeline:
// the first (the leader) is charged and sent to the provider, and any
// other file that arrives with the key while the leader is in progress
// (the same photo twice in a batch, a re-upload under another name, two
// concurrent calls) waits for the leader's outcome instead of racing it
// to the ledger, where it would fail with a conflict. A follower gets a
// copy of the leader's result, Replayed and charged nothing, or the
// leader's error.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// flight is one key in progress.
type flight struct {
	done   chan struct{} // closed when the leader has settled
	result Result
	err    error
}

// join makes j the leader of key, or a follower when a leader is in
// progress.
func (fs *flights) join(key string, j *job) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[key]; ok {
		j.follows = f
		return
	}
	if fs.m == nil {
		fs.m = map[string]*flight{}
	}
	j.leads = &flight{done: make(chan struct{})}
	j.key = key
	fs.m[key] = j.leads
}

// finish publishes a settled leader's outcome to its followers.
func (fs *flights) finish(j *job) {
	f := j.leads
	if f == nil {
		return
	}
	j.leads = nil
	fs.mu.Lock()
	delete(fs.m, j.key)
	fs.mu.Unlock()
	f.result, f.err = j.result, j.err
	close(f.done)
}

// follow waits for the leaders of the followers among jobs and gives each
// follower its leader's outcome. The other jobs are settled first: a
// leader may be in the same group.
func (pl *Pipeline) follow(ctx context.Context, jobs []*job, o *settings) {
	var leaders, followers []*job
	for _, j := range jobs {
		if j.follows != nil && j.err == nil {
			followers = append(followers, j)
		} else {
			leaders = append(leaders, j)
		}
	}
	if len(followers) == 0 {
		return
	}
	pl.settle(ctx, leaders, o)
	for _, j := range followers {
		select {
		case <-j.follows.done:
		case <-ctx.Done():
			j.fail(errcode.Wrap(errcode.Canceled, ctx.Err()))
			continue
		}
		if err := j.follows.err; err != nil {
			j.fail(err)
			continue
		}
		r := j.follows.result
		r.File, r.Replayed = j.media.Name, true
		r.Usage.Credits, r.Usage.InputTokens, r.Usage.OutputTokens = 0, 0, 0
		r.Keywords, r.Categories = slices.Clone(r.Keywords), slices.Clone(r.Categories)
		r.SecondKeywords, r.Instruments = slices.Clone(r.SecondKeywords), slices.Clone(r.Instruments)
		r.Problems = slices.Clone(r.Problems)
		if a := r.Answer; a != nil {
			c := *a
			c.Keywords, c.Categories = slices.Clone(a.Keywords), slices.Clone(a.Categories)
			r.Answer = &c
		}
		j.result = r
	}
}
