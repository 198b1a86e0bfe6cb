// Package provider is the driver side of picfre: the small interface an AI
// backend implements, the request and response types that cross it, and the
// error classification every driver reports through.
//
// Embedding services do not call providers directly; they hand one to
// [github.com/picfre/picfre.New] and use the pipeline. Authors of new
// backends implement [Provider] and run the conformance suite in
// [github.com/picfre/picfre/provider/providertest].
//
// # Privacy by construction
//
// A [Request] has no field for a file name, a path, an account or a user.
// The pipeline strips embedded metadata from every image before it becomes
// a [Part], so a driver cannot leak what it is never given.
//
// # Errors
//
// A driver returns a [*Error] with a [Code] for anything that went wrong on
// the provider's side. The code tells the pipeline what to do next: retry
// after a pause ([RateLimited], [Unavailable], [Timeout]), stop the whole
// batch ([QuotaExhausted], [Unauthenticated]) or fail one file
// ([InvalidRequest], [Refused], [Truncated], [BadOutput], [Unsupported]).
// Error messages never contain an API key, a request body or image bytes.
//
// # Resilience
//
// Drivers never retry. One layer of middleware, each a [Provider] wrapping
// a [Provider], does it for all of them: [Retry] (exponential backoff with
// full jitter that obeys the server's hint, and a breaker that stops a
// batch at the first fatal code), [RateLimit] (requests and tokens per
// minute, adapting to x-ratelimit-* headers and 429 hints), [WithTimeout]
// (per attempt) and [Fallback] (the next provider when one is down or out
// of quota). [Resilient] composes the first three in the right order.
//
// # Cost
//
// Each provider declares how it bills images ([Capabilities].ImageCost:
// [TileCost], [PatchCost], [GeminiCost], [AreaCost]). [ChooseImage] picks
// the size and detail level that cost least while the model still sees
// [DefaultMinLongEdge] pixels; [EstimateInputTokens] reports the expected
// input tokens per file, with the instructions shared by the files packed
// into one request.
package provider
