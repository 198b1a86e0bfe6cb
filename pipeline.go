package picfre

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/picfre/picfre/internal/answer"
	"github.com/picfre/picfre/internal/media"
	"github.com/picfre/picfre/internal/prompt"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/stock"
)

// Tagger is what an embedding service depends on: tag one file, or a
// stream of them. *Pipeline implements it; tests can substitute their own.
//
// Implementations are safe for concurrent use.
type Tagger interface {
	// Tag processes one file. On failure the error is a *Error with a
	// Code, and the file was not charged.
	Tag(ctx context.Context, m Media, o Options) (*Result, error)
	// TagAll processes a stream of files with bounded concurrency and
	// calls emit with each result in input order. A file that fails
	// yields a Result with Err set; the batch goes on. TagAll returns the
	// error of emit, if any, ctx's error if it was cancelled, and
	// otherwise nil: per-file failures are in the results.
	TagAll(ctx context.Context, media iter.Seq[Media], o Options, emit func(*Result) error) error
}

// Pipeline is the concrete Tagger: sniff and guard, preprocess, authorize,
// call the provider, parse and normalize, capture. It is safe for
// concurrent use.
type Pipeline struct {
	prov provider.Provider
	caps provider.Capabilities
	cfg  Config
}

var _ Tagger = (*Pipeline)(nil)

// New returns a pipeline over p configured by cfg.
func New(p provider.Provider, cfg Config) *Pipeline {
	if cfg.Meter == nil {
		cfg.Meter = metering.Discard{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Pipeline{prov: p, caps: p.Capabilities(), cfg: cfg}
}

// Tag processes one file.
func (pl *Pipeline) Tag(ctx context.Context, m Media, o Options) (*Result, error) {
	s, err := o.settings()
	if err != nil {
		return nil, err
	}
	j := &job{media: m}
	pl.process(ctx, []*job{j}, s, nil)
	if j.err != nil {
		return nil, j.err
	}
	return &j.result, nil
}

var errNoOpen = errors.New("media has no Open function")

// job is one file on its way through the pipeline.
type job struct {
	media  Media
	result Result
	err    error

	prepared *media.Prepared
	digest   [32]byte // of the original content, for the idempotency key
	dhash    uint64   // perceptual hash of the image, for near-duplicates
	detail   provider.Detail
	hold     metering.Hold
	held     bool
	price    int64
}

func (j *job) fail(err error) {
	if j.err == nil {
		j.err = wrap(err)
	}
}

// process runs a group of jobs through one provider request. Every job
// ends with either a result or an error, and every hold taken is captured
// (success) or voided (anything else) exactly once, even on panic.
func (pl *Pipeline) process(ctx context.Context, jobs []*job, o *settings, fatal *fatalFlag) {
	for _, j := range jobs {
		j.result.File, j.result.Task = j.media.Name, o.Task
	}
	defer pl.settle(ctx, jobs)
	defer func() {
		if r := recover(); r != nil {
			err := &Error{Code: CodeInternal, Err: fmt.Errorf("panic: %v\n%s", r, debug.Stack())}
			for _, j := range jobs {
				j.fail(err)
			}
		}
	}()

	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			j.fail(err)
			continue
		}
		if err := fatal.get(); err != nil {
			j.fail(err)
			continue
		}
		pl.prepare(j)
		if j.err == nil {
			pl.authorize(ctx, j, o)
		}
	}
	var ready []*job
	for _, j := range jobs {
		if j.err == nil {
			ready = append(ready, j)
		}
	}
	if len(ready) == 0 {
		return
	}
	resp, items, err := pl.ask(ctx, ready, o)
	if err != nil {
		if ctx.Err() != nil {
			err = &Error{Code: CodeCanceled, Err: ctx.Err()}
		} else if provider.Classify(err).Fatal() {
			fatal.set(wrap(err))
		}
		for _, j := range ready {
			j.fail(err)
		}
		return
	}
	share := splitUsage(resp.Usage, len(ready))
	name := resp.Provider
	if name == "" {
		name = pl.prov.Name()
	}
	for i, j := range ready {
		j.result.Usage = Usage{Provider: name, Model: resp.Model, InputTokens: share[i].InputTokens, OutputTokens: share[i].OutputTokens}
		if err := pl.fill(j, items[i], o); err != nil {
			j.fail(err)
		}
	}
}

// prepare reads, guards and preprocesses the file.
func (pl *Pipeline) prepare(j *job) {
	if j.media.Open == nil {
		j.fail(&Error{Code: CodeInvalidArgument, Err: errNoOpen})
		return
	}
	data, err := readLimited(j.media.Open, pl.limits().MaxBytes)
	if err != nil {
		j.fail(err)
		return
	}
	j.digest = sha256.Sum256(data)
	info, err := media.Probe(data, pl.limits())
	if err != nil {
		j.fail(err)
		return
	}
	w, h := info.DisplaySize()
	size, detail := pl.cfg.ImageSize, provider.DetailAuto
	if size == 0 {
		// The size and detail level the provider bills least for while
		// the model still sees enough.
		size, detail = provider.ChooseImage(pl.caps, w, h)
	}
	p, err := media.Prepare(data, pl.limits(), media.PrepareOptions{LongEdge: size, KeepImage: true})
	if err != nil {
		j.fail(err)
		return
	}
	j.detail = detail
	j.dhash = stock.DHash(p.Image)
	p.Image = nil
	j.prepared = p
	j.result.Width, j.result.Height = p.Source.DisplaySize()
}

func (pl *Pipeline) limits() media.Limits {
	return media.Limits{MaxBytes: pl.cfg.MaxBytes, MaxPixels: pl.cfg.MaxPixels}
}

// readLimited reads at most limit bytes (0 means media's default) and
// fails with too_large past that, without reading the rest.
func readLimited(open func() (io.ReadCloser, error), limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = media.DefaultMaxBytes
	}
	r, err := open()
	if err != nil {
		return nil, &Error{Code: CodeInvalidMedia, Err: err}
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &Error{Code: CodeInvalidMedia, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &Error{Code: CodeTooLarge, Err: fmt.Errorf("file is larger than %d bytes", limit)}
	}
	return data, nil
}

// authorize prices the file and holds its credits.
func (pl *Pipeline) authorize(ctx context.Context, j *job, o *settings) {
	in := metering.PriceInput{Task: string(o.Task), MediaType: "image"}
	if pl.cfg.Pricer != nil {
		price, err := pl.cfg.Pricer.Price(in)
		if err != nil {
			j.fail(&Error{Code: CodeInvalidArgument, Err: fmt.Errorf("price: %w", err)})
			return
		}
		j.price = price
	}
	key := j.media.Key
	if key == "" {
		key = idempotencyKey(o, j.digest)
	}
	hold, err := pl.cfg.Meter.Authorize(ctx, metering.Authorization{
		Account: o.Account, IdempotencyKey: key, Credits: j.price,
		Task: string(o.Task), MediaType: in.MediaType,
	})
	if err != nil {
		j.fail(err)
		return
	}
	j.hold, j.held = hold, true
}

// idempotencyKey derives a billing key from what determines the outcome:
// account, task, the settings that shape the answer, and the content.
func idempotencyKey(o *settings, digest [32]byte) string {
	h := sha256.New()
	for _, s := range []string{o.Account, string(o.Task), o.Language, strconv.Itoa(o.MinKeywords), strconv.Itoa(o.MaxKeywords),
		o.Context, o.Agency, strings.Join(o.Require, ","), strings.Join(o.Exclude, ",")} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(digest[:])
	return "picfre:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// settle captures the hold of every job that succeeded and voids the rest.
// It runs with the caller's cancellation removed: the ledger must learn
// the outcome even when the caller has gone away.
func (pl *Pipeline) settle(ctx context.Context, jobs []*job) {
	ctx = context.WithoutCancel(ctx)
	for _, j := range jobs {
		j.prepared = nil // nothing of the content outlives the job
		if !j.held {
			continue
		}
		if j.err == nil && !j.hold.Settled {
			ev := metering.Event{
				Account: j.hold.Account, IdempotencyKey: j.hold.IdempotencyKey,
				File: j.media.Name, Time: pl.cfg.Now(), Task: string(j.result.Task), MediaType: "image",
				Credits: j.hold.Credits, Provider: j.result.Usage.Provider, Model: j.result.Usage.Model,
				InputTokens: j.result.Usage.InputTokens, OutputTokens: j.result.Usage.OutputTokens,
			}
			if err := pl.cfg.Meter.Capture(ctx, j.hold, ev); err != nil {
				j.fail(fmt.Errorf("capture: %w", err))
			} else {
				j.result.Usage.Credits = j.hold.Credits
				continue
			}
		}
		if j.err != nil {
			// A failed void leaves the hold to expire on its own; the
			// file's own error is what the caller needs to see.
			_ = pl.cfg.Meter.Void(ctx, j.hold)
		}
	}
}

// ask sends one request about the ready jobs and splits the answer into
// one item per job. A malformed answer is asked for once more.
func (pl *Pipeline) ask(ctx context.Context, jobs []*job, o *settings) (*provider.Response, []jsonItem, error) {
	spec := prompt.Spec{
		Spec: provider.Spec{Task: o.Task, Items: len(jobs), Language: o.Language,
			MinKeywords: o.MinKeywords, MaxKeywords: o.MaxKeywords, MaxTitle: o.MaxTitle},
		MaxDescription: o.MaxDescription,
		Guidance:       o.guidance(),
	}
	req := &provider.Request{
		Instructions:    prompt.Instructions(spec),
		Schema:          prompt.Schema(spec),
		SchemaName:      prompt.SchemaName(spec),
		MaxOutputTokens: 600 * len(jobs),
		Spec:            spec.Spec,
	}
	for i, j := range jobs {
		if i == 0 {
			req.Detail = j.detail
		} else {
			req.Detail = maxDetail(req.Detail, j.detail)
		}
		if len(jobs) > 1 {
			req.Parts = append(req.Parts, provider.Part{Item: i, MIMEType: "text/plain", Text: "Image " + strconv.Itoa(i+1) + ":"})
		}
		p := j.prepared
		req.Parts = append(req.Parts, provider.Part{Item: i, MIMEType: p.MIMEType, Data: p.Data, Width: p.Width, Height: p.Height})
	}
	var usage provider.Usage
	for attempt := 0; ; attempt++ {
		resp, err := pl.prov.Generate(ctx, req)
		if err != nil {
			return nil, nil, err
		}
		usage = usage.Add(resp.Usage)
		items, err := answer.Items(resp.Text, len(jobs))
		if err == nil {
			resp.Usage = usage
			return resp, items, nil
		}
		if attempt == 1 {
			return nil, nil, err
		}
		// Repair once: the same request with a reminder of the format.
		repaired := *req
		repaired.Instructions = req.Instructions + " Your previous answer was not valid JSON for the schema (" + err.Error() + "). Answer again with JSON only."
		req = &repaired
	}
}

type jsonItem = json.RawMessage

// fill decodes and normalizes one item's answer into j.result.
func (pl *Pipeline) fill(j *job, raw jsonItem, o *settings) error {
	if o.Task == Prompt {
		p, err := answer.DecodePrompt(raw)
		if err != nil {
			return err
		}
		j.result.Prompt = collapseSpace(p.Prompt)
		return nil
	}
	m, err := answer.DecodeMetadata(raw)
	if err != nil {
		return err
	}
	md, problems := stock.Normalize(stock.Metadata{Title: m.Title, Description: m.Description, Keywords: m.Keywords, Categories: m.Categories}, o.profile, o.rules())
	j.result.Title, j.result.Description, j.result.Keywords, j.result.Categories = md.Title, md.Description, md.Keywords, md.Categories
	for _, p := range stock.Unfixed(problems) {
		j.result.Problems = append(j.result.Problems, p.String())
	}
	if len(md.Keywords) < o.MinKeywords {
		return &Error{Code: CodeBadOutput, Err: fmt.Errorf("%d usable keywords, fewer than the %d asked for", len(md.Keywords), o.MinKeywords)}
	}
	if md.Title == "" {
		return &Error{Code: CodeBadOutput, Err: errors.New("title is empty after normalization")}
	}
	return nil
}

func splitUsage(u provider.Usage, n int) []provider.Usage {
	out := make([]provider.Usage, n)
	for i := range out {
		out[i] = provider.Usage{InputTokens: u.InputTokens / int64(n), OutputTokens: u.OutputTokens / int64(n)}
	}
	out[0].InputTokens += u.InputTokens % int64(n)
	out[0].OutputTokens += u.OutputTokens % int64(n)
	return out
}

// maxDetail returns the higher of two detail levels: one request carries
// one level, and no image may be seen at less than it was shaped for.
func maxDetail(a, b provider.Detail) provider.Detail {
	rank := map[provider.Detail]int{provider.DetailLow: 1, provider.DetailAuto: 2, provider.DetailHigh: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}
