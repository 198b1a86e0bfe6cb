package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/stock"
)

var (
	errBadFlag  = errcode.New(errcode.InvalidArgument, "consume and wait are true or false")
	errBadIndex = errcode.New(errcode.InvalidArgument, "the file index is not a number")
	errNoAgency = errcode.New(errcode.InvalidArgument, "the agency query parameter is required")
	errNotHeld  = errcode.New(errcode.NotFound, "the file's result is not held")
)

// flag reads a boolean query parameter (false when absent).
func flag(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil || (v != "true" && v != "false") {
		return false, errBadFlag
	}
	return b, nil
}

// results runs jobs.Service.Results for the request's job. The first
// error, if any, comes before any result only for a missing job; a later
// one (a database failure) ends the sequence.
func (h *Handler) results(r *http.Request, o jobs.ResultOptions) (iter.Seq2[*jobs.Result, error], error) {
	ctx := r.Context()
	account, id := accountOf(r), r.PathValue("id")
	if _, err := h.cfg.Jobs.Job(ctx, account, id); err != nil {
		return nil, err
	}
	return h.cfg.Jobs.Results(ctx, account, id, o), nil
}

// jobResults is GET /v1/jobs/{id}/results. The answer is streamed: each
// result is written before the next is asked for, so that with
// consume=true a result is deleted only once it was written.
func (h *Handler) jobResults(w http.ResponseWriter, r *http.Request) {
	consume, err := flag(r, "consume")
	if err != nil {
		writeError(w, err)
		return
	}
	wait, err := flag(r, "wait")
	if err != nil {
		writeError(w, err)
		return
	}
	seq, err := h.results(r, jobs.ResultOptions{Consume: consume, Wait: wait})
	if err != nil {
		writeError(w, err)
		return
	}
	rc := http.NewResponseController(w)
	if wait {
		_ = rc.SetWriteDeadline(time.Time{}) // as long as the job takes
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, `{"results":[`); err != nil {
		return
	}
	n := 0
	for it, err := range seq {
		if err != nil {
			// Too late for an error answer: the body ends unfinished,
			// which no JSON reader takes for a complete list.
			return
		}
		b, err := json.Marshal(it)
		if err != nil {
			return
		}
		if n > 0 {
			b = append([]byte(","), b...)
		}
		n++
		if _, err := w.Write(b); err != nil {
			return
		}
		if wait || consume {
			_ = rc.Flush()
		}
	}
	_, _ = io.WriteString(w, "]}\n")
}

// csvProfile returns the agency of the request's agency parameter, one
// with an upload CSV.
func csvProfile(r *http.Request) (*stock.Profile, error) {
	name := r.URL.Query().Get("agency")
	if name == "" {
		return nil, errNoAgency
	}
	p, err := stock.Lookup(name)
	if err != nil {
		return nil, errcode.New(errcode.InvalidArgument, "unknown agency")
	}
	if _, err := stock.NewCSVWriter(io.Discard, p); err != nil {
		return nil, errcode.New(errcode.InvalidArgument, "the agency takes no CSV upload")
	}
	return p, nil
}

// rowOf is the CSV row of a result.
func rowOf(res *picfre.Result) stock.Row {
	return stock.Row{
		File: res.File,
		Metadata: stock.Metadata{
			Title: res.Title, Description: res.Description,
			Keywords: res.Keywords, Categories: res.Categories,
		},
		Prompt: res.Prompt,
	}
}

// setAttachment names the download; the name is the API's own, never
// one a client sent.
func setAttachment(w http.ResponseWriter, ctype, filename string) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, filename))
}

// jobResultsCSV is GET /v1/jobs/{id}/results.csv: the held results (the
// files done whose result is still held) as the agency's upload CSV.
func (h *Handler) jobResultsCSV(w http.ResponseWriter, r *http.Request) {
	p, err := csvProfile(r)
	if err != nil {
		writeError(w, err)
		return
	}
	consume, err := flag(r, "consume")
	if err != nil {
		writeError(w, err)
		return
	}
	seq, err := h.results(r, jobs.ResultOptions{Consume: consume})
	if err != nil {
		writeError(w, err)
		return
	}
	setAttachment(w, "text/csv; charset=utf-8", "picfre-"+p.Name+".csv")
	w.WriteHeader(http.StatusOK)
	cw, err := stock.NewCSVWriter(w, p)
	if err != nil {
		return // checked by csvProfile
	}
	for it, err := range seq {
		if err != nil {
			return
		}
		if it.Err != nil {
			continue // failed, canceled or no longer held: no row
		}
		if err := cw.Write(rowOf(&it.Result)); err != nil {
			return
		}
		// The row must be written before the result is consumed.
		if err := cw.Flush(); err != nil {
			return
		}
	}
	_ = cw.Flush()
}

// fileXMP is GET /v1/jobs/{id}/files/{index}/xmp: one file's held
// result as an XMP sidecar.
func (h *Handler) fileXMP(w http.ResponseWriter, r *http.Request) {
	index, err := strconv.Atoi(r.PathValue("index"))
	if err != nil || index < 0 {
		writeError(w, errBadIndex)
		return
	}
	seq, err := h.results(r, jobs.ResultOptions{})
	if err != nil {
		writeError(w, err)
		return
	}
	var found *picfre.Result
	for it, err := range seq {
		if err != nil {
			writeError(w, err)
			return
		}
		if it.Index == index {
			found = &it.Result
			break
		}
		if it.Index > index {
			break
		}
	}
	if found == nil || found.Err != nil {
		writeError(w, errNotHeld)
		return
	}
	var buf bytes.Buffer
	m := stock.Metadata{Title: found.Title, Description: found.Description, Keywords: found.Keywords, Categories: found.Categories}
	if err := stock.WriteSidecar(&buf, m); err != nil {
		writeError(w, err)
		return
	}
	setAttachment(w, "application/rdf+xml", strconv.Itoa(index)+".xmp")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
