// Package anthropic is the picfre provider for Anthropic's Messages API,
// built on the official SDK github.com/anthropics/anthropic-sdk-go.
//
// # Setup
//
//	p, err := anthropic.New(anthropic.Options{APIKey: key}) // claude-haiku-4-5
//
// BaseURL is the host root ("https://api.anthropic.com"). New passes
// option.WithoutEnvironmentDefaults, so no ANTHROPIC_* variable or profile
// file is read, and only the key, version, content type and the SDK's
// X-Stainless-* headers leave the machine. The SDK's retries are off:
// wrap the provider in [github.com/picfre/picfre/provider.Resilient].
//
// # Mapping
//
// Instructions become the system prompt; parts become the user message's
// blocks in order (text, base64 images in JPEG, PNG, GIF or WebP). Audio
// and video fail with provider.Unsupported before anything is sent. The
// schema becomes a tool named Request.SchemaName with that input schema,
// and tool_choice forces the model to call it; the tool's input is the
// answer text. max_tokens is required by the API: DefaultMaxTokens when
// the request sets none.
//
// # Errors
//
// rate_limit_error (429) is RateLimited with retry-after as hint;
// "credit balance is too low" (a 400 invalid_request_error) and
// billing_error are QuotaExhausted; authentication_error and
// permission_error are Unauthenticated; overloaded_error (529) and
// api_error are Unavailable. stop_reason refusal is Refused; max_tokens is
// Truncated.
package anthropic
