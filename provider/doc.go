// Package provider is the driver side of picfre: the small interface an AI
// backend implements, the request and response types that cross it, and the
// error classification every driver reports through.
//
// Embedding services do not call providers directly; they hand one to
// [github.com/picfre/picfre.New] and use the pipeline. Authors of new
// backends implement [Provider] and run the conformance suite in
// [github.com/picfre/picfre/provider/providertest]; the package example
// (Example_customProvider) is a complete provider without a language model
// that passes through the pipeline.
//
// # Privacy by construction
//
// A [Request] has no field for a file name, a path, an account or a user.
// The pipeline strips embedded metadata from every image before it becomes
// a [Part], so a driver cannot leak what it is never given.
//
// # The request
//
// A [Request] asks about Spec.Items files at once (several only when
// [Capabilities].MaxItemsPerRequest allows). Its Parts hold, for each file
// in turn, a text label ("Image 2:", only when there are several files)
// and the file's media: one image (photos, vector previews), several
// images (video frames, in time order), or one video/* or audio/* part
// (when Capabilities.Video or Audio say so); [Part].Item tells which file
// a part belongs to. Instructions (prose) and Schema (a strict JSON Schema)
// say what to answer; [Spec] says the same in fields, for providers that
// read neither. The pipeline sends only tasks [Capabilities.Supports].
// A provider that analyses pixels itself declares [Capabilities].Pixels
// and then also gets each prepared image decoded in [Part].Image, beside
// its JPEG in Data; every other provider ignores Image.
//
// # The answer
//
// [Response].Text is a JSON object. For one item (Spec.Items == 1) it is
// the item's answer; for several it is an object whose only key is
// "items" ([ItemsKey]), an array with exactly Spec.Items answers in the
// order of Part.Item:
//
//	{"items": [{...answer for item 0...}, {...answer for item 1...}]}
//
// The answer of one item to [TaskMetadata]:
//
//	{
//	  "title": "Red kite over a green hill",
//	  "description": "A red kite flies over a grassy hill under a clear sky.",
//	  "keywords": ["kite", "red", "hill", "sky", "summer", ...],
//	  "categories": ["Nature", "Leisure"],
//	  "keywords_second": ["Drachen", "rot", ...],        only when Spec.SecondLanguage is set
//	  "genre": "ambient", "mood": "calm",                 only when Spec.Media is MediaAudio
//	  "instruments": ["piano", "strings"]                 only when Spec.Media is MediaAudio
//	}
//
// Its fields:
//
//   - title: a plain, literal phrase in Spec.Language, at most
//     Spec.MaxTitle characters. Required and not empty.
//   - description: one or two sentences, at most Spec.MaxDescription
//     characters.
//   - keywords: Spec.MinKeywords to Spec.MaxKeywords single words or short
//     phrases, most important first, no duplicates. At least one is
//     required, and at least MinKeywords must survive normalization.
//   - categories: category names for the agency (the instructions name
//     them when an agency is chosen); may be empty.
//   - keywords_second: the keywords in Spec.SecondLanguage, in the same
//     order; an empty list when the provider cannot write that language.
//   - genre, mood, instruments: what an audio clip is.
//
// The answer of one item to [TaskPrompt] is a reverse prompt:
//
//	{"prompt": "a red kite over a green hill, bright midday light, 35mm photograph"}
//
// The schema the pipeline sends for this task asks for the prompt's parts
// too, all strings but "negative": "subject", "setting", "medium",
// "style", "lighting", "composition", "camera", "lens", "palette", "mood",
// "text" (lettering visible in the image) and "negative" (an array of
// things a generator should leave out). Only "prompt" is needed (not
// empty); the parts improve prompts written for a particular generator
// (Options.Generator), which need "prompt" or at least one of "subject",
// "style" and "medium".
//
// # What the pipeline accepts, tolerates and repairs
//
// It accepts at most 1 MiB of valid UTF-8 and takes the first complete
// JSON value in it, so code fences and prose around the JSON do no harm.
// For one item it also takes a one-element array or {"items": [answer]};
// for several, a bare array of exactly Spec.Items objects. Unknown fields
// are ignored; a field of the wrong type (keywords as one string, a
// number as title) fails that file with bad_output, as do an empty title
// and a metadata answer without keywords.
//
// When the text cannot be split into Spec.Items objects at all (no JSON,
// the wrong number of items), the pipeline sends the same request once
// more with a reminder of the format appended to the instructions (when
// that answer is good, the usage of both calls is counted). A second
// failure fails every file of the request with bad_output.
//
// Each answer is then normalized (see
// [github.com/picfre/picfre/stock.Normalize]): keywords are split at
// commas and semicolons, trimmed, lowercased, rid of duplicates, URLs,
// camera data and AI-provider names, and cut to the maximum; the title and
// the description are made one line and cut at a word boundary within
// their limits. A file whose title ends up empty, or whose usable keywords
// are fewer than Spec.MinKeywords, fails with bad_output.
//
// Response.Usage is split evenly among the files of the request;
// Response.Model and Response.Provider are recorded with each.
//
// # Errors
//
// A driver returns a [*Error] with a [Code] for anything that went wrong on
// the provider's side. The code tells the pipeline what to do next: retry
// after a pause ([RateLimited], [Unavailable], [Timeout]), stop the whole
// batch ([QuotaExhausted], [Unauthenticated]) or fail one file
// ([InvalidRequest], [Refused], [Truncated], [BadOutput], [Unsupported]).
// A request for a task the provider does not declare, or for content it
// cannot take, fails with [Unsupported] before anything is sent.
// Error messages never contain an API key, a request body or image bytes.
//
// # Resilience
//
// Drivers never retry. One layer of middleware, each a [Provider] wrapping
// a [Provider], does it for all of them: [Retry] (exponential backoff with
// full jitter that obeys the server's hint, a rate limit waited out for
// as long as the context lives rather than counted as a failed attempt,
// and a breaker that stops a batch at the first fatal code), [RateLimit]
// (requests and tokens per minute, a known limit or one learnt from the
// x-ratelimit-* headers or the 429s themselves, every caller on one
// pace, pausing all of them on a 429 hint), [WithTimeout]
// (per attempt) and [Fallback] (the next provider when one is down or out
// of quota). [Resilient] composes the first three in the right order.
//
// # Observability
//
// Retries are visible: [RetryOptions].OnRetry is called for each, and
// with a [RetryOptions].MeterProvider each is counted on the
// OpenTelemetry counter picfre.provider.retries and added as an event to
// the span in the request's context. They carry the attributes
// picfre.provider (the provider's Name) and picfre.code (the provider
// code), nothing of the request or its content. Nothing is recorded, and
// nothing costs, without a MeterProvider or a recording span; no global
// OpenTelemetry provider is ever used.
//
// # Cost
//
// Each provider declares how it bills images ([Capabilities].ImageCost:
// [TileCost], [PatchCost], [GeminiCost], [AreaCost], or an
// [ImageCostFunc]; a [ViewedSizer] also says what the model really sees).
// The pipeline sends each image at the size and detail level that cost
// least while the model still sees 512 pixels on the long edge, and
// reports the expected tokens in its estimates.
package provider
