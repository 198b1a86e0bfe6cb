package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/gif"  // registers the GIF decoder for image.Decode
	_ "image/jpeg" // registers the JPEG decoder for image.Decode
	_ "image/png"  // registers the PNG decoder for image.Decode
	"strings"

	"github.com/picfre/picfre/provider"
)

// Name is the provider's stable name.
const Name = "local"

// Model is the name reported in every response. Its version changes
// whenever the analysis or the wording changes, so results stay
// attributable.
const Model = "picfre-local-1"

// Defaults for a zero Options.
const (
	DefaultMaxItems  = 16
	DefaultMaxFrames = 8
	DefaultMaxPixels = 50_000_000
	DefaultGridSize  = defaultGridSize
	imageSize        = 512
	maxGridSize      = 1024
)

// Options configure a Provider. The zero value gives the defaults.
type Options struct {
	// MaxItemsPerRequest is how many files one request may carry; 0 means
	// DefaultMaxItems. Each item is analysed on its own.
	MaxItemsPerRequest int
	// MaxImagesPerItem is how many images (video frames) one item may
	// carry; 0 means DefaultMaxFrames.
	MaxImagesPerItem int
	// MaxPixels refuses, before decoding, any image with more pixels than
	// this, as a guard against decompression bombs; 0 means
	// DefaultMaxPixels.
	MaxPixels int
	// GridSize is the long edge, in pixels, of the grid each image is
	// reduced to before analysis; 0 means DefaultGridSize (256). Larger
	// grids see finer detail and cost more; thresholds are tuned for the
	// default. Values above 1024 are treated as 1024.
	GridSize int
}

// Provider is the offline provider. It holds no mutable state and is safe
// for concurrent use. Create it with New.
type Provider struct {
	opts Options
}

var _ provider.Provider = (*Provider)(nil)

// New returns an offline provider.
func New(opts Options) *Provider {
	if opts.MaxItemsPerRequest <= 0 {
		opts.MaxItemsPerRequest = DefaultMaxItems
	}
	if opts.MaxImagesPerItem <= 0 {
		opts.MaxImagesPerItem = DefaultMaxFrames
	}
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = DefaultMaxPixels
	}
	if opts.GridSize <= 0 {
		opts.GridSize = DefaultGridSize
	}
	opts.GridSize = min(opts.GridSize, maxGridSize)
	return &Provider{opts: opts}
}

// Name returns "local".
func (p *Provider) Name() string { return Name }

// Capabilities reports many items per request, several frames per item,
// small images, no audio or video parts, images that cost nothing, and
// Pixels: Generate analyses Part.Image when the pipeline attaches it.
func (p *Provider) Capabilities() provider.Capabilities {
	return provider.Capabilities{
		MaxItemsPerRequest: p.opts.MaxItemsPerRequest,
		MaxImagesPerItem:   p.opts.MaxImagesPerItem,
		ImageSize:          imageSize,
		ImageCost:          provider.ImageCostFunc(func(int, int, provider.Detail) int { return 0 }),
		Pixels:             true,
	}
}

func (p *Provider) fail(code provider.Code, err error, format string, args ...any) error {
	return &provider.Error{Code: code, Provider: Name, Message: fmt.Sprintf(format, args...), Err: err}
}

// Generate analyses the image parts of each item and answers with the JSON
// that req.Spec asks for: {"title","description","keywords","categories"}
// for TaskMetadata (with "keywords_second" when Spec.SecondLanguage is
// set), a [PromptAnalysis] (with "prompt" and every other
// field of the structured prompt schema) for TaskPrompt, wrapped as {"items":[...]}
// when Spec.Items > 1. An image part's pixels are Part.Image when set,
// else Data decoded. Text parts are ignored. Audio, video and other
// non-image parts fail with [provider.Unsupported]; an item without an
// image, an image that does not decode or is too large fails with
// [provider.InvalidRequest]. Usage is always zero: nothing is billed.
// Generate checks ctx between items and during analysis.
func (p *Provider) Generate(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, p.fail(provider.InvalidRequest, nil, "nil request")
	}
	task := req.Spec.Task
	if task == "" {
		task = provider.TaskMetadata
	}
	if task != provider.TaskMetadata && task != provider.TaskPrompt {
		return nil, p.fail(provider.Unsupported, nil, "task %q is not supported", task)
	}
	items := max(req.Spec.Items, 1)
	if items > p.opts.MaxItemsPerRequest {
		return nil, p.fail(provider.InvalidRequest, nil, "%d items in one request, at most %d", items, p.opts.MaxItemsPerRequest)
	}
	images := make([][]provider.Part, items)
	for _, part := range req.Parts {
		if part.IsText() {
			continue
		}
		if part.Streamed() {
			return nil, p.fail(provider.InvalidRequest, nil, "streamed media is not supported: the offline provider analyses inline images only")
		}
		if !supported(part.MIMEType) {
			return nil, p.fail(provider.Unsupported, nil, "cannot take %s content: the offline provider analyses JPEG, PNG and GIF images only", safeMIME(part.MIMEType))
		}
		if part.Item < 0 || part.Item >= items {
			return nil, p.fail(provider.InvalidRequest, nil, "image part for item %d, request has %d items", part.Item, items)
		}
		images[part.Item] = append(images[part.Item], part)
	}
	answers := make([]any, items)
	for i, parts := range images {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(parts) == 0 {
			return nil, p.fail(provider.InvalidRequest, nil, "item %d has no image", i)
		}
		if len(parts) > p.opts.MaxImagesPerItem {
			return nil, p.fail(provider.InvalidRequest, nil, "item %d has %d images, at most %d", i, len(parts), p.opts.MaxImagesPerItem)
		}
		frames := make([]image.Image, len(parts))
		for j, part := range parts {
			img, err := p.pixels(part)
			if err != nil {
				return nil, p.fail(provider.InvalidRequest, err, "item %d: image %d cannot be analysed", i, j)
			}
			frames[j] = img
		}
		a, err := analyze(ctx, frames, p.opts.GridSize)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, p.fail(provider.InvalidRequest, err, "item %d cannot be analysed", i)
		}
		answers[i] = answer(a, task, req.Spec)
	}
	var v any = answers[0]
	if items > 1 {
		v = map[string]any{provider.ItemsKey: answers}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, p.fail(provider.Unknown, err, "encoding the answer")
	}
	return &provider.Response{Text: string(b), Model: Model}, nil
}

// metadata is the metadata answer object, with fields in schema order.
type metadata struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Keywords    []string `json:"keywords"`
	Categories  []string `json:"categories"`
	// KeywordsSecond is present (possibly empty) when the spec asks for a
	// second language.
	KeywordsSecond []string `json:"keywords_second,omitzero"`
}

func answer(a *Analysis, task provider.Task, spec provider.Spec) any {
	if task == provider.TaskPrompt {
		return a.PromptAnalysis()
	}
	m := metadata{
		Title:       a.Title(spec.MaxTitle),
		Description: fitDescription(a.Description(), spec.MaxDescription),
		Keywords:    a.Keywords(spec.MinKeywords, spec.MaxKeywords),
		Categories:  a.Categories(),
	}
	if spec.SecondLanguage != "" {
		// The provider writes English only: an English second language
		// gets the same keywords, any other an empty list, which the
		// schema allows and the pipeline reports as no second keywords.
		m.KeywordsSecond = []string{}
		if isEnglish(spec.SecondLanguage) {
			m.KeywordsSecond = m.Keywords
		}
	}
	return m
}

// isEnglish reports a language code for English ("en", "en-GB", "EN_us").
func isEnglish(code string) bool {
	code = strings.ToLower(code)
	return code == "en" || strings.HasPrefix(code, "en-") || strings.HasPrefix(code, "en_")
}

// fitDescription keeps d within n characters (n ≤ 0: no limit): whole
// first sentence when the full text is too long, else d cut at a word.
func fitDescription(d string, n int) string {
	if n <= 0 || len([]rune(d)) <= n {
		return d
	}
	if i := strings.Index(d, ". "); i > 0 && len([]rune(d[:i+1])) <= n {
		return d[:i+1]
	}
	return cut(d, n)
}

func supported(mime string) bool {
	mime = strings.ToLower(strings.TrimSpace(mime))
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = strings.TrimSpace(mime[:i])
	}
	switch mime {
	case "image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/gif":
		return true
	}
	return false
}

// safeMIME returns a MIME type fit for an error message: short, printable.
func safeMIME(m string) string {
	if len(m) > 40 {
		m = m[:40]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, m)
}

// pixels returns the part's image: Part.Image when set (no decoding), else
// Data decoded. Either way the MaxPixels guard applies.
func (p *Provider) pixels(part provider.Part) (image.Image, error) {
	if part.Image == nil {
		return p.decode(part.Data)
	}
	b := part.Image.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, errEmptyImage
	}
	if int64(b.Dx())*int64(b.Dy()) > int64(p.opts.MaxPixels) {
		return nil, fmt.Errorf("%d×%d pixels is more than the limit of %d", b.Dx(), b.Dy(), p.opts.MaxPixels)
	}
	return part.Image, nil
}

// decode checks the header's pixel count before decoding the image.
func (p *Provider) decode(data []byte) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, errUndecodable
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, errEmptyImage
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(p.opts.MaxPixels) {
		return nil, fmt.Errorf("%d×%d pixels is more than the limit of %d", cfg.Width, cfg.Height, p.opts.MaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, errUndecodable
	}
	return img, nil
}
