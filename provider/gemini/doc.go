// Package gemini is the picfre provider for the Gemini API, built on
// google.golang.org/genai (the older generative-ai-go is deprecated).
//
// # Setup
//
//	p, err := gemini.New(gemini.Options{APIKey: key}) // gemini-2.5-flash
//
// BaseURL is the host root ("https://generativelanguage.googleapis.com/").
// New sets the backend, key, base URL and API version explicitly, so no
// GOOGLE_* or GEMINI_* variable changes what it does; only the key, content
// type and client identification headers leave the machine. genai's
// retries are off (one attempt): wrap the provider in
// [github.com/picfre/picfre/provider.Resilient].
//
// # Mapping
//
// Instructions become the system instruction; parts become inline parts
// in order (images, video and audio all inline). The schema becomes
// responseMimeType application/json with responseJsonSchema. Request.Detail
// maps to generationConfig.mediaResolution (low → MEDIA_RESOLUTION_LOW,
// high → MEDIA_RESOLUTION_HIGH). For Gemini 2.5 Flash models thinking is
// turned off unless Options.Thinking is set.
//
// # Errors
//
// A 429 RESOURCE_EXHAUSTED whose QuotaFailure names a per-day quota is
// QuotaExhausted, although Google sends a RetryInfo with it too; any other
// 429 is RateLimited with RetryInfo.retryDelay as hint. 400 with reason
// API_KEY_INVALID (Google's answer to a bad key), UNAUTHENTICATED and
// PERMISSION_DENIED are Unauthenticated; other 400s InvalidRequest; 5xx
// and UNAVAILABLE are Unavailable. promptFeedback.blockReason and finish
// reasons SAFETY, RECITATION, PROHIBITED_CONTENT (and kin) are Refused;
// MAX_TOKENS is Truncated.
package gemini
