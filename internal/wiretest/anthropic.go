package wiretest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/picfre/picfre/provider"
)

type anthropicProtocol struct{}

func (anthropicProtocol) route(r *http.Request) (string, bool) {
	return "", r.Method == http.MethodPost && r.URL.Path == "/v1/messages"
}

func (anthropicProtocol) authorized(r *http.Request, key string) bool {
	return r.Header.Get("X-Api-Key") == key && r.Header.Get("Anthropic-Version") != ""
}

type anthropicBlock struct {
	Type   string `json:"type"`
	Text   string `json:"text"`
	Source *struct {
		Type      string `json:"type"`
		MediaType string `json:"media_type"`
		Data      string `json:"data"`
	} `json:"source"`
}

type anthropicRequest struct {
	Model     string          `json:"model"`
	MaxTokens int             `json:"max_tokens"`
	System    json.RawMessage `json:"system"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name        string          `json:"name"`
		InputSchema json.RawMessage `json:"input_schema"`
	} `json:"tools"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tool_choice"`
}

func (anthropicProtocol) parse(body []byte) (*Request, error) {
	var in anthropicRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, errors.New("invalid JSON body")
	}
	if in.Model == "" {
		return nil, errors.New("model: Field required")
	}
	if in.MaxTokens <= 0 {
		return nil, errors.New("max_tokens: Field required")
	}
	if len(in.Messages) == 0 {
		return nil, errors.New("messages: at least one message is required")
	}
	req := &Request{Model: in.Model, MaxOutputTokens: in.MaxTokens}
	if len(in.System) > 0 {
		var s string
		var blocks []anthropicBlock
		if json.Unmarshal(in.System, &s) == nil {
			req.Instructions = s
		} else if json.Unmarshal(in.System, &blocks) == nil {
			for _, b := range blocks {
				req.Instructions += b.Text
			}
		} else {
			return nil, errors.New("system: Input should be a valid string or list")
		}
	}
	for _, m := range in.Messages {
		if m.Role != "user" {
			return nil, fmt.Errorf("messages: unexpected role %q", m.Role)
		}
		var s string
		var blocks []anthropicBlock
		if json.Unmarshal(m.Content, &s) == nil {
			req.Texts = append(req.Texts, s)
			continue
		}
		if err := json.Unmarshal(m.Content, &blocks); err != nil {
			return nil, errors.New("messages.0.content: Input should be a valid list")
		}
		for _, b := range blocks {
			switch b.Type {
			case "text":
				req.Texts = append(req.Texts, b.Text)
			case "image":
				if b.Source == nil || b.Source.Type != "base64" {
					return nil, errors.New("messages.0.content.image.source: base64 source required by this test server")
				}
				switch b.Source.MediaType {
				case "image/jpeg", "image/png", "image/gif", "image/webp":
				default:
					return nil, fmt.Errorf("messages.0.content.image.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'")
				}
				data, err := base64.StdEncoding.DecodeString(b.Source.Data)
				if err != nil {
					return nil, errors.New("messages.0.content.image.source.data: invalid base64 data")
				}
				req.Media = append(req.Media, Media{MIMEType: b.Source.MediaType, Data: data})
			default:
				return nil, fmt.Errorf("messages.0.content: unsupported block type %q", b.Type)
			}
		}
	}
	if tc := in.ToolChoice; tc != nil && tc.Type == "tool" {
		for _, t := range in.Tools {
			if t.Name == tc.Name {
				req.Schema, req.SchemaName = t.InputSchema, t.Name
			}
		}
		if req.SchemaName == "" {
			return nil, fmt.Errorf("tool_choice: tool %q not found in tools", tc.Name)
		}
	}
	return req, nil
}

func (anthropicProtocol) notFound(w http.ResponseWriter, r *http.Request) {
	writeAnthropicError(w, http.StatusNotFound, "not_found_error", "Not found")
}

func writeAnthropicError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("request-id", "req_wiretest")
	writeJSON(w, status, map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}, "request_id": "req_wiretest"})
}

func (anthropicProtocol) fault(w http.ResponseWriter, code provider.Code, retryAfter time.Duration, detail string) {
	switch code {
	case provider.RateLimited:
		if retryAfter > 0 {
			w.Header().Set("retry-after", retrySeconds(retryAfter))
		}
		w.Header().Set("anthropic-ratelimit-requests-remaining", "0")
		w.Header().Set("anthropic-ratelimit-requests-reset", time.Now().Add(retryAfter).UTC().Format(time.RFC3339))
		writeAnthropicError(w, http.StatusTooManyRequests, "rate_limit_error",
			"This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.")
	case provider.QuotaExhausted:
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error",
			"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.")
	case provider.Unauthenticated:
		writeAnthropicError(w, http.StatusUnauthorized, "authentication_error", "invalid x-api-key")
	case provider.InvalidRequest, provider.Unsupported:
		msg := "messages: invalid request"
		if detail != "" {
			msg = detail
		}
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", msg)
	case provider.Timeout:
		writeAnthropicError(w, http.StatusGatewayTimeout, "timeout_error", "Request timed out")
	case provider.Unknown:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
	default:
		writeAnthropicError(w, 529, "overloaded_error", "Overloaded")
	}
}

func (anthropicProtocol) answer(w http.ResponseWriter, req *Request, text string, usage provider.Usage, fault provider.Code) {
	var content []any
	stop := "end_turn"
	switch {
	case fault == provider.Refused:
		stop = "refusal"
		content = []any{}
	case fault == provider.Truncated:
		stop = "max_tokens"
		content = []any{map[string]any{"type": "text", "text": text[:len(text)/2]}}
	case req.SchemaName != "" && json.Valid([]byte(text)) && text != "" && text[0] == '{':
		stop = "tool_use"
		content = []any{map[string]any{"type": "tool_use", "id": "toolu_wiretest", "name": req.SchemaName, "input": json.RawMessage(text)}}
	default:
		content = []any{map[string]any{"type": "text", "text": text}}
	}
	w.Header().Set("request-id", "req_wiretest")
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "msg_wiretest", "type": "message", "role": "assistant", "model": req.Model,
		"content": content, "stop_reason": stop, "stop_sequence": nil,
		"usage": map[string]any{
			"input_tokens": usage.InputTokens, "output_tokens": usage.OutputTokens,
			"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
		},
	})
}
