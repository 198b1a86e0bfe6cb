// Package openai is the picfre provider for OpenAI's chat-completions API
// and every server that speaks it (Ollama, vLLM, OpenRouter, Azure),
// built on the official SDK github.com/openai/openai-go/v3.
//
// # Setup
//
//	p, err := openai.New(openai.Options{APIKey: key})                    // OpenAI, gpt-4.1-mini
//	p, err := openai.New(openai.Options{Name: "ollama", Model: "qwen2.5vl"}) // local Ollama
//	p, err := openai.New(openai.Options{APIKey: key, BaseURL: "https://openrouter.ai/api/v1", Name: "openrouter"})
//
// BaseURL is what the SDK calls its base URL: the API root including
// "/v1". New reads no environment variable; the SDK's own OPENAI_*
// defaults are overridden and only a fixed set of headers leaves the
// machine (content type, user agent, the SDK's X-Stainless-* telemetry
// and the bearer key), so no organization or project header can name the
// account. The SDK's retries are off: wrap the provider in
// [github.com/picfre/picfre/provider.Resilient].
//
// # Mapping
//
// Instructions become the system message; parts become the user message's
// content in order: text parts as text, images as base64 data URIs with
// "detail" from Request.Detail, audio (wav, mp3) as input_audio for audio
// models only. The schema becomes response_format json_schema with
// strict true, named Request.SchemaName. MaxOutputTokens is sent as
// max_completion_tokens to OpenAI and max_tokens to compatible servers.
// Content a model cannot take fails with provider.Unsupported before
// anything is sent.
//
// # Errors
//
// 429 with code insufficient_quota is QuotaExhausted; other 429s are
// RateLimited with retry-after-ms / retry-after as hint; 401 and
// invalid_api_key are Unauthenticated; 400, 404, 413 and 422 are
// InvalidRequest; 5xx is Unavailable. A refusal or finish_reason
// content_filter is Refused; finish_reason length is Truncated. Messages
// are rebuilt from the status, the error code and the provider's message
// (cut to 200 characters, key removed), never from the SDK's error text.
//
// # Billing
//
// [CostFor] gives the image billing rule of a model: 32-px patches times
// the model's multiplier for gpt-4.1, gpt-5 mini/nano and o4-mini, 512-px
// tiles for the others. Compatible servers declare none.
package openai
