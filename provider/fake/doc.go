// Package fake is a scriptable, deterministic [provider.Provider] for tests:
// picfre's own and those of services that embed it.
//
// # Scripting
//
// [Provider.Enqueue] queues what the next calls return: an answer, a
// classified fault with an optional retry hint, or a delay. When the script
// is empty the provider answers from the request's Spec with plausible,
// deterministic metadata or prompts derived from the content bytes, so the
// same image always gets the same answer and different images different
// ones; the answer keeps to the Spec's limits and has "keywords_second"
// for a second language and "genre", "mood" and "instruments" for audio.
// [Provider.Requests] returns every request received, for assertions
// about what would have left the process.
//
// # Capabilities
//
// [Options].Capabilities are reported as they are and enforced: a task
// that Capabilities.Tasks does not declare, audio or video without
// Capabilities.Audio or Video, and streamed parts without
// Capabilities.MaxUploadBytes fail with a [provider.Error] (Unsupported or
// InvalidRequest) before the request is recorded, as a real driver fails
// before sending.
//
// # Concurrency
//
// A Provider is safe for concurrent use. Scripted steps are consumed in the
// order calls arrive.
package fake
