package openai

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/internal/wire"
)

// Defaults.
const (
	// DefaultBaseURL is OpenAI's API root, as the SDK names its base URL.
	DefaultBaseURL = "https://api.openai.com/v1"
	// OllamaBaseURL is where a local Ollama server speaks the OpenAI
	// protocol.
	OllamaBaseURL = "http://localhost:11434/v1"
	// DefaultModel is a cost-efficient vision model with strict
	// structured output.
	DefaultModel = "gpt-4.1-mini"
	// DefaultOllamaModel is a small local vision model.
	DefaultOllamaModel = "qwen2.5vl"
	// DefaultMaxItems is how many files are packed into one request.
	DefaultMaxItems = 8
)

// Options configure New. The zero value talks to OpenAI with DefaultModel
// (and fails at the first request without an APIKey).
type Options struct {
	// APIKey is sent as a bearer token. Servers that need none (Ollama)
	// may leave it empty.
	APIKey string
	// BaseURL is the API root including the version, e.g.
	// "https://api.openai.com/v1" or "http://localhost:11434/v1".
	// Default: DefaultBaseURL, or OllamaBaseURL when Name is "ollama".
	BaseURL string
	// Model names the model; default DefaultModel (DefaultOllamaModel
	// for "ollama").
	Model string
	// HTTPClient carries the requests; default a plain *http.Client.
	HTTPClient *http.Client
	// Name is what Name() reports: "openai" by default, "ollama" for a
	// local Ollama server, or any name of an OpenAI-compatible service.
	Name string
	// MaxItemsPerRequest is how many files may share a request:
	// DefaultMaxItems, or 1 for "ollama" (small local models mix up
	// several images). Set 1 to turn packing off.
	MaxItemsPerRequest int
	// ImageCost overrides the billing rule derived from the model name.
	ImageCost provider.ImageCost
}

// Provider is an OpenAI chat-completions provider. Create it with New.
// It is safe for concurrent use.
type Provider struct {
	name   string
	model  string
	key    string
	caps   provider.Capabilities
	client sdk.Client
}

var _ provider.Provider = (*Provider)(nil)

// New returns a provider for opts. It reads no environment variable: the
// key, base URL and headers are exactly those of opts, whatever OPENAI_*
// variables are set.
func New(opts Options) (*Provider, error) {
	def := wire.Settings{Name: "openai", BaseURL: DefaultBaseURL, Model: DefaultModel, MaxItems: DefaultMaxItems}
	if opts.Name == "ollama" {
		// Small local models get confused by several images at once.
		def = wire.Settings{Name: "ollama", BaseURL: OllamaBaseURL, Model: DefaultOllamaModel, MaxItems: 1}
	}
	st, err := wire.Resolve(wire.Settings{Name: opts.Name, BaseURL: opts.BaseURL, Model: opts.Model, MaxItems: opts.MaxItemsPerRequest}, def)
	if err != nil {
		return nil, err
	}
	name, base, model, items := st.Name, st.BaseURL, st.Model, st.MaxItems
	cost := opts.ImageCost
	if cost == nil && name == "openai" {
		cost = CostFor(model)
	}
	audio := strings.Contains(model, "audio")
	// Only these headers leave the machine; the credential is set by the
	// transport itself, so no OPENAI_* variable (organization, project,
	// custom headers, another key) can add to or change what is sent.
	allowed := []string{"Content-Type", "Content-Length", "Accept", "User-Agent"}
	set := http.Header{}
	key := opts.APIKey
	if key != "" {
		allowed = append(allowed, "Authorization")
		set.Set("Authorization", "Bearer "+key)
	} else {
		// The SDK wants some key; the transport drops the header.
		key = "unused"
	}
	hc := wire.Client(opts.HTTPClient, wire.AllowPrefixes(allowed, []string{"X-Stainless-"}), set)
	client := sdk.NewClient(
		option.WithAPIKey(key),
		option.WithBaseURL(base),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(0),
	)
	p := &Provider{
		name:  name,
		model: model,
		key:   opts.APIKey,
		caps: provider.Capabilities{
			MaxItemsPerRequest: items,
			MaxImagesPerItem:   8,
			ImageSize:          2048,
			Audio:              audio,
			MaxInlineBytes:     50 << 20,
			ImageCost:          cost,
		},
		client: client,
	}
	return p, nil
}

// CostFor returns the billing rule of an OpenAI model by its name:
// the patch rule with the model's multiplier for gpt-4.1, gpt-5 mini/nano
// and o4-mini, the tile rule otherwise. Multipliers: gpt-4.1-mini 1.62,
// gpt-4.1-nano 2.46, o4-mini 1.72 (OpenAI's vision guide); gpt-5-mini 1.2,
// gpt-5-nano 1.5 (measured by third parties, not in the guide).
func CostFor(model string) provider.ImageCost {
	m := strings.ToLower(model)
	switch {
	case strings.HasPrefix(m, "gpt-4.1-mini"):
		return provider.PatchCost{Multiplier: 1.62}
	case strings.HasPrefix(m, "gpt-4.1-nano"):
		return provider.PatchCost{Multiplier: 2.46}
	case strings.HasPrefix(m, "gpt-4.1"):
		return provider.PatchCost{Multiplier: 1}
	case strings.HasPrefix(m, "o4-mini"):
		return provider.PatchCost{Multiplier: 1.72}
	case strings.HasPrefix(m, "gpt-5-nano"):
		return provider.PatchCost{Multiplier: 1.5}
	case strings.HasPrefix(m, "gpt-5-mini"):
		return provider.PatchCost{Multiplier: 1.2}
	case strings.HasPrefix(m, "gpt-4o-mini"):
		return provider.TileCost{Base: 2833, PerTile: 5667}
	}
	return provider.TileCost{Base: 85, PerTile: 170}
}

// Name returns "openai", "ollama" or the configured name.
func (p *Provider) Name() string { return p.name }

// Capabilities reports up to MaxItemsPerRequest files per request, images
// up to 2048 px, audio only for audio models, and the model's billing rule.
func (p *Provider) Capabilities() provider.Capabilities { return p.caps }

// Model returns the model the provider asks.
func (p *Provider) Model() string { return p.model }

func (p *Provider) fail(code provider.Code, msg string) error {
	return &provider.Error{Code: code, Provider: p.name, Message: msg}
}

// content maps the request's parts to chat content parts, or returns an
// Unsupported error for content this model cannot take.
func (p *Provider) content(req *provider.Request) ([]sdk.ChatCompletionContentPartUnionParam, error) {
	parts := make([]sdk.ChatCompletionContentPartUnionParam, 0, len(req.Parts))
	for _, part := range req.Parts {
		mt := strings.ToLower(part.MIMEType)
		switch {
		case part.IsText():
			parts = append(parts, sdk.TextContentPart(part.Text))
		case part.Streamed():
			return nil, p.fail(provider.InvalidRequest, "streamed media is not supported: this provider takes inline content only")
		case mt == "image/jpeg" || mt == "image/png" || mt == "image/webp" || mt == "image/gif":
			img := sdk.ChatCompletionContentPartImageImageURLParam{
				URL: "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(part.Data),
			}
			switch req.Detail {
			case provider.DetailLow:
				img.Detail = "low"
			case provider.DetailHigh:
				img.Detail = "high"
			}
			parts = append(parts, sdk.ImageContentPart(img))
		case strings.HasPrefix(mt, "audio/") && p.caps.Audio:
			format := ""
			switch mt {
			case "audio/wav", "audio/x-wav", "audio/wave":
				format = "wav"
			case "audio/mpeg", "audio/mp3":
				format = "mp3"
			default:
				return nil, p.fail(provider.Unsupported, "audio format "+mt+" is not accepted (wav or mp3 only)")
			}
			parts = append(parts, sdk.InputAudioContentPart(sdk.ChatCompletionContentPartInputAudioInputAudioParam{
				Data: base64.StdEncoding.EncodeToString(part.Data), Format: format,
			}))
		default:
			return nil, p.fail(provider.Unsupported, fmt.Sprintf("model %s cannot take %s content", p.model, mt))
		}
	}
	return parts, nil
}

// Generate sends req as one chat completion. See the package doc for the
// mapping and the error classification.
func (p *Provider) Generate(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, wire.TransportError(p.name, ctx, err)
	}
	parts, err := p.content(req)
	if err != nil {
		return nil, err
	}
	params := sdk.ChatCompletionNewParams{
		Model:    shared.ChatModel(p.model),
		Messages: []sdk.ChatCompletionMessageParamUnion{},
	}
	if req.Instructions != "" {
		params.Messages = append(params.Messages, sdk.SystemMessage(req.Instructions))
	}
	params.Messages = append(params.Messages, sdk.UserMessage(parts))
	if len(req.Schema) > 0 {
		var schema any
		if err := json.Unmarshal(req.Schema, &schema); err != nil {
			return nil, p.fail(provider.InvalidRequest, "request schema is not valid JSON")
		}
		params.ResponseFormat = sdk.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
				JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
					Name:   schemaName(req.SchemaName),
					Strict: sdk.Bool(true),
					Schema: schema,
				},
			},
		}
	}
	if req.MaxOutputTokens > 0 {
		if p.name == "openai" {
			params.MaxCompletionTokens = sdk.Int(int64(req.MaxOutputTokens))
		} else {
			params.MaxTokens = sdk.Int(int64(req.MaxOutputTokens))
		}
	}
	rctx, ex := wire.Record(ctx)
	out, err := p.client.Chat.Completions.New(rctx, params)
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
	if len(out.Choices) == 0 {
		return nil, p.fail(provider.BadOutput, "the answer has no choices")
	}
	choice := out.Choices[0]
	usage := provider.Usage{InputTokens: out.Usage.PromptTokens, OutputTokens: out.Usage.CompletionTokens}
	if r := strings.TrimSpace(choice.Message.Refusal); r != "" {
		return nil, &provider.Error{Code: provider.Refused, Provider: p.name, Message: "model refused: " + wire.Safe(r, p.key)}
	}
	switch choice.FinishReason {
	case "content_filter":
		return nil, p.fail(provider.Refused, "the content filter stopped the answer")
	case "length":
		return nil, p.fail(provider.Truncated, "the answer hit the output token limit")
	}
	return &provider.Response{
		Text:      choice.Message.Content,
		Model:     cmp.Or(out.Model, p.model),
		Usage:     usage,
		RateLimit: wire.ParseRateLimitHeaders(header, time.Now()),
	}, nil
}

func schemaName(s string) string {
	if s == "" {
		return "answer"
	}
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// errorBody is OpenAI's error JSON, also used by compatible servers.
type errorBody struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    any    `json:"code"`
	} `json:"error"`
}

// classify maps an error answer to a *provider.Error with a safe message.
func (p *Provider) classify(status int, header http.Header, body []byte) error {
	var eb errorBody
	_ = json.Unmarshal(body, &eb)
	code, _ := eb.Error.Code.(string)
	typ := eb.Error.Type
	c := wire.StatusCode(status)
	switch {
	case code == "insufficient_quota" || typ == "insufficient_quota" || code == "billing_hard_limit_reached":
		c = provider.QuotaExhausted
	case code == "invalid_api_key" || typ == "authentication_error":
		c = provider.Unauthenticated
	case status == http.StatusNotFound || status == http.StatusRequestEntityTooLarge:
		c = provider.InvalidRequest
	}
	e := &provider.Error{Code: c, Provider: p.name, StatusCode: status}
	if c == provider.RateLimited {
		e.RetryAfter = wire.RateLimitHint(header, time.Now())
	}
	label := code
	if label == "" {
		label = typ
	}
	msg := wire.Safe(eb.Error.Message, p.key)
	switch {
	case label != "" && msg != "":
		e.Message = wire.Safe(label) + ": " + msg
	case label != "":
		e.Message = wire.Safe(label)
	case msg != "":
		e.Message = msg
	default:
		e.Message = http.StatusText(status)
	}
	return e
}
