package fake

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/picfre/picfre/provider"
)

// Step is the scripted outcome of one call.
type Step struct {
	// Text is the answer. Empty means: answer from the Spec as if unscripted.
	Text string
	// Usage is reported with a successful answer. Zero means an estimate
	// from the request size.
	Usage provider.Usage
	// Fault, when set, fails the call with a *provider.Error of that code.
	Fault provider.Code
	// RetryAfter is the hint carried by the fault.
	RetryAfter time.Duration
	// Delay waits before answering (honouring the context).
	Delay time.Duration
}

// Options configure a Provider. The zero value is a provider named "fake"
// that takes images only, one item per request.
type Options struct {
	Name         string
	Model        string
	Capabilities provider.Capabilities
	// Latency delays every call, after any Step.Delay.
	Latency time.Duration
	// Forget stops the provider from keeping requests, for long runs
	// (benchmarks) where recording them would grow memory without bound.
	// Calls still counts them.
	Forget bool
	// Respond, if set, decides unscripted calls instead of the built-in
	// answers. It must be safe for concurrent use.
	Respond func(req *provider.Request) Step
}

// Provider is a fake provider. Create it with New.
type Provider struct {
	opts Options

	mu       sync.Mutex
	script   []Step
	requests []*provider.Request
	calls    int
}

var _ provider.Provider = (*Provider)(nil)

// New returns a fake provider.
func New(opts Options) *Provider {
	if opts.Name == "" {
		opts.Name = "fake"
	}
	if opts.Model == "" {
		opts.Model = "fake-1"
	}
	return &Provider{opts: opts}
}

// Name returns the configured name ("fake" by default).
func (p *Provider) Name() string { return p.opts.Name }

// Capabilities returns the configured capabilities.
func (p *Provider) Capabilities() provider.Capabilities { return p.opts.Capabilities }

// Enqueue appends steps to the script.
func (p *Provider) Enqueue(steps ...Step) {
	p.mu.Lock()
	p.script = append(p.script, steps...)
	p.mu.Unlock()
}

// Requests returns the requests received so far, in arrival order,
// including those that were answered with a fault (none with Forget).
func (p *Provider) Requests() []*provider.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*provider.Request(nil), p.requests...)
}

// Calls returns how many requests were received.
func (p *Provider) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// Generate records req and answers it from the script or the Spec.
func (p *Provider) Generate(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	caps := p.opts.Capabilities
	if !caps.Supports(req.Spec.Task) {
		return nil, &provider.Error{Code: provider.Unsupported, Provider: p.opts.Name, Message: "task " + strconv.Quote(string(req.Spec.Task)) + " is not supported"}
	}
	for _, part := range req.Parts {
		if part.IsText() {
			continue
		}
		if part.Streamed() && caps.MaxUploadBytes == 0 {
			return nil, &provider.Error{Code: provider.InvalidRequest, Provider: p.opts.Name, Message: "streamed media needs Capabilities.MaxUploadBytes"}
		}
		if (strings.HasPrefix(part.MIMEType, "audio/") && !caps.Audio) ||
			(strings.HasPrefix(part.MIMEType, "video/") && !caps.Video) {
			return nil, &provider.Error{Code: provider.Unsupported, Provider: p.opts.Name, Message: "cannot take " + part.MIMEType}
		}
	}
	p.mu.Lock()
	p.calls++
	if !p.opts.Forget {
		p.requests = append(p.requests, req)
	}
	var step Step
	scripted := len(p.script) > 0
	if scripted {
		step, p.script = p.script[0], p.script[1:]
	}
	p.mu.Unlock()
	if !scripted && p.opts.Respond != nil {
		step = p.opts.Respond(req)
	}
	if err := sleep(ctx, step.Delay+p.opts.Latency); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, &provider.Error{Code: provider.Timeout, Provider: p.opts.Name, Err: err}
		}
		return nil, err
	}
	if step.Fault != "" {
		return nil, &provider.Error{Code: step.Fault, Provider: p.opts.Name, RetryAfter: step.RetryAfter, Message: "scripted fault"}
	}
	text := step.Text
	if text == "" {
		text = Answer(req)
	}
	usage := step.Usage
	if usage == (provider.Usage{}) {
		usage = estimate(req, text)
	}
	return &provider.Response{Text: text, Model: p.opts.Model, Usage: usage}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func estimate(req *provider.Request, answer string) provider.Usage {
	in := int64(len(req.Instructions) / 4)
	for _, part := range req.Parts {
		if part.IsText() {
			in += int64(len(part.Text) / 4)
		} else {
			in += 85
		}
	}
	return provider.Usage{InputTokens: in, OutputTokens: int64(len(answer) / 4)}
}

// words the unscripted answers are built from, picked by content hash.
var (
	subjects = []string{"meadow", "harbour", "skyline", "forest", "desert", "kitchen", "studio", "garden", "beach", "mountain", "street", "library"}
	moods    = []string{"calm", "vivid", "moody", "bright", "serene", "dramatic", "warm", "cool"}
)

// Answer returns the built-in deterministic answer for req: valid JSON for
// the request's Spec (task, item count, media kind, second language,
// keyword counts and length limits), with words chosen by a hash of each
// item's content.
func Answer(req *provider.Request) string {
	n := max(req.Spec.Items, 1)
	items := make([]any, n)
	for i := range n {
		items[i] = answerItem(req, i)
	}
	var v any = items[0]
	if n > 1 {
		v = map[string]any{provider.ItemsKey: items}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return string(b)
}

func answerItem(req *provider.Request, item int) any {
	h := sha256.New()
	for _, part := range req.Parts {
		if part.Item == item {
			h.Write(part.Data)
		}
	}
	sum := h.Sum(nil)
	seed := binary.BigEndian.Uint64(sum)
	subject := subjects[seed%uint64(len(subjects))]
	mood := moods[(seed>>8)%uint64(len(moods))]
	spec := req.Spec
	if spec.Task == provider.TaskPrompt {
		return map[string]string{"prompt": fmt.Sprintf("a %s %s, natural light, photographed with a 35mm lens", mood, subject)}
	}
	want := 12
	if spec.MinKeywords > want {
		want = spec.MinKeywords
	}
	if spec.MaxKeywords > 0 && want > spec.MaxKeywords {
		want = spec.MaxKeywords
	}
	kw := []string{subject, mood}
	for i := 0; len(kw) < want; i++ {
		kw = append(kw, fmt.Sprintf("%s detail %d", subject, i+1))
	}
	v := map[string]any{
		"title":       clip(fmt.Sprintf("%s %s %x", strings.ToUpper(mood[:1])+mood[1:], subject, sum[:2]), spec.MaxTitle),
		"description": clip(fmt.Sprintf("A %s view of a %s.", mood, subject), spec.MaxDescription),
		"keywords":    kw,
		"categories":  []string{"Nature"},
	}
	if spec.SecondLanguage != "" {
		second := make([]string, len(kw))
		for i, k := range kw {
			second[i] = spec.SecondLanguage + " " + k
		}
		v["keywords_second"] = second
	}
	if spec.Media == provider.MediaAudio {
		v["genre"], v["mood"], v["instruments"] = "ambient", mood, []string{"synthesizer"}
	}
	return v
}

// clip cuts s to at most n runes (n ≤ 0: no limit).
func clip(s string, n int) string {
	if r := []rune(s); n > 0 && len(r) > n {
		return strings.TrimSpace(string(r[:n]))
	}
	return s
}
