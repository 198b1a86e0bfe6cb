package wiretest

import (
	"slices"
	"sync"
	"time"

	"github.com/picfre/picfre/provider/providertest"
)

// Arrivals records when the requests a server answers arrive. Set its
// Respond as Options.Respond: it notes the time and answers with a valid
// answer (Answer). Outcomes queued with Enqueue are not noted, since they
// do not reach Respond. It is safe for concurrent use.
type Arrivals struct {
	mu    sync.Mutex
	times []time.Time
}

// Respond notes the request's arrival and answers it with Answer(r).
func (a *Arrivals) Respond(r *Request) providertest.Outcome {
	a.mu.Lock()
	a.times = append(a.times, time.Now())
	a.mu.Unlock()
	return providertest.Outcome{Text: Answer(r)}
}

// Times returns the arrival times noted so far, earliest first.
func (a *Arrivals) Times() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := slices.Clone(a.times)
	slices.SortFunc(t, func(x, y time.Time) int { return x.Compare(y) })
	return t
}
