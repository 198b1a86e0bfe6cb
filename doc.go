// Package picfre turns stock media into what stock agencies want: a title,
// a description, keywords and categories, or a reverse prompt for a
// text-to-image generator. It runs in-process inside any Go service, with
// billing, retention and privacy built into the pipeline.
//
// # Quick start
//
//	pl := picfre.New(local.New(local.Options{}), picfre.Config{})
//	res, err := pl.Tag(ctx, picfre.File("photo.jpg"), picfre.Options{})
//
// local is the offline provider; see the provider packages for OpenAI,
// Gemini and Anthropic, and wrap a real provider in provider.Resilient
// (retries with backoff, rate limits, timeouts) before handing it over.
//
// # The path of one file
//
// Each file is sniffed by content (never by its name). An image is checked
// against the byte and pixel limits from its header before anything is
// decoded, oriented, downscaled to what the provider bills least for, and
// re-encoded, which drops every byte of embedded metadata; an SVG is
// rasterized first. A video or audio file is streamed into a private
// scratch folder and probed with ffprobe; a video becomes a bounded number
// of frames, or the clip itself remuxed without metadata for providers
// that take video, and a recording is sent remuxed without metadata to
// providers that take audio (others refuse it before anything is charged).
// The scratch folder is removed when the file is done, on every path. Its credits are
// then held through the [Config] Meter, the provider is called, the answer
// is parsed (tolerating code fences and prose, asking once more if it is
// not the JSON asked for) and normalized, and the hold is captured. Any
// failure after the hold voids it, cancellation included, so a file that
// failed costs nothing.
//
// # What leaves the process
//
// Providers receive the re-encoded pixels and the instructions. The
// provider request type has no field for a file name, an account or a
// user, so none can be sent. [Media.Name] and [Options.Account] go only to
// the caller's own metering hook and the results.
//
// # Billing
//
// With a Config.Meter (a *metering.Ledger, or any metering.Hook) each file
// is billed under one key (see [Media.Key]): the account, the content and
// every option that shapes the answer, not the name. The same photo with
// the same options is charged once, under whatever name it comes, and a
// re-run within the ledger's replay window (24 hours by default) is
// Replayed at no cost; after it, it is charged again. A file with a key
// already in progress in the pipeline waits for that one and is Replayed
// at no cost. No file is held for more than Config.MaxCredits.
//
// # Errors
//
// Every error returned carries an errcode.Code, picfre's one vocabulary:
// errcode.Of(err), or errors.Is(err, errcode.TooLarge) and friends; the
// metering, retention, privacy and provider packages answer to the same
// codes, and Code.HTTPStatus maps them to HTTP. In a batch, each failed
// file's [Result] carries its error and the batch goes on.
//
// # Observability
//
// Config.Logger gets one record per file; Config.TracerProvider a span
// per file and per provider request; Config.MeterProvider counters of
// files, failures by code, credits, tokens and requests. None of them
// carries content, generated metadata, file names or accounts unless
// Config.Identify says so, and each costs nothing when unset.
//
// # Concurrency
//
// A [Pipeline] is safe for concurrent use. [Pipeline.TagAll] bounds the
// groups of files in flight (Options.Concurrency) and its memory does not
// grow with the batch length; Config.MaxRequests bounds the provider
// requests of all calls together.
package picfre
