// Package wiretest runs in-process HTTP servers that speak the real wire
// protocols of OpenAI (chat completions), the Gemini API (generateContent)
// and Anthropic (Messages): their paths, authentication headers, request
// and answer JSON, error bodies, retry hints and rate-limit headers.
//
// # Use
//
// The drivers' conformance tests run against them through [Harness]; the
// CLI and pipeline tests point a real provider's base URL at
// [Server.BaseURL]. Every request is recorded as raw bytes ([Server.Wire])
// and parsed ([Server.Requests]), so tests can check what left the
// machine.
//
// # Gemini Files API
//
// The Gemini server also speaks the Files API the way google.golang.org/genai
// uses it: the resumable upload (POST /upload/v1beta/files with
// X-Goog-Upload-Protocol: resumable and X-Goog-Upload-Command: start,
// answered with X-Goog-Upload-URL; chunks with "upload" or "upload,
// finalize" and X-Goog-Upload-Offset, 8 MB granularity), GET and DELETE
// /v1beta/files/{id}, and fileData parts in generateContent. Video and
// audio files stay PROCESSING for Options.ProcessingPolls reads;
// generateContent refuses a file that is not ACTIVE (400
// FAILED_PRECONDITION) or does not exist (403 PERMISSION_DENIED, as the
// service does). [Server.Uploads] records every finalized upload,
// [Server.Files] what is still stored, and [Server.EnqueueFiles] scripts
// faults of Files API calls.
//
// # Answers and faults
//
// Scripted outcomes ([Server.Enqueue]) come first; each fault code is
// answered the way the real service fails (OpenAI insufficient_quota,
// Gemini QuotaFailure with a per-day quota, Anthropic "credit balance is
// too low", 429s with retry-after, retry-after-ms or RetryInfo, 5xx,
// refusals, safety blocks, truncated answers, non-JSON answers).
// Unscripted requests get [Answer]: valid JSON built from the request's
// own schema, one entry per image for a packed request. Options add a
// seeded fraction of 429s, a requests-per-minute token bucket and a
// latency range, for resilience tests and benchmarks.
package wiretest
