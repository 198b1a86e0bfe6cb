package picfre

import (
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/stock"
)

// Result is what Tag produces for one file.
//
// A Result marshals to JSON as the record the CLI prints and the HTTP API
// serves (see MarshalJSON), and unmarshals from it, error and code
// included, so that results can be held, sent and read back.
type Result struct {
	// File is Media.Name, echoed for the caller's records. In JSON it is
	// escaped by EscapeName, so that a name that is not valid UTF-8
	// keeps its bytes.
	File string `json:"file"`
	Task Task   `json:"task,omitempty"`
	// Kind is "image", "vector", "video" or "audio", detected from the
	// content.
	Kind string `json:"kind,omitempty"`

	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
	Categories  []string `json:"categories,omitempty"`
	// SecondKeywords are the keywords in Options.SecondLanguage.
	SecondKeywords []string `json:"second_keywords,omitempty"`
	// Problems lists what normalization found in the model's answer and
	// could not fix (for example fewer categories than the agency wants).
	Problems []string `json:"problems,omitempty"`
	// Genre, Mood and Instruments describe audio files.
	Genre       string   `json:"genre,omitempty"`
	Mood        string   `json:"mood,omitempty"`
	Instruments []string `json:"instruments,omitempty"`

	// Prompt is the reverse prompt (TaskPrompt), written for Generator
	// when Options.Generator names one.
	Prompt string `json:"prompt,omitempty"`
	// NegativePrompt is what the generator should avoid, for generators
	// that take one (Stable Diffusion, Ideogram).
	NegativePrompt string `json:"negative_prompt,omitempty"`
	// Generator is the generator the prompt is written for.
	Generator string `json:"generator,omitempty"`
	// PromptParameters are generator settings matching the original
	// (aspect ratio, output size).
	PromptParameters map[string]string `json:"prompt_parameters,omitempty"`

	// Width and Height are the image's or video's display size (after
	// EXIF orientation or rotation).
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Duration is the running time of video and audio; in JSON
	// "duration_seconds", a number of seconds.
	Duration time.Duration `json:"-"`

	// Answer is the model's metadata before it was normalized for
	// Options.Agency, for callers that normalize one answer for several
	// agencies (stock.Normalize). Nil for the Prompt task.
	Answer *stock.Metadata `json:"answer,omitempty"`

	Usage Usage `json:"usage,omitzero"`
	// Replayed is true when the file's charge was settled by an earlier
	// run with the same billing key, within the ledger's replay window:
	// it was processed again, and not charged again (Usage.Credits is 0).
	Replayed bool `json:"replayed,omitempty"`
	// Err is set, in TagAll results, when the file failed; errcode.Of
	// gives its code. In JSON it is "error": {"code", "message"}. A
	// failed file has no answer, except one: when the provider answered
	// but the charge could not be captured, Err has the code
	// billing_failure and the Result keeps the answer (the hold was
	// voided; Usage.Credits is 0).
	Err error `json:"-"`
}

// Usage is what one file cost.
type Usage struct {
	Provider string `json:"provider,omitempty"`
	Model    string `json:"model,omitempty"`
	// InputTokens and OutputTokens are this file's share of the
	// provider's count (a request about several files is split evenly).
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	// Credits is what the file was charged.
	Credits int64 `json:"credits"`
}

// resultError is the JSON form of a failed file's error.
type resultError struct {
	Code    errcode.Code `json:"code"`
	Message string       `json:"message"`
}

// resultFields is Result without its methods, for MarshalJSON.
type resultFields Result

type resultJSON struct {
	resultFields
	Duration float64      `json:"duration_seconds,omitempty"`
	Error    *resultError `json:"error,omitempty"`
}

// MarshalJSON writes the record the CLI prints: the fields with their
// JSON names, "file" escaped by EscapeName, "duration_seconds" for
// Duration, and for a failed file "error": {"code": ..., "message": ...},
// the code from errcode.Of.
func (r Result) MarshalJSON() ([]byte, error) {
	out := resultJSON{resultFields: resultFields(r)}
	out.File = EscapeName(r.File)
	if r.Duration > 0 {
		out.Duration = r.Duration.Seconds()
	}
	if r.Err != nil {
		out.Error = &resultError{Code: errcode.Of(r.Err), Message: r.Err.Error()}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes, File unescaped by
// UnescapeName. A record with "error" gets an Err with that code and
// message.
func (r *Result) UnmarshalJSON(b []byte) error {
	var in resultJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*r = Result(in.resultFields)
	r.File = UnescapeName(r.File)
	if in.Duration < 0 || in.Duration > math.MaxInt64/1e9 {
		return errcode.New(errcode.InvalidArgument, "picfre: result: duration_seconds out of range")
	}
	r.Duration = time.Duration(math.Round(in.Duration * 1e9))
	if in.Error != nil {
		r.Err = &errcode.Error{Code: in.Error.Code, Err: errors.New(in.Error.Message)}
	}
	return nil
}
