// Package answer extracts and checks the JSON a model returned.
//
// # Tolerance
//
// Models wrap JSON in Markdown code fences, put a sentence before or after
// it, or answer a one-item request with a one-element array. Extract finds
// the JSON value in such text; anything else is a typed *Error, never a
// panic. Input size is bounded by the caller (provider answers are capped
// by MaxOutputTokens) and parsing is linear in it.
package answer
