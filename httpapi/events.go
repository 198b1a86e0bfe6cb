package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/picfre/picfre/jobs"
)

// keepAliveEvery is how often an event stream with nothing to say sends
// a comment, so that proxies keep the connection open.
const keepAliveEvery = 15 * time.Second

type watched struct {
	ev  jobs.Event
	err error
}

// jobEvents is GET /v1/jobs/{id}/events: the job's progress as
// Server-Sent Events, from jobs.Service.Watch, until the job is final or
// the client goes away.
func (h *Handler) jobEvents(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ch := make(chan watched)
	go func() {
		defer close(ch)
		for ev, err := range h.cfg.Jobs.Watch(ctx, accountOf(r), r.PathValue("id")) {
			select {
			case ch <- watched{ev, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()

	// The first event says whether the job is there at all: a missing
	// (or another account's) job is a JSON 404, not an empty stream.
	first, ok := <-ch
	if !ok {
		writeError(w, errInternal)
		return
	}
	if first.err != nil {
		writeError(w, first.err)
		return
	}

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream lasts as long as the job
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	seq := 0
	send := func(ev jobs.Event) bool {
		data, err := json.Marshal(ev)
		if err != nil {
			return false
		}
		seq++
		name := "progress"
		if ev.Final {
			name = "done"
		}
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", seq, name, data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(first.ev) || first.ev.Final {
		return
	}
	tick := time.NewTicker(keepAliveEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case it, ok := <-ch:
			if !ok || it.err != nil {
				// The job deleted meanwhile, or a database failure:
				// the stream ends; the client GETs the job to know.
				return
			}
			if !send(it.ev) || it.ev.Final {
				return
			}
		}
	}
}
