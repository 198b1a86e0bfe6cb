package picfre

import (
	"fmt"
	"time"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/provider"
)

// Task is what to produce for a file.
type Task = provider.Task

// The tasks.
const (
	// Metadata: a title, a description, keywords and categories.
	Metadata = provider.TaskMetadata
	// Prompt: a reverse prompt that would recreate the image in a
	// text-to-image generator.
	Prompt = provider.TaskPrompt
)

// Options are the per-call settings of Tag and TagAll. The zero value asks
// for English metadata with 10–49 keywords.
type Options struct {
	// Task is Metadata (the default) or Prompt.
	Task Task
	// Language is the BCP 47 code of the language to write in ("en" when
	// empty).
	Language string
	// MinKeywords and MaxKeywords bound the keyword count (defaults 10
	// and 49). Extra keywords are cut from the end, so the most important
	// stay.
	MinKeywords, MaxKeywords int
	// MaxTitle and MaxDescription bound lengths in characters (defaults
	// 70 and 200).
	MaxTitle, MaxDescription int
	// Context is the user's own note about the file ("wedding, May
	// 2025"). It is sent to the provider as given: it is the user's
	// choice to share it.
	Context string
	// Account is the account billed through the Config's meter. It is
	// never sent to a provider.
	Account string
	// Concurrency bounds the requests TagAll runs at once (default 4).
	Concurrency int
	// Progress, if set, is called by TagAll after each file, from one
	// goroutine at a time, with the number of files done and failed so far.
	Progress func(done, failed int)
}

func (o Options) withDefaults() (Options, error) {
	if o.Task == "" {
		o.Task = Metadata
	}
	if o.Task != Metadata && o.Task != Prompt {
		return o, &Error{Code: CodeInvalidArgument, Err: fmt.Errorf("unknown task %q", o.Task)}
	}
	if o.Language == "" {
		o.Language = "en"
	}
	if o.MinKeywords == 0 {
		o.MinKeywords = 10
	}
	if o.MaxKeywords == 0 {
		o.MaxKeywords = max(49, o.MinKeywords)
	}
	if o.MaxTitle == 0 {
		o.MaxTitle = 70
	}
	if o.MaxDescription == 0 {
		o.MaxDescription = 200
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.MinKeywords < 0 || o.MaxKeywords < o.MinKeywords || o.MaxTitle < 0 || o.MaxDescription < 0 {
		return o, &Error{Code: CodeInvalidArgument, Err: fmt.Errorf("keyword range %d-%d or length limits are not valid", o.MinKeywords, o.MaxKeywords)}
	}
	return o, nil
}

// Config is the pipeline's fixed setup. The zero value is a free pipeline
// with default media limits.
type Config struct {
	// Meter bills each file. Nil means metering.Discard{}: nothing is
	// held, charged or recorded.
	Meter metering.Hook
	// Price returns the credits a file costs. Nil means every file is
	// free (0 credits), which with a real ledger still records usage.
	Price func(PriceInput) (int64, error)
	// MaxBytes bounds a file's size (default 100 MiB).
	MaxBytes int64
	// MaxPixels bounds an image's pixel count, checked from the header
	// before decoding (default 100 megapixels).
	MaxPixels int64
	// ImageSize overrides the long edge, in pixels, that images are
	// downscaled to before they are sent. 0 lets the provider choose.
	ImageSize int
	// Now is the clock for usage events (time.Now when nil).
	Now func() time.Time
}

// PriceInput describes a file to price.
type PriceInput struct {
	Task      Task
	MediaType string // "image", "video", "audio"
	Duration  time.Duration
}
