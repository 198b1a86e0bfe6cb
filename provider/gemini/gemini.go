package gemini

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/internal/wire"
)

// Defaults.
const (
	// DefaultBaseURL is the Gemini API host root, as genai names its base
	// URL.
	DefaultBaseURL = "https://generativelanguage.googleapis.com/"
	// DefaultModel is a cost-efficient multimodal model.
	DefaultModel = "gemini-2.5-flash"
	// DefaultMaxItems is how many files are packed into one request.
	DefaultMaxItems = 8
	// DefaultMaxInlineBytes bounds the media bytes sent inline in one
	// request; larger media goes through the Files API.
	DefaultMaxInlineBytes = 20 << 20
	// MaxUploadBytes is the Files API's limit for one file (2 GB).
	MaxUploadBytes = 2_000_000_000
	// UploadDisplayName is the display name of every uploaded file: the
	// same neutral word for all, never a file name.
	UploadDisplayName = "picfre-media"
	// DefaultPollInterval is the first wait before asking whether an
	// uploaded file is ready; the wait doubles up to MaxPollInterval.
	DefaultPollInterval = time.Second
	// MaxPollInterval bounds the wait between two readiness checks.
	MaxPollInterval = 10 * time.Second
	// DefaultMaxProcessingWait bounds how long Generate waits for an
	// uploaded video or audio file to become ACTIVE.
	DefaultMaxProcessingWait = 10 * time.Minute
)

// Options configure New.
type Options struct {
	// APIKey is sent in the x-goog-api-key header. Required.
	APIKey string
	// BaseURL is the host root; default DefaultBaseURL.
	BaseURL string
	// Model names the model; default DefaultModel.
	Model string
	// HTTPClient carries the requests; default a plain *http.Client.
	HTTPClient *http.Client
	// Name is what Name() reports; default "gemini".
	Name string
	// MaxItemsPerRequest is how many files may share a request; default
	// DefaultMaxItems.
	MaxItemsPerRequest int
	// Thinking keeps the model's "thinking" on for Gemini 2.5 Flash
	// models. By default it is turned off there (budget 0): thinking
	// tokens are billed as output and add nothing to keywording.
	Thinking bool
	// MaxInlineBytes bounds the media bytes sent inline in one request;
	// default DefaultMaxInlineBytes. When a request's media is larger,
	// its largest parts go through the Files API until the rest fits.
	// Streamed parts (provider.Part.Open) always do.
	MaxInlineBytes int64
	// PollInterval is the first wait between readiness checks of an
	// uploaded file; default DefaultPollInterval. It doubles after each
	// check, up to MaxPollInterval.
	PollInterval time.Duration
	// MaxProcessingWait bounds the wait for uploaded files to become
	// ACTIVE; default DefaultMaxProcessingWait. Past it, Generate fails
	// with provider.Timeout.
	MaxProcessingWait time.Duration
	// OnCleanupError, when set, is told when an uploaded file could not
	// be deleted after its request (the service then removes it after 48
	// hours). The error is a *provider.Error naming no file. It may be
	// called from any goroutine that runs Generate.
	OnCleanupError func(error)
}

// Provider is a Gemini API provider over google.golang.org/genai. Create
// it with New. It is safe for concurrent use.
type Provider struct {
	name      string
	model     string
	key       string
	thinking  bool
	caps      provider.Capabilities
	client    *genai.Client
	poll      time.Duration
	maxWait   time.Duration
	onCleanup func(error)
}

var _ provider.Provider = (*Provider)(nil)

// New returns a provider for opts. It reads no environment variable:
// backend, key and base URL are set explicitly, so GOOGLE_API_KEY,
// GOOGLE_GENAI_USE_VERTEXAI or GOOGLE_GEMINI_BASE_URL change nothing.
func New(opts Options) (*Provider, error) {
	st, err := wire.Resolve(wire.Settings{Name: opts.Name, BaseURL: opts.BaseURL, Model: opts.Model, MaxItems: opts.MaxItemsPerRequest},
		wire.Settings{Name: "gemini", BaseURL: DefaultBaseURL, Model: DefaultModel, MaxItems: DefaultMaxItems})
	if err != nil {
		return nil, err
	}
	if opts.APIKey == "" {
		return nil, fmt.Errorf("%s: an API key is required", st.Name)
	}
	name, base, model, items := st.Name, st.BaseURL, st.Model, st.MaxItems
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	inline := opts.MaxInlineBytes
	if inline <= 0 {
		inline = DefaultMaxInlineBytes
	}
	poll := opts.PollInterval
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	maxWait := opts.MaxProcessingWait
	if maxWait <= 0 {
		maxWait = DefaultMaxProcessingWait
	}
	hc := wire.Client(uploadClient(opts.HTTPClient), allowHeader, http.Header{"X-Goog-Api-Key": {opts.APIKey}})
	one := int32(1)
	client, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:     opts.APIKey,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: hc,
		HTTPOptions: genai.HTTPOptions{
			BaseURL:      base,
			APIVersion:   "v1beta",
			RetryOptions: &genai.HTTPRetryOptions{Attempts: &one},
		},
	})
	if err != nil {
		// genai's message may quote the whole config, key included.
		return nil, fmt.Errorf("%s: cannot configure the client", name)
	}
	return &Provider{
		name: name, model: model, key: opts.APIKey, thinking: opts.Thinking,
		caps: provider.Capabilities{
			MaxItemsPerRequest: items,
			MaxImagesPerItem:   16,
			ImageSize:          768,
			Video:              true,
			Audio:              true,
			MaxInlineBytes:     inline,
			MaxUploadBytes:     MaxUploadBytes,
			ImageCost:          provider.GeminiCost{},
		},
		client: client, poll: poll, maxWait: maxWait, onCleanup: opts.OnCleanupError,
	}, nil
}

// Name returns "gemini" or the configured name.
func (p *Provider) Name() string { return p.name }

// Capabilities reports packing, images seen best at 768 px (one tile),
// video and audio inline up to 20 MB (Options.MaxInlineBytes) and through
// the Files API up to 2 GB, and Gemini's tile billing.
func (p *Provider) Capabilities() provider.Capabilities { return p.caps }

// Model returns the model the provider asks.
func (p *Provider) Model() string { return p.model }

func (p *Provider) fail(code provider.Code, msg string) error {
	return &provider.Error{Code: code, Provider: p.name, Message: msg}
}

// Generate sends req as one generateContent call. Media too large to
// send inline, and streamed parts, are uploaded through the Files API
// first and deleted again before Generate returns, whatever the outcome.
func (p *Provider) Generate(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, wire.TransportError(p.name, ctx, err)
	}
	plan, err := p.plan(req)
	if err != nil {
		return nil, err
	}
	var uploaded []*genai.File
	defer func() { p.cleanup(ctx, uploaded) }()
	parts := make([]*genai.Part, len(req.Parts))
	for i, part := range req.Parts {
		mt := strings.ToLower(part.MIMEType)
		switch {
		case part.IsText():
			parts[i] = &genai.Part{Text: part.Text}
		case plan[i]:
			f, err := p.upload(ctx, part, mt)
			if err != nil {
				return nil, err
			}
			uploaded = append(uploaded, f)
		default:
			parts[i] = &genai.Part{InlineData: &genai.Blob{MIMEType: mt, Data: part.Data}}
		}
	}
	for j, f := range uploaded {
		ready, err := p.waitActive(ctx, f)
		if err != nil {
			return nil, err
		}
		uploaded[j] = ready
	}
	j := 0
	for i := range parts {
		if plan[i] {
			f := uploaded[j]
			j++
			parts[i] = &genai.Part{FileData: &genai.FileData{FileURI: f.URI, MIMEType: strings.ToLower(req.Parts[i].MIMEType)}}
		}
	}
	cfg := &genai.GenerateContentConfig{}
	if req.Instructions != "" {
		cfg.SystemInstruction = &genai.Content{Parts: []*genai.Part{{Text: req.Instructions}}}
	}
	if len(req.Schema) > 0 {
		var schema any
		if err := json.Unmarshal(req.Schema, &schema); err != nil {
			return nil, p.fail(provider.InvalidRequest, "request schema is not valid JSON")
		}
		cfg.ResponseMIMEType = "application/json"
		cfg.ResponseJsonSchema = schema
	}
	if req.MaxOutputTokens > 0 {
		cfg.MaxOutputTokens = int32(min(req.MaxOutputTokens, 1<<30))
	}
	switch req.Detail {
	case provider.DetailLow:
		cfg.MediaResolution = genai.MediaResolutionLow
	case provider.DetailHigh:
		cfg.MediaResolution = genai.MediaResolutionHigh
	}
	if !p.thinking && strings.HasPrefix(p.model, "gemini-2.5-flash") {
		zero := int32(0)
		cfg.ThinkingConfig = &genai.ThinkingConfig{ThinkingBudget: &zero}
	}
	rctx, ex := wire.Record(ctx)
	out, err := p.client.Models.GenerateContent(rctx, p.model, []*genai.Content{{Role: "user", Parts: parts}}, cfg)
	_, status, header, body := ex.Result()
	if err != nil {
		if status >= 400 {
			return nil, p.classify(status, header, body)
		}
		if status == 0 || ctx.Err() != nil {
			return nil, wire.TransportError(p.name, ctx, err)
		}
		return nil, p.fail(provider.BadOutput, "the answer could not be decoded")
	}
	var usage provider.Usage
	if u := out.UsageMetadata; u != nil {
		usage = provider.Usage{InputTokens: int64(u.PromptTokenCount), OutputTokens: int64(u.CandidatesTokenCount) + int64(u.ThoughtsTokenCount)}
	}
	if fb := out.PromptFeedback; fb != nil && fb.BlockReason != "" {
		return nil, p.fail(provider.Refused, "the prompt was blocked: "+wire.Safe(string(fb.BlockReason)))
	}
	if len(out.Candidates) == 0 || out.Candidates[0] == nil {
		return nil, p.fail(provider.BadOutput, "the answer has no candidates")
	}
	cand := out.Candidates[0]
	switch cand.FinishReason {
	case genai.FinishReasonMaxTokens:
		return nil, p.fail(provider.Truncated, "the answer hit the output token limit")
	case genai.FinishReasonSafety, genai.FinishReasonRecitation, genai.FinishReasonProhibitedContent,
		genai.FinishReasonBlocklist, genai.FinishReasonSPII, genai.FinishReasonImageSafety,
		genai.FinishReasonImageProhibitedContent:
		return nil, p.fail(provider.Refused, "the answer was blocked: "+string(cand.FinishReason))
	}
	var text strings.Builder
	if cand.Content != nil {
		for _, part := range cand.Content.Parts {
			if part != nil && !part.Thought {
				text.WriteString(part.Text)
			}
		}
	}
	model := out.ModelVersion
	if model == "" {
		model = p.model
	}
	return &provider.Response{Text: text.String(), Model: model, Usage: usage,
		RateLimit: wire.ParseRateLimitHeaders(header, time.Now())}, nil
}

// errorBody is Google's error JSON.
type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type       string `json:"@type"`
			Reason     string `json:"reason"`
			RetryDelay string `json:"retryDelay"`
			Violations []struct {
				QuotaID     string `json:"quotaId"`
				QuotaMetric string `json:"quotaMetric"`
			} `json:"violations"`
		} `json:"details"`
	} `json:"error"`
}

// classify maps an error answer to a *provider.Error. A 429 whose
// QuotaFailure names a per-day quota is QuotaExhausted (waiting seconds
// cannot help, although Google sends a RetryInfo with it too); any other
// 429 is RateLimited with RetryInfo.retryDelay (or retry-after) as hint.
// The Gemini API answers a bad key with 400 API_KEY_INVALID.
func (p *Provider) classify(status int, header http.Header, body []byte) error {
	var eb errorBody
	_ = json.Unmarshal(body, &eb)
	c := wire.StatusCode(status)
	var hint time.Duration
	daily, keyInvalid, billing := false, false, false
	for _, d := range eb.Error.Details {
		switch {
		case strings.HasSuffix(d.Type, "google.rpc.RetryInfo"):
			if v, err := time.ParseDuration(d.RetryDelay); err == nil && v > 0 {
				hint = min(v, 24*time.Hour)
			}
		case strings.HasSuffix(d.Type, "google.rpc.QuotaFailure"):
			for _, v := range d.Violations {
				if strings.Contains(v.QuotaID, "PerDay") || strings.Contains(v.QuotaMetric, "per_day") {
					daily = true
				}
			}
		case strings.HasSuffix(d.Type, "google.rpc.ErrorInfo"):
			switch d.Reason {
			case "API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED", "API_KEY_IP_ADDRESS_BLOCKED":
				keyInvalid = true
			case "BILLING_DISABLED":
				billing = true
			}
		}
	}
	switch {
	case eb.Error.Status == "PERMISSION_DENIED" && strings.HasPrefix(eb.Error.Message, "You do not have permission to access the File"):
		// Google's answer for an uploaded file that is gone (expired or
		// deleted): this request cannot succeed, but the key is fine.
		c = provider.InvalidRequest
	case keyInvalid || eb.Error.Status == "UNAUTHENTICATED" || eb.Error.Status == "PERMISSION_DENIED":
		c = provider.Unauthenticated
	case billing:
		c = provider.QuotaExhausted
	case status == http.StatusTooManyRequests || eb.Error.Status == "RESOURCE_EXHAUSTED":
		if daily {
			c = provider.QuotaExhausted
		} else {
			c = provider.RateLimited
		}
	case eb.Error.Status == "DEADLINE_EXCEEDED":
		c = provider.Timeout
	case eb.Error.Status == "UNAVAILABLE" || eb.Error.Status == "INTERNAL":
		c = provider.Unavailable
	}
	e := &provider.Error{Code: c, Provider: p.name, StatusCode: status}
	if c == provider.RateLimited {
		if hint == 0 {
			hint = wire.RateLimitHint(header, time.Now())
		}
		e.RetryAfter = hint
	}
	msg := wire.Safe(eb.Error.Message, p.key)
	switch {
	case eb.Error.Status != "" && msg != "":
		e.Message = wire.Safe(eb.Error.Status) + ": " + msg
	case msg != "":
		e.Message = msg
	default:
		e.Message = http.StatusText(status)
	}
	return e
}
