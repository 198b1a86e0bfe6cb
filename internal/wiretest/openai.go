package wiretest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/picfre/picfre/provider"
)

type openaiProtocol struct{}

func (openaiProtocol) route(r *http.Request) (string, bool) {
	return "", r.Method == http.MethodPost && r.URL.Path == "/v1/chat/completions"
}

func (openaiProtocol) authorized(r *http.Request, key string) bool {
	return r.Header.Get("Authorization") == "Bearer "+key
}

type openaiContent []struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	ImageURL *struct {
		URL    string `json:"url"`
		Detail string `json:"detail"`
	} `json:"image_url"`
	InputAudio *struct {
		Data   string `json:"data"`
		Format string `json:"format"`
	} `json:"input_audio"`
}

type openaiRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Strict bool            `json:"strict"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
	MaxCompletionTokens int `json:"max_completion_tokens"`
	MaxTokens           int `json:"max_tokens"`
}

func (openaiProtocol) parse(body []byte) (*Request, error) {
	var in openaiRequest
	if err := json.Unmarshal(body, &in); err != nil {
		//lint:ignore ST1005 the text is the provider's own error message, reproduced on the wire
		return nil, errors.New("We could not parse the JSON body of your request.")
	}
	if in.Model == "" {
		return nil, errors.New("you must provide a model parameter")
	}
	if len(in.Messages) == 0 {
		return nil, errors.New("[] is too short - 'messages'")
	}
	req := &Request{Model: in.Model, MaxOutputTokens: max(in.MaxCompletionTokens, in.MaxTokens)}
	for _, m := range in.Messages {
		var text string
		var parts openaiContent
		if err := json.Unmarshal(m.Content, &text); err != nil {
			if err := json.Unmarshal(m.Content, &parts); err != nil {
				return nil, fmt.Errorf("invalid content for a %s message", m.Role)
			}
		}
		switch m.Role {
		case "system", "developer":
			req.Instructions += text
			for _, p := range parts {
				req.Instructions += p.Text
			}
			continue
		case "user":
		default:
			return nil, fmt.Errorf("unexpected role %q", m.Role)
		}
		if text != "" {
			req.Texts = append(req.Texts, text)
		}
		for _, p := range parts {
			switch p.Type {
			case "text":
				req.Texts = append(req.Texts, p.Text)
			case "image_url":
				if p.ImageURL == nil {
					return nil, errors.New("missing image_url")
				}
				mt, data, err := parseDataURI(p.ImageURL.URL)
				if err != nil {
					return nil, err
				}
				if d := p.ImageURL.Detail; d != "" && d != "low" && d != "high" && d != "auto" && d != "original" {
					return nil, fmt.Errorf("invalid detail %q", d)
				}
				req.Media = append(req.Media, Media{MIMEType: mt, Data: data, Detail: p.ImageURL.Detail})
			case "input_audio":
				if p.InputAudio == nil {
					return nil, errors.New("missing input_audio")
				}
				data, err := base64.StdEncoding.DecodeString(p.InputAudio.Data)
				if err != nil {
					return nil, errors.New("input_audio.data is not base64")
				}
				req.Media = append(req.Media, Media{MIMEType: "audio/" + p.InputAudio.Format, Data: data})
			default:
				return nil, fmt.Errorf("unknown content part type %q", p.Type)
			}
		}
	}
	if rf := in.ResponseFormat; rf != nil && rf.Type == "json_schema" {
		if rf.JSONSchema == nil || rf.JSONSchema.Name == "" {
			//lint:ignore ST1005 the text is the provider's own error message, reproduced on the wire
			return nil, errors.New("Missing required parameter: 'response_format.json_schema.name'.")
		}
		if !json.Valid(rf.JSONSchema.Schema) {
			return nil, errors.New("response_format.json_schema.schema is not an object")
		}
		req.Schema, req.SchemaName = rf.JSONSchema.Schema, rf.JSONSchema.Name
	}
	return req, nil
}

// parseDataURI accepts "data:image/jpeg;base64,...." as OpenAI does.
func parseDataURI(u string) (string, []byte, error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return "", nil, errors.New("only base64 data URLs are accepted by this test server")
	}
	meta, payload, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		//lint:ignore ST1005 the text is the provider's own error message, reproduced on the wire
		return "", nil, errors.New("Invalid image URL: expected a base64-encoded data URL")
	}
	mt := strings.TrimSuffix(meta, ";base64")
	switch mt {
	case "image/jpeg", "image/png", "image/webp", "image/gif":
	default:
		//lint:ignore ST1005 the text is the provider's own error message, reproduced on the wire
		return "", nil, fmt.Errorf("Invalid MIME type %q. Only image types are supported.", mt)
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		//lint:ignore ST1005 the text is the provider's own error message, reproduced on the wire
		return "", nil, errors.New("Invalid base64 image_url.")
	}
	return mt, data, nil
}

func (openaiProtocol) notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
		"message": "Invalid URL (" + r.Method + " " + r.URL.Path + ")", "type": "invalid_request_error", "param": nil, "code": nil}})
}

func (openaiProtocol) fault(w http.ResponseWriter, code provider.Code, retryAfter time.Duration, detail string) {
	status, typ, ecode, msg := http.StatusInternalServerError, "server_error", any(nil), "The server had an error while processing your request. Sorry about that!"
	switch code {
	case provider.RateLimited:
		status, typ, ecode = http.StatusTooManyRequests, "requests", "rate_limit_exceeded"
		msg = "Rate limit reached for gpt-4.1-mini in organization org-wiretest on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in " + retryAfter.String() + "."
		if retryAfter > 0 {
			w.Header().Set("retry-after", retrySeconds(retryAfter))
			w.Header().Set("retry-after-ms", fmt.Sprint(retryAfter.Milliseconds()))
		}
		w.Header().Set("x-ratelimit-remaining-requests", "0")
		w.Header().Set("x-ratelimit-reset-requests", retryAfter.String())
	case provider.QuotaExhausted:
		status, typ, ecode = http.StatusTooManyRequests, "insufficient_quota", "insufficient_quota"
		msg = "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
	case provider.Unauthenticated:
		status, typ, ecode = http.StatusUnauthorized, "invalid_request_error", "invalid_api_key"
		msg = "Incorrect API key provided: sk-wrong****abcd. You can find your API key at https://platform.openai.com/account/api-keys."
	case provider.InvalidRequest, provider.Unsupported:
		status, typ = http.StatusBadRequest, "invalid_request_error"
		msg = "Invalid request."
		if detail != "" {
			msg = detail
		}
	case provider.Timeout:
		status, msg = http.StatusGatewayTimeout, "Gateway timeout."
	case provider.Unknown:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
		return
	}
	w.Header().Set("x-request-id", "req_wiretest")
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": ecode}})
}

func (openaiProtocol) answer(w http.ResponseWriter, req *Request, text string, usage provider.Usage, fault provider.Code) {
	msg := map[string]any{"role": "assistant", "content": text, "refusal": nil, "annotations": []any{}}
	finish := "stop"
	switch fault {
	case provider.Refused:
		msg["content"] = nil
		msg["refusal"] = "I'm sorry, I can't help with that request."
	case provider.Truncated:
		finish = "length"
		if len(text) > 20 {
			msg["content"] = text[:len(text)/2]
		}
	}
	w.Header().Set("x-request-id", "req_wiretest")
	w.Header().Set("openai-processing-ms", "412")
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "chatcmpl-wiretest", "object": "chat.completion", "created": time.Now().Unix(),
		"model": req.Model + "-2025-04-14",
		"choices": []any{map[string]any{
			"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish,
		}},
		"usage": map[string]any{
			"prompt_tokens": usage.InputTokens, "completion_tokens": usage.OutputTokens,
			"total_tokens":          usage.InputTokens + usage.OutputTokens,
			"prompt_tokens_details": map[string]any{"cached_tokens": 0, "audio_tokens": 0},
		},
		"service_tier": "default", "system_fingerprint": "fp_wiretest",
	})
}
