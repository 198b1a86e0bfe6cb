package picfre

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"iter"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/answer"
	"github.com/picfre/picfre/internal/media"
	"github.com/picfre/picfre/internal/prompt"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/stock"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/semaphore"
)

// Tagger is what an embedding service depends on: tag one file, or a
// stream of them. *Pipeline implements it; tests can substitute their own.
//
// Implementations are safe for concurrent use.
type Tagger interface {
	// Tag processes one file. On failure the error carries an
	// errcode.Code, and the file was not charged. One failure comes with
	// a Result: when the provider answered but the charge could not be
	// captured (the ledger failed: billing_failure), the Result holds the
	// answer, with Err set to that error, so that a paid answer is never
	// lost; the file's hold was voided and it was not charged.
	Tag(ctx context.Context, m Media, o Options) (*Result, error)
	// TagAll processes a stream of files with bounded concurrency and
	// calls emit with each result in input order. A file that fails
	// yields a Result with Err set; the batch goes on. TagAll returns the
	// error of emit, if any; if ctx was cancelled, an error with code
	// errcode.Canceled wrapping ctx's cause; and otherwise nil: per-file
	// failures are in the results. Options that are not valid fail the
	// call (invalid_argument) before any file is read.
	TagAll(ctx context.Context, media iter.Seq[Media], o Options, emit func(*Result) error) error
}

// Pipeline is the concrete Tagger: sniff and guard, preprocess, authorize,
// call the provider, parse and normalize, capture. It is safe for
// concurrent use.
type Pipeline struct {
	prov     provider.Provider
	send     provider.Provider // prov, paced to Config.RequestsPerMinute
	caps     provider.Capabilities
	cfg      Config
	timed    timed
	flights  flights
	tel      *telemetry
	requests *semaphore.Weighted // provider requests in flight, all calls
	// decodeMemory bounds the memory of image decodes in flight, all
	// calls (Config.DecodeMemory).
	decodeMemory *media.MemoryBudget
	// prepares bounds the files being prepared at once, all calls
	// (Config.PrepareConcurrency).
	prepares *semaphore.Weighted
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
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = DefaultMaxRequests
	}
	if cfg.MaxCredits == 0 {
		cfg.MaxCredits = DefaultMaxCredits
	}
	if cfg.DecodeMemory <= 0 {
		cfg.DecodeMemory = DefaultDecodeMemory
	}
	send := p
	if cfg.RequestsPerMinute > 0 {
		send = provider.RateLimit(p, provider.RateLimitOptions{RequestsPerMinute: cfg.RequestsPerMinute})
	}
	if cfg.PrepareConcurrency <= 0 {
		cfg.PrepareConcurrency = runtime.GOMAXPROCS(0)
	}
	return &Pipeline{prov: p, send: send, caps: p.Capabilities(), cfg: cfg, tel: newTelemetry(cfg),
		requests:     semaphore.NewWeighted(int64(cfg.MaxRequests)),
		decodeMemory: media.NewMemoryBudget(cfg.DecodeMemory),
		prepares:     semaphore.NewWeighted(int64(cfg.PrepareConcurrency))}
}

// Tag processes one file.
func (pl *Pipeline) Tag(ctx context.Context, m Media, o Options) (*Result, error) {
	s, err := pl.settings(o)
	if err != nil {
		return nil, err
	}
	j := &job{media: m}
	pl.process(ctx, []*job{j}, s, nil)
	if j.err != nil && j.answered {
		j.result.Err = j.err
		return &j.result, j.err
	}
	if j.err != nil {
		return nil, j.err
	}
	return &j.result, nil
}

var errNoOpen = errcode.New(errcode.InvalidArgument, "media has no Open function")

// job is one file on its way through the pipeline.
type job struct {
	media  Media
	result Result
	err    error

	kind     media.MediaKind
	parts    []provider.Part // the content sent for this file
	detail   provider.Detail
	digest   [32]byte      // of the original content, for the idempotency key
	dhash    uint64        // perceptual hash of an image, for near-duplicates
	hashed   bool          // dhash is set
	duration time.Duration // of video and audio, for pricing
	extra    []string      // keywords measured locally (resolution, tempo)
	cleanup  func()        // removes the job's scratch folder, if any
	settled  bool          // settle has run for this job

	hold     metering.Hold
	held     bool
	price    int64
	answered bool // j.err is a failed capture: the result keeps the answer

	index    int        // position in the input
	start    time.Time  // when the pipeline took the file
	deadline time.Time  // the file's time limit ends; zero: none
	span     trace.Span // the file's span; nil without a tracer

	key     string  // the billing key, while the job leads it
	leads   *flight // the flight this job leads, until it settles
	follows *flight // the flight of another job with the same key
}

// fail records the job's first failure. An error without a code of its
// own is a bug somewhere (Internal); a cancellation is Canceled.
func (j *job) fail(err error) {
	if j.err == nil {
		j.err = errcode.WrapIfNone(errcode.Internal, err)
	}
}

// process runs a group of jobs through one provider request. Every job
// ends with either a result or an error, and every hold taken is captured
// (success) or voided (anything else) exactly once, even on panic.
func (pl *Pipeline) process(ctx context.Context, jobs []*job, o *settings, fatal *fatalFlag) {
	for _, j := range jobs {
		j.result.File, j.result.Task = j.media.Name, o.Task
		j.start = time.Now()
		j.span = pl.tel.startFile(ctx, j, o)
	}
	defer pl.settle(ctx, jobs, o)
	defer func() {
		if r := recover(); r != nil {
			// The panic value and stack may hold anything (request
			// bodies, paths): they go to the logger, never into the
			// error a caller may print.
			pl.tel.panicked(ctx, "picfre: recovered panic", r, debug.Stack())
			err := errcode.New(errcode.Internal, "recovered panic (see the log)")
			for _, j := range jobs {
				if !j.settled { // a settled file keeps its outcome
					j.fail(err)
				}
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
		if o.FileTimeout > 0 {
			j.deadline = time.Now().Add(o.FileTimeout)
		}
		fctx, cancel := fileContext(ctx, o, j.deadline)
		pl.prepareInSlot(fctx, j, o)
		if j.err == nil {
			pl.authorize(fctx, j, o)
		}
		cancel()
		timedOut(ctx, o, j)
	}
	// Images share a request (one answer each); a video or audio file
	// is a request of its own. A file following another with the same
	// billing key waits for that one's answer instead.
	var images []*job
	for _, j := range jobs {
		if j.err != nil || j.follows != nil {
			continue
		}
		if j.kind == media.KindImage || j.kind == media.KindVector {
			images = append(images, j)
		} else {
			pl.requestWithin(ctx, []*job{j}, o, fatal)
			// Settled at once: its scratch folder and content go now,
			// not when the group's last request is done.
			pl.settle(ctx, []*job{j}, o)
		}
	}
	if len(images) > 0 {
		pl.requestWithin(ctx, images, o, fatal)
	}
	pl.follow(ctx, jobs, o)
}

// prepareInSlot runs prepare holding one of the pipeline's preparation
// slots (Config.PrepareConcurrency), waiting for it within ctx. The slot
// is released when prepare returns, panics included, before any credit is
// held or request sent.
func (pl *Pipeline) prepareInSlot(ctx context.Context, j *job, o *settings) {
	if err := pl.prepares.Acquire(ctx, 1); err != nil {
		// The caller's cancellation, or the file's time limit, whose
		// error is the cause.
		j.fail(errcode.WrapIfNone(errcode.Canceled, context.Cause(ctx)))
		return
	}
	defer pl.prepares.Release(1)
	pl.prepare(ctx, j, o)
}

// fileContext is ctx bounded by a file's deadline (none when zero), whose
// expiry has the file's time-limit error as its cause.
func fileContext(ctx context.Context, o *settings, deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return ctx, func() {}
	}
	return context.WithDeadlineCause(ctx, deadline, fileTimeoutError(o.FileTimeout))
}

// fileTimeoutError is the error of a file out of time.
func fileTimeoutError(d time.Duration) error {
	return errcode.Errorf(errcode.DeadlineExceeded, "the file was not done within its time limit of %s: %w", d, context.DeadlineExceeded)
}

// timedOut gives a job that failed as cancelled, while the caller's ctx
// is not done, the file's time-limit error instead: the cancellation was
// its own deadline, wherever below it surfaced (a decoder, ffmpeg, the
// provider's driver).
func timedOut(ctx context.Context, o *settings, j *job) {
	if j.err != nil && ctx.Err() == nil && !j.deadline.IsZero() &&
		errcode.Of(j.err) == errcode.Canceled && !time.Now().Before(j.deadline) {
		j.err = fileTimeoutError(o.FileTimeout)
	}
}

// requestWithin runs request for jobs bounded by the latest of their
// deadlines.
func (pl *Pipeline) requestWithin(ctx context.Context, jobs []*job, o *settings, fatal *fatalFlag) {
	var latest time.Time
	for _, j := range jobs {
		if j.deadline.IsZero() {
			latest = time.Time{}
			break
		}
		if j.deadline.After(latest) {
			latest = j.deadline
		}
	}
	rctx, cancel := fileContext(ctx, o, latest)
	defer cancel()
	pl.request(rctx, jobs, o, fatal)
	for _, j := range jobs {
		if !latest.IsZero() {
			// The group's deadline is each of its files' deadline.
			j.deadline = latest
		}
		timedOut(ctx, o, j)
	}
}

// request sends one request about jobs and fills their results.
func (pl *Pipeline) request(ctx context.Context, jobs []*job, o *settings, fatal *fatalFlag) {
	if err := fatal.get(); err != nil {
		for _, j := range jobs {
			j.fail(err)
		}
		return
	}
	resp, items, err := pl.ask(ctx, jobs, o)
	if err != nil {
		if ctx.Err() != nil {
			// The caller's cancellation (Canceled), or the files' own
			// time limit, whose error is the cause.
			err = errcode.WrapIfNone(errcode.Canceled, context.Cause(ctx))
		} else {
			// A driver error without a code is a provider failure.
			err = errcode.WrapIfNone(errcode.ProviderFailure, err)
			if provider.Classify(err).Fatal() {
				fatal.set(err)
			}
		}
		for _, j := range jobs {
			j.fail(err)
		}
		return
	}
	share := splitUsage(resp.Usage, len(jobs))
	name := resp.Provider
	if name == "" {
		name = pl.prov.Name()
	}
	for i, j := range jobs {
		j.result.Usage = Usage{Provider: name, Model: resp.Model, InputTokens: share[i].InputTokens, OutputTokens: share[i].OutputTokens}
		if err := pl.fill(j, items[i], o); err != nil {
			j.fail(err)
		}
	}
}

// authorize prices the file and holds its credits.
func (pl *Pipeline) authorize(ctx context.Context, j *job, o *settings) {
	in := metering.PriceInput{Task: string(o.Task), MediaType: string(j.kind), Duration: j.duration}
	if pl.cfg.Pricer != nil {
		price, err := pl.cfg.Pricer.Price(in)
		if err != nil {
			j.fail(errcode.WrapIfNone(errcode.InvalidArgument, err))
			return
		}
		j.price = price
	}
	if ceiling := pl.cfg.MaxCredits; ceiling > 0 && j.price > ceiling {
		j.fail(fmt.Errorf("%w (%d credits, ceiling %d)", ErrOverMaxCredits, j.price, ceiling))
		return
	}
	key := j.media.Key
	if key == "" {
		key = pl.idempotencyKey(o, j.digest)
	}
	if pl.flights.join(key, j); j.follows != nil {
		return // charged, or not, with the file it follows
	}
	hold, err := pl.cfg.Meter.Authorize(ctx, metering.Authorization{
		Account: o.Account, IdempotencyKey: key, Credits: j.price,
		Task: string(o.Task), MediaType: in.MediaType,
	})
	if err != nil {
		// The hook's own code (insufficient credits, conflict, an
		// invalid account) stands; an uncoded failure is the hook's.
		j.fail(errcode.WrapIfNone(errcode.BillingFailure, err))
		return
	}
	j.hold, j.held = hold, true
}

// idempotencyKey derives a billing key from what determines the outcome:
// the account, every setting that shapes the answer, and the content (see
// Media.Key). The file's name is not part of it: a frontend that renames
// uploads (to UUIDs, say) still gets the same photo, with the same
// settings, charged once. With Config.KeySecret the key is an HMAC, so a
// stored key cannot be tested against a file by anyone without the
// secret.
func (pl *Pipeline) idempotencyKey(o *settings, digest [32]byte) string {
	var h hash.Hash
	if len(pl.cfg.KeySecret) > 0 {
		h = hmac.New(sha256.New, pl.cfg.KeySecret)
	} else {
		h = sha256.New()
	}
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, s := range []string{"picfre-key-v3", o.Account, string(o.Task), o.Language, o.SecondLanguage,
		strconv.Itoa(o.MinKeywords), strconv.Itoa(o.MaxKeywords), strconv.Itoa(o.MaxTitle), strconv.Itoa(o.MaxDescription),
		o.Context, o.Agency, string(o.generator), strconv.FormatBool(o.SingleWord), strconv.FormatBool(o.ASCIIOnly)} {
		field(s)
	}
	for _, list := range [][]string{o.Require, o.Exclude} {
		field(strconv.Itoa(len(list)))
		for _, s := range list {
			field(s)
		}
	}
	h.Write(digest[:])
	return "picfre:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// settle captures the hold of every job that succeeded and voids the rest.
// It runs with the caller's cancellation removed: the ledger must learn
// the outcome even when the caller has gone away. The caller's context
// still bounds the waits between retries.
func (pl *Pipeline) settle(ctx context.Context, jobs []*job, o *settings) {
	wait := ctx
	ctx = context.WithoutCancel(ctx)
	for _, j := range jobs {
		if !j.settled {
			j.settled = true
			pl.settleOne(ctx, wait, j)
			pl.flights.finish(j)
			pl.tel.endFile(ctx, j, o)
		}
	}
}

// settleOne releases the job's content and scratch folder and captures or
// voids its hold, retrying a capture or void that failed for a passing
// reason (see Config.CaptureAttempts). When the capture fails for good the
// hold is voided, so that a re-run can hold the key at once, and the file
// fails with the capture's error (billing_failure) but keeps its answer:
// the provider was paid for it. A panic in the caller's meter fails the
// file (and is logged) without stopping the settlement of the others.
func (pl *Pipeline) settleOne(ctx, wait context.Context, j *job) {
	j.parts = nil // nothing of the content outlives the job
	if j.cleanup != nil {
		j.cleanup()
		j.cleanup = nil
	}
	if !j.held {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			pl.tel.panicked(ctx, "picfre: recovered panic in the metering hook", r, debug.Stack())
			j.err = errcode.New(errcode.Internal, "recovered panic in the metering hook (see the log)")
		}
	}()
	j.result.Replayed = j.hold.Settled
	if j.err == nil && !j.hold.Settled {
		ev := metering.Event{
			Account: j.hold.Account, IdempotencyKey: j.hold.IdempotencyKey,
			File: j.media.Name, Time: pl.cfg.Now(), Task: string(j.result.Task), MediaType: string(j.kind),
			Credits: j.hold.Credits, Provider: j.result.Usage.Provider, Model: j.result.Usage.Model,
			InputTokens: j.result.Usage.InputTokens, OutputTokens: j.result.Usage.OutputTokens,
		}
		err := pl.retrySettle(wait, func() error { return pl.cfg.Meter.Capture(ctx, j.hold, ev) })
		if err == nil {
			j.result.Usage.Credits = j.hold.Credits
			return
		}
		j.fail(errcode.WrapIfNone(errcode.BillingFailure, err))
		j.answered = true
	}
	if j.err != nil {
		// A void that fails for good leaves the hold to expire on its
		// own; the file's own error is what the caller needs to see.
		reason := errcode.Of(j.err)
		_ = pl.retrySettle(wait, func() error { return pl.cfg.Meter.Void(ctx, j.hold, reason) })
	}
}

// retrySettle runs settle, a Capture or Void (both idempotent), up to
// Config.CaptureAttempts times while it fails for a passing reason: the
// ledger's database unavailable (errcode.Unavailable in the chain), or a
// hook error without a code. It waits Config.CaptureBackoff before the
// second attempt and twice as long before each next one, and stops
// waiting when wait, the caller's context, is done.
func (pl *Pipeline) retrySettle(wait context.Context, settle func() error) error {
	attempts, backoff := pl.cfg.CaptureAttempts, pl.cfg.CaptureBackoff
	if attempts <= 0 {
		attempts = DefaultCaptureAttempts
	}
	if backoff <= 0 {
		backoff = DefaultCaptureBackoff
	}
	for attempt := 1; ; attempt++ {
		err := settle()
		if err == nil || attempt >= attempts || !passing(err) {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-wait.Done():
			t.Stop()
			return err
		}
		backoff *= 2
	}
}

// passing reports whether a settling call's error may go away on a retry.
func passing(err error) bool {
	return errors.Is(err, errcode.Unavailable) || !errcode.Has(err) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// ask sends one request about the ready jobs and splits the answer into
// one item per job. A malformed answer is asked for once more.
func (pl *Pipeline) ask(ctx context.Context, jobs []*job, o *settings) (*provider.Response, []jsonItem, error) {
	spec := o.spec(len(jobs), jobs[0].kind)
	req := &provider.Request{
		Instructions:    prompt.Instructions(spec, o.guidance()),
		Schema:          o.schema(spec),
		SchemaName:      prompt.SchemaName(spec.Task),
		MaxOutputTokens: 800 * len(jobs),
		Spec:            spec,
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
		for _, p := range j.parts {
			p.Item = i
			req.Parts = append(req.Parts, p)
		}
	}
	if err := pl.requests.Acquire(ctx, 1); err != nil {
		return nil, nil, err
	}
	defer pl.requests.Release(1)
	var usage provider.Usage
	for attempt := 0; ; attempt++ {
		rctx, span := pl.tel.startRequest(ctx, jobs, pl.prov.Name())
		resp, err := pl.send.Generate(rctx, req)
		model := ""
		if resp != nil {
			model = resp.Model
		}
		pl.tel.endRequest(rctx, span, pl.prov.Name(), model, errcode.WrapIfNone(errcode.ProviderFailure, err))
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
	if o.Task == TaskPrompt {
		a, err := prompt.ParseAnalysis(raw)
		if err != nil {
			return errcode.Wrap(errcode.BadOutput, err)
		}
		if o.generator == "" {
			if strings.TrimSpace(a.Prompt) == "" {
				return errcode.New(errcode.BadOutput, "prompt is missing or empty")
			}
			j.result.Prompt = collapseSpace(a.Prompt)
			return nil
		}
		r, err := prompt.Render(o.generator, a, j.result.Width, j.result.Height)
		if err != nil {
			return errcode.Wrap(errcode.BadOutput, err)
		}
		j.result.Prompt, j.result.NegativePrompt, j.result.Generator = r.Prompt, r.Negative, string(r.Generator)
		j.result.PromptParameters = r.Parameters
		return nil
	}
	m, err := answer.DecodeMetadata(raw)
	if err != nil {
		return err
	}
	keywords := m.Keywords
	if len(j.extra) > 0 {
		// Measured facts (resolution, frame rate, tempo) are what buyers
		// filter by: put them right after the model's first few.
		at := min(5, len(keywords))
		keywords = slices.Concat(keywords[:at], j.extra, keywords[at:])
	}
	answered := stock.Metadata{Title: m.Title, Description: m.Description, Keywords: keywords, Categories: m.Categories}
	j.result.Answer = &answered
	md, problems := stock.Normalize(answered, o.profile, o.rules())
	j.result.Title, j.result.Description, j.result.Keywords, j.result.Categories = md.Title, md.Description, md.Keywords, md.Categories
	j.result.Genre, j.result.Mood, j.result.Instruments = collapseSpace(m.Genre), collapseSpace(m.Mood), m.Instruments
	if o.SecondLanguage != "" {
		second := o.rules()
		second.Language, second.SecondLanguage, second.Required, second.MinKeywords = o.SecondLanguage, "", nil, 0
		j.result.SecondKeywords = stock.NormalizeKeywords(m.KeywordsSecond, second)
	}
	for _, p := range stock.Unfixed(problems) {
		j.result.Problems = append(j.result.Problems, p.String())
	}
	if len(md.Keywords) < o.MinKeywords {
		return errcode.Errorf(errcode.BadOutput, "%d usable keywords, fewer than the %d asked for", len(md.Keywords), o.MinKeywords)
	}
	if md.Title == "" {
		return errcode.New(errcode.BadOutput, "title is empty after normalization")
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
