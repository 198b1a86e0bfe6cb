package provider

import (
	"context"
	"encoding/json"
	"image"
	"io"
)

// Provider is an AI backend that turns content and instructions into a JSON
// answer.
//
// Implementations must be safe for concurrent use: the pipeline calls
// Generate from many goroutines at once. Generate must honour ctx and return
// promptly once it is done. It must not retry on its own: retries, rate
// limiting and fallback live once, in the middleware of this package.
type Provider interface {
	// Name is a short stable identifier such as "openai" or "local". It is
	// recorded in usage events and never changes with the model.
	Name() string
	// Capabilities describes what the provider accepts and how it bills.
	// It must return the same value on every call.
	Capabilities() Capabilities
	// Generate sends one request and returns the model's answer. Failures
	// are reported as *Error with a Code; see Classify.
	Generate(ctx context.Context, req *Request) (*Response, error)
}

// Task says what the pipeline asks of the model. Real providers need only
// Request.Instructions and Request.Schema; offline and fake providers use the
// task to answer without a language model.
type Task string

// The tasks a request can carry.
const (
	// TaskMetadata asks for a title, description, keywords and categories.
	TaskMetadata Task = "metadata"
	// TaskPrompt asks for a reverse prompt: text that would make a
	// text-to-image generator recreate the content.
	TaskPrompt Task = "prompt"
)

// Detail is the resolution at which a provider should look at an image.
// Providers that bill by detail level (OpenAI's "detail", Gemini's media
// resolution) map it to their own setting; others ignore it.
type Detail string

// Detail levels.
const (
	DetailAuto Detail = ""
	DetailLow  Detail = "low"
	DetailHigh Detail = "high"
)

// Part is one piece of content in a request. A text part sets Text; a
// media part sets either Data (the bytes, held in memory) or Open and Size
// (the bytes, streamed on demand). Item tells which file of the request the
// part belongs to (0-based); text parts that belong to no file (the user's
// context) use -1.
type Part struct {
	Item     int
	MIMEType string // "text/plain", "image/jpeg", "video/mp4", "audio/wav", ...
	Text     string
	Data     []byte
	// Width and Height are the pixel size of an image part, 0 otherwise.
	Width, Height int
	// Open, when Data is nil, makes this a streamed media part: each call
	// returns a fresh reader of the part's Size bytes from the start. The
	// pipeline uses it for clips too large to hold in memory, reading
	// them from its scratch file. Open must be safe to call more than
	// once and from any goroutine; neither it, the reader nor their
	// errors may reveal a file name or path, and drivers never put its
	// errors in their messages.
	//
	// The pipeline sends a streamed part only to a provider whose
	// Capabilities.MaxUploadBytes is at least Size. A driver that cannot
	// stream a part either reads it fully when it is small enough to send
	// inline, or fails with InvalidRequest (Unsupported when it cannot
	// take the MIME type at all); it never sends an empty part.
	Open func() (io.ReadCloser, error) `json:"-"`
	// Size is the byte length of a streamed part (the length of Data
	// otherwise, where it may be left 0).
	Size int64
	// Image, on an image part, holds the decoded, oriented, scaled pixels
	// that Data encodes. The pipeline sets it only for providers whose
	// Capabilities.Pixels is true, and only when the pixels are already
	// decoded in hand (prepared images; not video frames, which ffmpeg
	// gives as JPEG); Data is still always set, so a driver may ignore
	// Image. Because Data is lossy, its decode may differ slightly from
	// Image. The image is shared: a driver must not modify it.
	Image image.Image `json:"-"`
}

// IsText reports whether the part carries text rather than media bytes.
func (p Part) IsText() bool { return p.Data == nil && p.Open == nil }

// Streamed reports whether the part's media bytes are read through Open
// rather than held in Data.
func (p Part) Streamed() bool { return p.Data == nil && p.Open != nil }

// MediaSize returns the byte length of a media part: len(Data), or Size
// for a streamed part; 0 for a text part.
func (p Part) MediaSize() int64 {
	if p.Data != nil {
		return int64(len(p.Data))
	}
	if p.Open != nil {
		return p.Size
	}
	return 0
}

// MediaKind is what the items of a request are, as the model should treat
// them.
type MediaKind string

// The media kinds a request can carry.
const (
	// MediaImage: photographs, illustrations and the raster previews of
	// vector files; each item has one image part. The zero MediaKind
	// means MediaImage.
	MediaImage MediaKind = "image"
	// MediaVideo: each item is a clip (one video/* part) or its frames
	// in time order (several image parts, at most
	// Capabilities.MaxImagesPerItem).
	MediaVideo MediaKind = "video"
	// MediaAudio: each item is one audio/* part.
	MediaAudio MediaKind = "audio"
)

// Spec is the structured form of what Instructions say in prose: enough
// for a provider without a language model (an offline analyser, a
// classifier, a fake) to answer without reading the instructions. Models
// that read Instructions and Schema may ignore it.
//
// The pipeline fills every field; the limits are those of the caller's
// options and agency. A zero limit means "not stated"; a provider then
// keeps to the pipeline's defaults (10 to 49 keywords, a title of at most
// 70 and a description of at most 200 characters). The answer the
// fields ask for is described in the package documentation ("The
// answer").
type Spec struct {
	// Task is what to answer: TaskMetadata or TaskPrompt. The pipeline
	// sends only tasks the provider's Capabilities support.
	Task Task
	// Items is the number of files in the request, 1 or more; the answer
	// has exactly one entry per item, in order. With Items > 1 the answer
	// is {"items": [...]}.
	Items int
	// Media is what the items are; "" means MediaImage. With MediaAudio
	// each metadata item also carries "genre", "mood" and "instruments".
	Media MediaKind
	// Language is the code of the language to write in ("en", "de",
	// "pt-BR"); "" means "en".
	Language string
	// SecondLanguage, when set, asks for the keywords once more in this
	// language, in the same order, under "keywords_second" (metadata
	// only).
	SecondLanguage string
	// MinKeywords and MaxKeywords bound the number of keywords of each
	// metadata item.
	MinKeywords int
	MaxKeywords int
	// MaxTitle and MaxDescription bound the title and the description of
	// each metadata item, in characters (Unicode code points).
	MaxTitle       int
	MaxDescription int
}

// Request is one call to a model. It has no field for a file name, a path,
// an account or a user, and must never gain one: that is how picfre keeps
// the promise that providers see the content and nothing that identifies
// whose it is.
type Request struct {
	// Instructions is the system prompt.
	Instructions string
	// Parts is the content, in order.
	Parts []Part
	// Schema is the JSON Schema the answer must satisfy (the shapes are
	// in "The answer" of the package documentation). It is written in the
	// subset every structured-output API accepts: objects with all
	// properties required and additionalProperties false, arrays, strings,
	// integers.
	Schema json.RawMessage
	// SchemaName names the schema where the API wants a name.
	SchemaName string
	// MaxOutputTokens bounds the answer; 0 leaves the provider's default.
	MaxOutputTokens int
	// Detail is the image detail level chosen for cost.
	Detail Detail
	// Spec restates Instructions and Schema as fields, for providers
	// without a language model.
	Spec Spec
}

// Usage counts tokens as the provider reported them.
type Usage struct {
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
}

// Add returns the sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{InputTokens: u.InputTokens + v.InputTokens, OutputTokens: u.OutputTokens + v.OutputTokens}
}

// Response is a model's answer.
type Response struct {
	// Text is the answer: JSON matching Request.Schema, one object for
	// one item and {"items": [...]} with one object per item for several
	// (see "The answer" in the package documentation for every field).
	// The pipeline tolerates code fences and prose around the JSON, and
	// asks once more when it finds no usable JSON.
	Text string
	// Model is the model that answered, as the provider names it.
	Model string
	// Usage is what the provider billed for this call.
	Usage Usage
	// Provider names the backend that answered; middleware such as
	// fallback sets it, drivers may leave it empty (the pipeline then uses
	// Name()).
	Provider string
	// RateLimit is what the provider reported about its rate limits with
	// this answer (x-ratelimit-* headers), nil if nothing. The RateLimit
	// middleware adapts its pace to it.
	RateLimit *RateLimitInfo
}

// ItemsKey is the only property of the answer to a request with more than
// one item: an array with one answer per item, in order.
const ItemsKey = "items"
