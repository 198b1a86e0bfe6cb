package picfre

import (
	"time"

	"github.com/picfre/picfre/stock"
)

// Result is what Tag produces for one file.
type Result struct {
	// File is Media.Name, echoed for the caller's records.
	File string `json:"file"`
	Task Task   `json:"task"`

	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
	Categories  []string `json:"categories,omitempty"`
	// SecondKeywords are the keywords in Options.SecondLanguage.
	SecondKeywords []string `json:"second_keywords,omitempty"`
	// Answer is the model's metadata before it was normalized for
	// Options.Agency, for callers that normalize one answer for several
	// agencies (stock.Normalize). Nil for the Prompt task.
	Answer *stock.Metadata `json:"-"`
	// Problems lists what normalization found in the model's answer and
	// could not fix (for example fewer categories than the agency wants).
	Problems []string `json:"problems,omitempty"`
	// Genre, Mood and Instruments describe audio files.
	Genre       string   `json:"genre,omitempty"`
	Mood        string   `json:"mood,omitempty"`
	Instruments []string `json:"instruments,omitempty"`

	// Prompt is the reverse prompt (Task Prompt), written for Generator
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

	// Kind is "image", "vector", "video" or "audio", detected from the
	// content.
	Kind string `json:"kind,omitempty"`
	// Duration is the running time of video and audio.
	Duration time.Duration `json:"-"`

	// Width and Height are the image's or video's display size (after
	// EXIF orientation or rotation).
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`

	Usage Usage `json:"usage"`
	// Replayed is true when the file's charge was settled by an earlier
	// run with the same billing key: it was processed again, and not
	// charged again (Usage.Credits is 0).
	Replayed bool `json:"replayed,omitempty"`
	// Err is set, in TagAll results only, when the file failed. It is a
	// *Error with a Code.
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
