package provider

// Capabilities describes what a provider accepts and how it bills.
// The zero value is a provider that takes one image per request at the
// pipeline's default size.
type Capabilities struct {
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
	// pipeline default.
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
