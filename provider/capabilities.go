package provider

import "slices"

// Capabilities describes what a provider accepts and how it bills.
// The zero value is a provider that answers every task and takes one
// image per request at the pipeline's default size.
type Capabilities struct {
	// Tasks lists the tasks the provider answers. Empty means every task
	// (TaskMetadata and TaskPrompt), so that a provider declaring nothing
	// keeps working. A provider that cannot write reverse prompts (a
	// classifier, a tagging service) declares []Task{TaskMetadata}; the
	// pipeline then refuses the Prompt task with invalid_argument before
	// anything is charged, and a request for an undeclared task must fail
	// with Unsupported. Use Supports to ask.
	Tasks []Task
	// MaxItemsPerRequest is how many files the provider may be asked about
	// in one request, each with its own answer. Packing several files pays
	// the instructions once per request instead of once per file. 0 or 1
	// means one file per request.
	MaxItemsPerRequest int
	// MaxImagesPerItem bounds the images sent for one file (video frames).
	// 0 means 1.
	MaxImagesPerItem int
	// ImageSize is the long edge, in pixels, that the provider sees best
	// for the money. Larger images are downscaled to it; 0 means the
	// pipeline's choice (the cheapest size by ImageCost at which the
	// model still sees 512 pixels, or 1024 without an ImageCost).
	ImageSize int
	// Video and Audio report native support for video/* and audio/* parts.
	Video bool
	Audio bool
	// MaxInlineBytes bounds the media bytes of one request; 0 means no
	// limit of the provider's own.
	MaxInlineBytes int64
	// MaxUploadBytes is the largest media part the provider accepts
	// through an upload API (Gemini's Files API, for example) instead of
	// inline; 0 means the provider has no upload path. Parts too large to
	// send inline, and streamed parts (Part.Open), go that way; the
	// pipeline sends a streamed part only when its Size is within this
	// bound.
	MaxUploadBytes int64
	// ImageCost is how the provider bills an image. Nil means unknown.
	ImageCost ImageCost
	// Pixels reports that the provider reads Part.Image when set, so the
	// pipeline attaches the prepared pixels to image parts. Others leave
	// it false: holding decoded pixels for every request in flight costs
	// memory.
	Pixels bool
}

// Supports reports whether the provider answers task: true when Tasks is
// empty or lists it. The empty task means TaskMetadata, the pipeline's
// default.
func (c Capabilities) Supports(task Task) bool {
	if task == "" {
		task = TaskMetadata
	}
	return len(c.Tasks) == 0 || slices.Contains(c.Tasks, task)
}

// ImageCost is a provider's billing rule for images. Implementations must
// be pure functions, safe for concurrent use.
type ImageCost interface {
	// Tokens returns the input tokens billed for an image of w×h pixels
	// sent at the given detail level.
	Tokens(w, h int, d Detail) int
}

// ImageCostFunc adapts a function to ImageCost.
type ImageCostFunc func(w, h int, d Detail) int

// Tokens calls f.
func (f ImageCostFunc) Tokens(w, h int, d Detail) int { return f(w, h, d) }
