package anthropic

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/internal/wire"
)

// Defaults.
const (
	// DefaultBaseURL is Anthropic's API host root, as the SDK names its
	// base URL.
	DefaultBaseURL = "https://api.anthropic.com"
	// DefaultModel is Anthropic's fast, low-cost vision model.
	DefaultModel = "claude-haiku-4-5"
	// DefaultMaxItems is how many files are packed into one request.
	DefaultMaxItems = 8
	// DefaultMaxTokens is the answer bound when the request sets none;
	// the Messages API requires one.
	DefaultMaxTokens = 2048
)

// Options configure New.
type Options struct {
	// APIKey is sent in the x-api-key header. Required.
	APIKey string
	// BaseURL is the host root; default DefaultBaseURL.
	BaseURL string
	// Model names the model; default DefaultModel.
	Model string
	// HTTPClient carries the requests; default a plain *http.Client.
	HTTPClient *http.Client
	// Name is what Name() reports; default "anthropic".
	Name string
	// MaxItemsPerRequest is how many files may share a request; default
	// DefaultMaxItems.
	MaxItemsPerRequest int
}

// Provider is an Anthropic Messages provider. Create it with New. It is
// safe for concurrent use.
type Provider struct {
	name   string
	model  string
	key    string
	caps   provider.Capabilities
	client sdk.Client
}

var _ provider.Provider = (*Provider)(nil)

// New returns a provider for opts. It reads no environment variable nor
// profile file (option.WithoutEnvironmentDefaults): key, base URL and
// headers are exactly those of opts.
func New(opts Options) (*Provider, error) {
	st, err := wire.Resolve(wire.Settings{Name: opts.Name, BaseURL: opts.BaseURL, Model: opts.Model, MaxItems: opts.MaxItemsPerRequest},
		wire.Settings{Name: "anthropic", BaseURL: DefaultBaseURL, Model: DefaultModel, MaxItems: DefaultMaxItems})
	if err != nil {
		return nil, err
	}
	if opts.APIKey == "" {
		return nil, fmt.Errorf("%s: an API key is required", st.Name)
	}
	name, base, model, items := st.Name, st.BaseURL, st.Model, st.MaxItems
	// Only these headers leave the machine: no workspace or user-profile
	// header that could name the account.
	hc := wire.Client(opts.HTTPClient, wire.AllowPrefixes(
		[]string{"X-Api-Key", "Anthropic-Version", "Anthropic-Beta", "Content-Type", "Content-Length", "Accept", "User-Agent"},
		[]string{"X-Stainless-"}),
		http.Header{"X-Api-Key": {opts.APIKey}})
	client := sdk.NewClient(
		option.WithoutEnvironmentDefaults(),
		option.WithAPIKey(opts.APIKey),
		option.WithBaseURL(base),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(0),
	)
	return &Provider{
		name: name, model: model, key: opts.APIKey,
		caps: provider.Capabilities{
			MaxItemsPerRequest: items,
			MaxImagesPerItem:   8,
			ImageSize:          1568,
			MaxInlineBytes:     30 << 20,
			ImageCost:          provider.AreaCost{},
		},
		client: client,
	}, nil
}

// Name returns "anthropic" or the configured name.
func (p *Provider) Name() string { return p.name }

// Capabilities reports packing, images up to 1568 px, no audio or video,
// and the w·h/750 billing rule.
func (p *Provider) Capabilities() provider.Capabilities { return p.caps }

// Model returns the model the provider asks.
func (p *Provider) Model() string { return p.model }

func (p *Provider) fail(code provider.Code, msg string) error {
	return &provider.Error{Code: code, Provider: p.name, Message: msg}
}

// toolSchema maps a JSON Schema object to the tool's input schema.
func toolSchema(raw json.RawMessage) (sdk.ToolInputSchemaParam, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return sdk.ToolInputSchemaParam{}, err
	}
	s := sdk.ToolInputSchemaParam{Properties: m["properties"], ExtraFields: map[string]any{}}
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if str, ok := r.(string); ok {
				s.Required = append(s.Required, str)
			}
		}
	}
	for k, v := range m {
		switch k {
		case "type", "properties", "required":
		default:
			s.ExtraFields[k] = v
		}
	}
	return s, nil
}

// Generate sends req as one Messages call. A schema becomes a tool the
// model is forced to call; the tool's input is the answer text.
func (p *Provider) Generate(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, wire.TransportError(p.name, ctx, err)
	}
	blocks := make([]sdk.ContentBlockParamUnion, 0, len(req.Parts))
	for _, part := range req.Parts {
		mt := strings.ToLower(part.MIMEType)
		switch {
		case part.IsText():
			blocks = append(blocks, sdk.NewTextBlock(part.Text))
		case part.Streamed():
			return nil, p.fail(provider.InvalidRequest, "streamed media is not supported: this provider takes inline content only")
		case mt == "image/jpeg" || mt == "image/png" || mt == "image/gif" || mt == "image/webp":
			blocks = append(blocks, sdk.NewImageBlockBase64(mt, base64.StdEncoding.EncodeToString(part.Data)))
		default:
			return nil, p.fail(provider.Unsupported, "cannot take "+mt+" content")
		}
	}
	maxTokens := int64(DefaultMaxTokens)
	if req.MaxOutputTokens > 0 {
		maxTokens = int64(req.MaxOutputTokens)
	}
	params := sdk.MessageNewParams{
		Model:     p.model,
		MaxTokens: maxTokens,
		Messages:  []sdk.MessageParam{sdk.NewUserMessage(blocks...)},
	}
	if req.Instructions != "" {
		params.System = []sdk.TextBlockParam{{Text: req.Instructions}}
	}
	tool := ""
	if len(req.Schema) > 0 {
		schema, err := toolSchema(req.Schema)
		if err != nil {
			return nil, p.fail(provider.InvalidRequest, "request schema is not a JSON object")
		}
		tool = toolName(req.SchemaName)
		params.Tools = []sdk.ToolUnionParam{sdk.ToolUnionParamOfTool(schema, tool)}
		params.ToolChoice = sdk.ToolChoiceParamOfTool(tool)
	}
	rctx, ex := wire.Record(ctx)
	out, err := p.client.Messages.New(rctx, params)
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
	usage := provider.Usage{
		InputTokens:  out.Usage.InputTokens + out.Usage.CacheCreationInputTokens + out.Usage.CacheReadInputTokens,
		OutputTokens: out.Usage.OutputTokens,
	}
	switch out.StopReason {
	case sdk.StopReasonRefusal:
		return nil, p.fail(provider.Refused, "the model refused to answer")
	case sdk.StopReasonMaxTokens:
		return nil, p.fail(provider.Truncated, "the answer hit the output token limit")
	}
	var text strings.Builder
	for _, b := range out.Content {
		if b.Type == "tool_use" && (tool == "" || b.Name == tool) && len(b.Input) > 0 {
			text.Reset()
			text.Write(b.Input)
			break
		}
		if b.Type == "text" {
			text.WriteString(b.Text)
		}
	}
	return &provider.Response{Text: text.String(), Model: string(out.Model), Usage: usage,
		RateLimit: wire.ParseRateLimitHeaders(header, time.Now())}, nil
}

func toolName(s string) string {
	if s == "" {
		return "answer"
	}
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b[:min(len(b), 64)])
}

// errorBody is Anthropic's error JSON.
type errorBody struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// classify maps an error answer to a *provider.Error. "Credit balance is
// too low" comes as a 400 invalid_request_error and means QuotaExhausted;
// overloaded_error (529) means Unavailable.
func (p *Provider) classify(status int, header http.Header, body []byte) error {
	var eb errorBody
	_ = json.Unmarshal(body, &eb)
	c := wire.StatusCode(status)
	switch eb.Error.Type {
	case "rate_limit_error":
		c = provider.RateLimited
	case "authentication_error", "permission_error":
		c = provider.Unauthenticated
	case "billing_error":
		c = provider.QuotaExhausted
	case "overloaded_error", "api_error":
		c = provider.Unavailable
	case "timeout_error":
		c = provider.Timeout
	case "invalid_request_error", "not_found_error", "request_too_large":
		c = provider.InvalidRequest
	}
	if strings.Contains(strings.ToLower(eb.Error.Message), "credit balance is too low") {
		c = provider.QuotaExhausted
	}
	e := &provider.Error{Code: c, Provider: p.name, StatusCode: status}
	if c == provider.RateLimited {
		e.RetryAfter = wire.RateLimitHint(header, time.Now())
	}
	msg := wire.Safe(eb.Error.Message, p.key)
	switch {
	case eb.Error.Type != "" && msg != "":
		e.Message = wire.Safe(eb.Error.Type) + ": " + msg
	case msg != "":
		e.Message = msg
	default:
		e.Message = http.StatusText(status)
	}
	return e
}
