package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/media"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/stock"
)

// jobOptions is JobOptions, the options of a job as a request gives
// them: every field optional, starting from Config.Defaults.
type jobOptions struct {
	Task           string   `json:"task"`
	Agency         string   `json:"agency"`
	Language       string   `json:"language"`
	SecondLanguage string   `json:"second_language"`
	MinKeywords    int      `json:"min_keywords"`
	MaxKeywords    int      `json:"max_keywords"`
	MaxTitle       int      `json:"max_title"`
	MaxDescription int      `json:"max_description"`
	Context        string   `json:"context"`
	Require        []string `json:"require"`
	Exclude        []string `json:"exclude"`
	SingleWord     bool     `json:"single_word"`
	ASCIIOnly      bool     `json:"ascii_only"`
	Generator      string   `json:"generator"`
}

// Errors of the jobs endpoints. None repeats what the client sent.
var (
	errNotMultipart   = errcode.New(errcode.UnsupportedMedia, "the upload must be multipart/form-data")
	errBadMultipart   = errcode.New(errcode.InvalidArgument, "the multipart body is malformed")
	errBadOptions     = errcode.New(errcode.InvalidArgument, "the options part is not the JSON JobOptions expected")
	errOptionsLate    = errcode.New(errcode.InvalidArgument, "the options part must come before the files")
	errOptionsTwice   = errcode.New(errcode.InvalidArgument, "only one options part is allowed")
	errNoFileName     = errcode.New(errcode.InvalidArgument, "a file part needs a filename")
	errUnknownPart    = errcode.New(errcode.InvalidArgument, "a part is neither options nor file")
	errNoFiles        = errcode.New(errcode.InvalidArgument, "an upload needs at least one file")
	errFileTooLarge   = errcode.New(errcode.TooLarge, "a file is over the size limit")
	errUploadTooLarge = errcode.New(errcode.TooLarge, "the upload is over the request size limit")
	errTooManyFiles   = errcode.New(errcode.TooLarge, "the upload has too many files")
	errBadOptionValue = errcode.New(errcode.InvalidArgument, "the options are out of range")
)

// readOptions decodes JobOptions over the defaults base into options.
func readOptions(r io.Reader, max int64, base picfre.Options) (picfre.Options, error) {
	o := jobOptions{
		Task: string(base.Task), Agency: base.Agency, Language: base.Language, SecondLanguage: base.SecondLanguage,
		MinKeywords: base.MinKeywords, MaxKeywords: base.MaxKeywords, MaxTitle: base.MaxTitle,
		MaxDescription: base.MaxDescription, Context: base.Context, Require: base.Require, Exclude: base.Exclude,
		SingleWord: base.SingleWord, ASCIIOnly: base.ASCIIOnly, Generator: base.Generator,
	}
	lr := &io.LimitedReader{R: r, N: max + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		if lr.N <= 0 {
			return base, errcode.Errorf(errcode.TooLarge, "the options part is over %d bytes", max)
		}
		return base, errBadOptions
	}
	// Nothing but white space after the one value.
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if lr.N <= 0 {
			return base, errcode.Errorf(errcode.TooLarge, "the options part is over %d bytes", max)
		}
		return base, errBadOptions
	}
	switch picfre.Task(o.Task) {
	case "", picfre.TaskMetadata, picfre.TaskPrompt:
	default:
		return base, errBadOptionValue
	}
	if o.MinKeywords < 0 || o.MaxKeywords < 0 || o.MaxTitle < 0 || o.MaxDescription < 0 ||
		(o.MaxKeywords > 0 && o.MinKeywords > o.MaxKeywords) {
		return base, errBadOptionValue
	}
	if o.Agency != "" {
		if _, err := stock.Lookup(o.Agency); err != nil {
			return base, errcode.New(errcode.InvalidArgument, "unknown agency")
		}
	}
	out := base
	out.Task, out.Agency, out.Language, out.SecondLanguage = picfre.Task(o.Task), o.Agency, o.Language, o.SecondLanguage
	out.MinKeywords, out.MaxKeywords, out.MaxTitle, out.MaxDescription = o.MinKeywords, o.MaxKeywords, o.MaxTitle, o.MaxDescription
	out.Context, out.Require, out.Exclude = o.Context, o.Require, o.Exclude
	out.SingleWord, out.ASCIIOnly, out.Generator = o.SingleWord, o.ASCIIOnly, o.Generator
	return out, nil
}

// limits returns the effective upload bounds.
func (h *Handler) limits() (maxFiles int, maxFile, maxRequest, maxJSON int64) {
	maxFiles, maxFile, maxRequest, maxJSON = h.cfg.MaxFiles, h.cfg.MaxFileBytes, h.cfg.MaxRequestBytes, h.cfg.MaxJSONBytes
	if maxFiles <= 0 {
		maxFiles = jobs.DefaultMaxFiles
	}
	if maxFile <= 0 {
		maxFile = jobs.DefaultMaxFileBytes
	}
	if maxJSON <= 0 {
		maxJSON = DefaultMaxJSONBytes
	}
	if maxRequest <= 0 {
		// Every file at its limit, plus the framing of each part and
		// the options.
		const framing = 64 << 10
		if maxFile > (math.MaxInt64-maxJSON)/int64(maxFiles)-framing {
			maxRequest = math.MaxInt64
		} else {
			maxRequest = int64(maxFiles)*(maxFile+framing) + maxJSON
		}
	}
	return maxFiles, maxFile, maxRequest, maxJSON
}

// unsupportedFile is the 415 of a file part whose content is of a type
// the service does not take; n counts the file parts from 1. The message
// names the position only, never the uploaded name.
func unsupportedFile(n int) error {
	return errcode.Errorf(errcode.UnsupportedMedia, "file %d: type not supported", n)
}

// sniff peeks at a file part's first bytes and tells whether the service
// takes its type (media.Detect, as jobs.Upload.Add does). An empty file
// is not refused here: the job records it as failed with invalid_media.
func sniff(br *bufio.Reader) (ok bool) {
	head, _ := br.Peek(media.SniffLen) // a short file gives what it has
	_, err := media.Detect(head)
	return err == nil || errcode.Of(err) == errcode.InvalidMedia
}

// createJob is POST /v1/jobs: the parts are read one at a time, each
// file's type sniffed from its first bytes, then streamed to the spool as
// it arrives. A file of a type the service does not take fails the whole
// request (415 unsupported_media). On any failure the upload is aborted,
// so that no byte of it stays in the spool.
func (h *Handler) createJob(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	account := accountOf(r)
	maxFiles, maxFile, maxRequest, maxJSON := h.limits()

	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		writeError(w, errNotMultipart)
		return
	}
	if params["boundary"] == "" {
		writeError(w, errBadMultipart)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequest)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, errBadMultipart)
		return
	}

	var up *jobs.Upload
	fail := func(err error) {
		if up != nil {
			// A client gone mid-upload still gets its bytes deleted.
			_ = up.Abort(context.WithoutCancel(ctx))
		}
		writeError(w, err)
	}
	opts := h.cfg.Defaults
	opts.Account = account
	sawOptions, files := false, 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(bodyError(err))
			return
		}
		switch part.FormName() {
		case "options":
			if files > 0 {
				fail(errOptionsLate)
				return
			}
			if sawOptions {
				fail(errOptionsTwice)
				return
			}
			sawOptions = true
			pr := &partReader{r: part}
			o, err := readOptions(pr, maxJSON, opts)
			if err != nil {
				fail(pr.cause(err))
				return
			}
			opts = o
			opts.Account = account
		case "file":
			// The name is kept as the record's, never made a path:
			// the spool names objects by job id and index.
			name := part.FileName()
			if name == "" {
				fail(errNoFileName)
				return
			}
			files++
			if files > maxFiles {
				fail(errTooManyFiles)
				return
			}
			pr := &partReader{r: part}
			br := bufio.NewReaderSize(pr, media.SniffLen)
			ok := sniff(br)
			if pr.err != nil {
				fail(bodyError(pr.err))
				return
			}
			if !ok {
				fail(unsupportedFile(files))
				return
			}
			if up == nil {
				up, err = h.cfg.Jobs.Begin(ctx, account, opts)
				if err != nil {
					fail(err)
					return
				}
			}
			lr := &io.LimitedReader{R: br, N: maxFile + 1}
			if _, err := up.Add(ctx, name, lr); err != nil {
				fail(pr.cause(err))
				return
			}
			if pr.err != nil {
				// Add took a truncated file for a short one.
				fail(bodyError(pr.err))
				return
			}
			if lr.N <= 0 {
				fail(errFileTooLarge)
				return
			}
		default:
			fail(errUnknownPart)
			return
		}
		// Whatever is left of the part (nothing, normally) is read by
		// NextPart; a part over its bound has failed already.
	}
	if up == nil {
		writeError(w, errNoFiles)
		return
	}
	job, err := up.Commit(ctx)
	if err != nil {
		fail(err)
		return
	}
	writeJSON(w, http.StatusCreated, job)
}

// bodyError classifies an error of reading the multipart body: over
// MaxRequestBytes is 413, anything else a malformed body (or a client
// gone, which hears nothing).
func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errUploadTooLarge
	}
	return errBadMultipart
}

// partReader reads one part and remembers the reader's own error, so
// that a failed Add tells a broken body (the client's) from a failed
// spool or database (the service's).
type partReader struct {
	r   io.Reader
	err error
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) && p.err == nil {
		p.err = err
	}
	return n, err
}

// cause is err, or the body's error when reading the body is what
// failed.
func (p *partReader) cause(err error) error {
	if p.err != nil {
		return bodyError(p.err)
	}
	return err
}

// listJobs is GET /v1/jobs.
func (h *Handler) listJobs(w http.ResponseWriter, r *http.Request) {
	list, err := h.cfg.Jobs.Jobs(r.Context(), accountOf(r))
	if err != nil {
		writeError(w, err)
		return
	}
	if list == nil {
		list = []*jobs.Job{}
	}
	writeJSON(w, http.StatusOK, struct {
		Jobs []*jobs.Job `json:"jobs"`
	}{list})
}

// getJob is GET /v1/jobs/{id}.
func (h *Handler) getJob(w http.ResponseWriter, r *http.Request) {
	j, err := h.cfg.Jobs.Job(r.Context(), accountOf(r), r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// deleteJob is DELETE /v1/jobs/{id}.
func (h *Handler) deleteJob(w http.ResponseWriter, r *http.Request) {
	if err := h.cfg.Jobs.Delete(r.Context(), accountOf(r), r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// cancelJob is POST /v1/jobs/{id}/cancel.
func (h *Handler) cancelJob(w http.ResponseWriter, r *http.Request) {
	j, err := h.cfg.Jobs.Cancel(r.Context(), accountOf(r), r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}
