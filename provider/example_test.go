package provider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/provider"
)

// palette is a minimal custom provider without a language model: it
// answers the metadata task only, from the request's Spec and the
// pixels, with the JSON shape the package documentation describes.
type palette struct {
	calls atomic.Int64
}

func (*palette) Name() string { return "palette" }

// Capabilities: four files per request, metadata only (the pipeline then
// refuses the Prompt task before anything is charged), and Pixels: it
// reads the pixels, so the pipeline hands it the prepared image in
// Part.Image and it need not decode the JPEG in Data.
func (*palette) Capabilities() provider.Capabilities {
	return provider.Capabilities{MaxItemsPerRequest: 4, Tasks: []provider.Task{provider.TaskMetadata}, Pixels: true}
}

// paletteItem is one item's answer to the metadata task.
type paletteItem struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Keywords    []string `json:"keywords"`
	Categories  []string `json:"categories"`
}

func (p *palette) Generate(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !p.Capabilities().Supports(req.Spec.Task) {
		return nil, &provider.Error{Code: provider.Unsupported, Provider: p.Name(), Message: "metadata only"}
	}
	p.calls.Add(1)
	items := make([]paletteItem, req.Spec.Items)
	for _, part := range req.Parts {
		if part.IsText() {
			continue // "Image 2:" labels; there is no model to read them
		}
		if !strings.HasPrefix(part.MIMEType, "image/") || part.Streamed() {
			return nil, &provider.Error{Code: provider.Unsupported, Provider: p.Name(), Message: "images only"}
		}
		img := part.Image // set by the pipeline, since Capabilities says Pixels
		if img == nil {   // a caller that sends only the JPEG
			var err error
			if img, _, err = image.Decode(bytes.NewReader(part.Data)); err != nil {
				return nil, &provider.Error{Code: provider.InvalidRequest, Provider: p.Name(), Message: "image does not decode"}
			}
		}
		colour := dominant(img)
		items[part.Item] = paletteItem{
			Title:       cut("Abstract "+colour+" background", req.Spec.MaxTitle),
			Description: cut("A plain "+colour+" background.", req.Spec.MaxDescription),
			Keywords: []string{colour, "background", "abstract", "plain", "colour", "backdrop",
				"minimal", "simple", "wallpaper", "texture"}[:min(10, max(req.Spec.MaxKeywords, 1))],
			Categories: []string{"Backgrounds"},
		}
	}
	var answer any = items[0]
	if req.Spec.Items > 1 {
		answer = map[string]any{provider.ItemsKey: items}
	}
	text, err := json.Marshal(answer)
	if err != nil {
		return nil, &provider.Error{Code: provider.Unknown, Provider: p.Name(), Message: "encoding the answer"}
	}
	return &provider.Response{Text: string(text), Model: "palette-1"}, nil
}

// dominant names the strongest channel of the image's centre pixel.
func dominant(img image.Image) string {
	b := img.Bounds()
	r, g, bl, _ := img.At((b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2).RGBA()
	switch max(r, g, bl) {
	case r:
		return "red"
	case g:
		return "green"
	}
	return "blue"
}

func cut(s string, n int) string {
	if n > 0 && len([]rune(s)) > n {
		return string([]rune(s)[:n])
	}
	return s
}

// pattern returns a 96×64 PNG of vertical stripes of c, period pixels
// wide, on white.
func pattern(c color.RGBA, period int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			if (x/period)%2 == 0 || x == 48 {
				img.Set(x, y, c)
			} else {
				img.Set(x, y, color.White)
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// A custom provider passes through the pipeline: three files go out in
// one request and come back as {"items":[...]}, normalized; the Prompt
// task, which the provider does not declare, is refused before anything
// is charged.
func Example_customProvider() {
	p := &palette{}
	pl := picfre.New(p, picfre.Config{})
	files := []picfre.Media{
		picfre.Bytes("red.png", pattern(color.RGBA{200, 30, 30, 255}, 3)),
		picfre.Bytes("green.png", pattern(color.RGBA{30, 200, 30, 255}, 8)),
		picfre.Bytes("blue.png", pattern(color.RGBA{30, 30, 200, 255}, 24)),
	}
	err := pl.TagAll(context.Background(), slices.Values(files), picfre.Options{}, func(r *picfre.Result) error {
		fmt.Println(r.File, "|", r.Title, "|", len(r.Keywords), "keywords |", r.Usage.Provider, r.Err)
		return nil
	})
	fmt.Println("requests:", p.calls.Load(), err)

	_, err = pl.Tag(context.Background(), files[0], picfre.Options{Task: picfre.TaskPrompt})
	fmt.Println(errcode.Of(err), "| requests:", p.calls.Load())
	// Output:
	// red.png | Abstract red background | 10 keywords | palette <nil>
	// green.png | Abstract green background | 10 keywords | palette <nil>
	// blue.png | Abstract blue background | 10 keywords | palette <nil>
	// requests: 1 <nil>
	// invalid_argument | requests: 1
}
