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
// in order (images, video and audio) up to Options.MaxInlineBytes (20 MB)
// of media per request. The schema becomes
// responseMimeType application/json with responseJsonSchema. Request.Detail
// maps to generationConfig.mediaResolution (low → MEDIA_RESOLUTION_LOW,
// high → MEDIA_RESOLUTION_HIGH). For Gemini 2.5 Flash models thinking is
// turned off unless Options.Thinking is set.
//
// # Uploads
//
// Media beyond the inline limit goes through the Files API: every
// streamed part ([github.com/picfre/picfre/provider.Part].Open, the way the
// pipeline hands over a clip from its scratch file), then the largest
// inline parts until the rest fits. Each is sent with genai's resumable
// upload in 8 MB chunks, with the neutral display name UploadDisplayName
// and never a file name (X-Goog-Upload-File-Name is stripped too). Generate
// then polls files.get, waiting Options.PollInterval and doubling up to
// MaxPollInterval, until the file is ACTIVE (videos need processing; at
// most Options.MaxProcessingWait), references it as fileData, and deletes
// it before returning — after a success, a failure or a cancellation
// alike, on a context that keeps ctx's values but not its cancellation,
// within 30 seconds and three attempts. A file that still cannot be
// deleted is reported to Options.OnCleanupError; the service removes it
// after 48 hours. Capabilities().MaxUploadBytes is the Files API's 2 GB
// per file; larger parts fail with InvalidRequest before anything is
// sent. Upload failures are classified like generateContent's, and
// genai's own chunk retries stay off. A file that processing rejects
// (state FAILED) is InvalidRequest; a local read failure of a streamed
// part is InvalidRequest with a message that names no file.
//
// # Errors
//
// A 429 RESOURCE_EXHAUSTED whose QuotaFailure names a per-day quota is
// QuotaExhausted, although Google sends a RetryInfo with it too; any other
// 429 is RateLimited with RetryInfo.retryDelay as hint. 400 with reason
// API_KEY_INVALID (Google's answer to a bad key), UNAUTHENTICATED and
// PERMISSION_DENIED are Unauthenticated; other 400s InvalidRequest; 5xx
// and UNAVAILABLE are Unavailable. Google's 403 PERMISSION_DENIED "You do
// not have permission to access the File ... or it may not exist" (an
// upload that expired or was deleted) is InvalidRequest, not a bad key. promptFeedback.blockReason and finish
// reasons SAFETY, RECITATION, PROHIBITED_CONTENT (and kin) are Refused;
// MAX_TOKENS is Truncated.
package gemini
