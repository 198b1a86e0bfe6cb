// Package providertest is the conformance suite every picfre provider
// passes. A driver's test file implements [Harness] in about thirty lines
// and calls [RunConformanceTests]; the suite then checks, one subtest per
// behaviour and only through the public [provider.Provider] interface, that
// the driver answers the tasks it declares, honours cancellation and deadlines, never
// retries on its own, classifies each kind of failure with the right
// [provider.Code], keeps API keys out of error messages, refuses content it
// cannot take, and is safe for concurrent use.
//
// # Scripted and unscripted providers
//
// A provider backed by a server the test controls (a fake, or a real driver
// pointed at an in-process server speaking the provider's wire protocol)
// implements [Scripted] as well, and the suite then also drives every
// failure mode. A provider that computes its own answers, such as the
// offline one, runs the behaviours that do not need a script.
//
// # Declared tasks
//
// A provider that declares only some tasks ([provider.Capabilities].Tasks,
// for example metadata only) skips the behaviours of the others; the
// suite checks instead that the declaration is consistent: only known
// tasks, none twice, Supports agreeing with the list, and a request for an
// undeclared task failing with [provider.Unsupported] without reaching the
// server. The behaviours that do not depend on the task run with the
// metadata task, or the prompt task for a provider that declares only
// that.
package providertest
