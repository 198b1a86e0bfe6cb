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

type geminiProtocol struct{}

func (geminiProtocol) route(r *http.Request) (string, bool) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	if !ok || r.Method != http.MethodPost {
		return "", false
	}
	model, ok := strings.CutSuffix(rest, ":generateContent")
	return model, ok && model != "" && !strings.Contains(model, "/")
}

func (geminiProtocol) authorized(r *http.Request, key string) bool {
	return r.Header.Get("X-Goog-Api-Key") == key
}

type geminiPart struct {
	Text       string `json:"text"`
	InlineData *struct {
		MIMEType string `json:"mimeType"`
		Data     string `json:"data"`
	} `json:"inlineData"`
	FileData *struct {
		MIMEType string `json:"mimeType"`
		FileURI  string `json:"fileUri"`
	} `json:"fileData"`
	MediaResolution *struct {
		Level string `json:"level"`
	} `json:"mediaResolution"`
}

type geminiRequest struct {
	Contents []struct {
		Role  string       `json:"role"`
		Parts []geminiPart `json:"parts"`
	} `json:"contents"`
	SystemInstruction *struct {
		Parts []geminiPart `json:"parts"`
	} `json:"systemInstruction"`
	GenerationConfig *struct {
		ResponseMIMEType   string          `json:"responseMimeType"`
		ResponseSchema     json.RawMessage `json:"responseSchema"`
		ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
		MaxOutputTokens    int             `json:"maxOutputTokens"`
		MediaResolution    string          `json:"mediaResolution"`
	} `json:"generationConfig"`
}

func (geminiProtocol) parse(body []byte) (*Request, error) {
	var in geminiRequest
	if err := json.Unmarshal(body, &in); err != nil {
		//lint:ignore ST1005 the text is the provider's own error message, reproduced on the wire
		return nil, fmt.Errorf("Invalid JSON payload received.")
	}
	if len(in.Contents) == 0 {
		return nil, errors.New("* GenerateContentRequest.contents: contents is not specified")
	}
	req := &Request{}
	if si := in.SystemInstruction; si != nil {
		for _, p := range si.Parts {
			req.Instructions += p.Text
		}
	}
	for _, c := range in.Contents {
		if c.Role != "" && c.Role != "user" {
			//lint:ignore ST1005 the text is the provider's own error message, reproduced on the wire
			return nil, fmt.Errorf("Please use a valid role: user, model.")
		}
		for _, p := range c.Parts {
			if p.InlineData != nil {
				data, err := base64.StdEncoding.DecodeString(p.InlineData.Data)
				if err != nil {
					//lint:ignore ST1005 the text is the provider's own error message, reproduced on the wire
					return nil, errors.New("Invalid value at 'contents[0].parts[1].inline_data.data' (TYPE_BYTES), Base64 decoding failed")
				}
				m := Media{MIMEType: p.InlineData.MIMEType, Data: data}
				if p.MediaResolution != nil {
					m.Detail = p.MediaResolution.Level
				}
				req.Media = append(req.Media, m)
				continue
			}
			if p.FileData != nil {
				if p.FileData.FileURI == "" {
					return nil, errors.New("* GenerateContentRequest.contents[0].parts[0].file_data.file_uri: file_uri must be set")
				}
				m := Media{MIMEType: p.FileData.MIMEType, FileURI: p.FileData.FileURI}
				if p.MediaResolution != nil {
					m.Detail = p.MediaResolution.Level
				}
				req.Media = append(req.Media, m)
				continue
			}
			req.Texts = append(req.Texts, p.Text)
		}
	}
	if gc := in.GenerationConfig; gc != nil {
		req.MaxOutputTokens = gc.MaxOutputTokens
		req.MediaResolution = gc.MediaResolution
		schema := gc.ResponseJSONSchema
		if len(schema) == 0 {
			schema = gc.ResponseSchema
		}
		if len(schema) > 0 {
			if gc.ResponseMIMEType != "application/json" {
				return nil, errors.New("response_mime_type must be application/json when a response schema is set")
			}
			req.Schema = schema
		}
	}
	return req, nil
}

func (geminiProtocol) notFound(w http.ResponseWriter, r *http.Request) {
	writeGeminiError(w, http.StatusNotFound, "NOT_FOUND", "models/x is not found for API version v1beta, or is not supported for generateContent.", nil)
}

func writeGeminiError(w http.ResponseWriter, status int, state, msg string, details []any) {
	e := map[string]any{"code": status, "message": msg, "status": state}
	if details != nil {
		e["details"] = details
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func quotaFailure(quotaID string) map[string]any {
	return map[string]any{
		"@type": "type.googleapis.com/google.rpc.QuotaFailure",
		"violations": []any{map[string]any{
			"quotaMetric":     "generativelanguage.googleapis.com/generate_content_free_tier_requests",
			"quotaId":         quotaID,
			"quotaDimensions": map[string]any{"location": "global", "model": "gemini-2.5-flash"},
			"quotaValue":      "10",
		}},
	}
}

func retryInfo(d time.Duration) map[string]any {
	return map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": fmt.Sprintf("%gs", d.Seconds())}
}

func (geminiProtocol) fault(w http.ResponseWriter, code provider.Code, retryAfter time.Duration, detail string) {
	help := map[string]any{"@type": "type.googleapis.com/google.rpc.Help", "links": []any{map[string]any{
		"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}}}
	switch code {
	case provider.RateLimited:
		details := []any{quotaFailure("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"), help}
		if retryAfter > 0 {
			details = append(details, retryInfo(retryAfter))
		}
		writeGeminiError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
			"You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10", details)
	case provider.QuotaExhausted:
		// Google sends a RetryInfo even for the daily quota; retrying
		// within the day still fails.
		writeGeminiError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
			"You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 250",
			[]any{quotaFailure("GenerateRequestsPerDayPerProjectPerModel-FreeTier"), help, retryInfo(37 * time.Second)})
	case provider.Unauthenticated:
		// The Gemini API answers a bad key with 400, not 401.
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
			[]any{map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
				"domain": "googleapis.com", "metadata": map[string]any{"service": "generativelanguage.googleapis.com"}}})
	case provider.InvalidRequest, provider.Unsupported:
		msg := "Request contains an invalid argument."
		if detail != "" {
			msg = detail
		}
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", msg, nil)
	case provider.Timeout:
		writeGeminiError(w, http.StatusGatewayTimeout, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", nil)
	case provider.Unknown:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
	default:
		writeGeminiError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "The model is overloaded. Please try again later.", nil)
	}
}

func (geminiProtocol) answer(w http.ResponseWriter, req *Request, text string, usage provider.Usage, fault provider.Code) {
	meta := map[string]any{
		"promptTokenCount": usage.InputTokens, "candidatesTokenCount": usage.OutputTokens,
		"totalTokenCount": usage.InputTokens + usage.OutputTokens,
	}
	out := map[string]any{"usageMetadata": meta, "modelVersion": req.Model, "responseId": "wiretest-response"}
	switch fault {
	case provider.Refused:
		meta["candidatesTokenCount"] = 0
		meta["totalTokenCount"] = usage.InputTokens
		out["promptFeedback"] = map[string]any{"blockReason": "SAFETY", "safetyRatings": []any{
			map[string]any{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}}}
	default:
		finish := "STOP"
		if fault == provider.Truncated {
			finish = "MAX_TOKENS"
			text = text[:len(text)/2]
		}
		out["candidates"] = []any{map[string]any{
			"content":      map[string]any{"parts": []any{map[string]any{"text": text}}, "role": "model"},
			"finishReason": finish, "index": 0,
		}}
	}
	writeJSON(w, http.StatusOK, out)
}
