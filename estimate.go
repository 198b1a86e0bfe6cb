package picfre

import (
	"bufio"
	"context"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/media"
	"github.com/picfre/picfre/internal/prompt"
	"github.com/picfre/picfre/internal/shape"
	"github.com/picfre/picfre/provider"
)

// Estimate is the expected cost of one file before it is sent.
type Estimate struct {
	File            string `json:"file"`
	Width           int    `json:"width"`
	Height          int    `json:"height"`
	SentLongEdge    int    `json:"sent_long_edge"`
	Detail          string `json:"detail,omitempty"`
	InputTokens     int    `json:"input_tokens"`
	ItemsPerRequest int    `json:"items_per_request"`
	Provider        string `json:"provider"`
}

// Estimate reports the input tokens the file is expected to cost with the
// pipeline's provider: the image at the size and detail it would be sent,
// plus its share of the instructions when several files share a request.
// It reads the file and its header only; nothing is decoded, sent or
// charged. Estimates cover images; other kinds fail with
// unsupported_media.
func (pl *Pipeline) Estimate(ctx context.Context, m Media, o Options) (*Estimate, error) {
	s, err := pl.settings(o)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, errcode.Wrap(errcode.Canceled, err)
	}
	if m.Open == nil {
		return nil, errNoOpen
	}
	rc, err := m.Open()
	if err != nil {
		return nil, openError(err)
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, media.SniffLen)
	head, _ := r.Peek(media.SniffLen)
	f, err := media.Detect(head)
	if err != nil {
		return nil, err
	}
	if f.Kind() != media.KindImage {
		return nil, errcode.Errorf(errcode.UnsupportedMedia, "estimates cover images; this is %s", f.Kind())
	}
	data, err := readLimited(r, pl.limits().MaxBytes)
	if err != nil {
		return nil, err
	}
	info, err := media.Probe(data, pl.limits())
	if err != nil {
		return nil, err
	}
	w, h := info.DisplaySize()
	return pl.estimateSize(s, m.Name, w, h), nil
}

// EstimateSize is Estimate for an image whose display size (after EXIF
// orientation) is known without its bytes, as a browser knows it before
// the upload: name is echoed in Estimate.File. A size that is not
// positive, or beyond the pipeline's pixel limit, fails with
// invalid_argument or too_large.
func (pl *Pipeline) EstimateSize(ctx context.Context, name string, width, height int, o Options) (*Estimate, error) {
	s, err := pl.settings(o)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, errcode.Wrap(errcode.Canceled, err)
	}
	if width <= 0 || height <= 0 || width > 1<<20 || height > 1<<20 {
		return nil, errcode.Errorf(errcode.InvalidArgument, "image size %dx%d", width, height)
	}
	maxPx := pl.limits().MaxPixels
	if maxPx <= 0 {
		maxPx = media.DefaultMaxPixels
	}
	if int64(width)*int64(height) > maxPx {
		return nil, errcode.Errorf(errcode.TooLarge, "image of %d pixels; the limit is %d", int64(width)*int64(height), maxPx)
	}
	return pl.estimateSize(s, name, width, height), nil
}

func (pl *Pipeline) estimateSize(s *settings, name string, w, h int) *Estimate {
	edge, detail := shape.ChooseImage(pl.caps, w, h)
	if pl.cfg.ImageSize > 0 {
		edge, detail = min(pl.cfg.ImageSize, max(w, h)), provider.DetailAuto
	}
	items := max(pl.caps.MaxItemsPerRequest, 1)
	spec := provider.Spec{Task: s.Task, Items: items, Language: s.Language,
		MinKeywords: s.MinKeywords, MaxKeywords: s.MaxKeywords, MaxTitle: s.MaxTitle, MaxDescription: s.MaxDescription}
	instructions := (len(prompt.Instructions(spec, s.guidance())) + len(prompt.Schema(spec))) / 4 // ~4 bytes a token
	return &Estimate{
		File: name, Width: w, Height: h, SentLongEdge: edge, Detail: string(detail),
		InputTokens:     shape.EstimateInputTokens(pl.caps, w, h, instructions, items),
		ItemsPerRequest: items, Provider: pl.prov.Name(),
	}
}
