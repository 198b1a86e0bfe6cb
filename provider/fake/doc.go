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
// ones. [Provider.Requests] returns every request received, for assertions
// about what would have left the process.
//
// # Concurrency
//
// A Provider is safe for concurrent use. Scripted steps are consumed in the
// order calls arrive.
package fake
