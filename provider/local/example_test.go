package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/local"
)

// copySpaceImage draws a pale, empty left half beside a busy blue and
// yellow right half.
func copySpaceImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 600, 400))
	for y := range 400 {
		for x := range 600 {
			c := color.RGBA{245, 245, 240, 255}
			if x >= 300 {
				if (x/24+y/16)%3 == 0 {
					c = color.RGBA{250, 200, 20, 255}
				} else {
					c = color.RGBA{20, 60, uint8(150 + (x*y)%100), 255}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// The offline provider answers a metadata request from the pixels alone,
// and bills nothing.
func Example() {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, copySpaceImage(), nil); err != nil {
		panic(err)
	}
	p := local.New(local.Options{})
	resp, err := p.Generate(context.Background(), &provider.Request{
		Spec:  provider.Spec{Task: provider.TaskMetadata, Items: 1, MinKeywords: 10, MaxKeywords: 12, MaxTitle: 70},
		Parts: []provider.Part{{MIMEType: "image/jpeg", Data: buf.Bytes()}},
	})
	if err != nil {
		panic(err)
	}
	var answer struct {
		Title    string
		Keywords []string
	}
	if err := json.Unmarshal([]byte(resp.Text), &answer); err != nil {
		panic(err)
	}
	fmt.Println(answer.Title)
	fmt.Println(strings.Join(answer.Keywords, ", "))
	fmt.Println(resp.Model, resp.Usage.InputTokens, resp.Usage.OutputTokens)
	// Output:
	// Bright, vivid blue and yellow image with copy space on the left
	// blue, yellow, white, copy space, negative space, space for text, bright, high key, light, airy, vivid, colorful
	// picfre-local-1 0 0
}

// Analyze exposes the measures behind the words.
func ExampleAnalyze() {
	a, err := local.Analyze(context.Background(), copySpaceImage())
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Orientation, a.CopySpace)
	for _, c := range a.Colors {
		fmt.Printf("%s %.0f%%\n", c.Name, 100*c.Share)
	}
	fmt.Println(a.Title(70))
	// Output:
	// landscape left
	// white 50%
	// blue 31%
	// yellow 14%
	// Bright, vivid blue and yellow image with copy space on the left
}

// A reverse prompt restates the visual qualities for an image generator.
func ExampleAnalysis_Prompt() {
	a, err := local.Analyze(context.Background(), copySpaceImage())
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Prompt())
	// Output:
	// a high-key, vivid photograph dominated by blue, yellow and white, hard contrasty light, moderate detail, negative space on the left, landscape orientation
}

// The structured reverse prompt splits the same findings into fields that
// a renderer arranges for each generator.
func ExampleAnalysis_PromptAnalysis() {
	a, err := local.Analyze(context.Background(), copySpaceImage())
	if err != nil {
		panic(err)
	}
	p := a.PromptAnalysis()
	fmt.Println(p.Medium, "|", p.Style, "|", p.Lighting)
	fmt.Println(p.Composition, "|", p.Palette, "|", p.Mood)
	// Output:
	// photograph | high-key, vivid | hard contrasty light
	// negative space on the left, landscape orientation | blue, yellow and white | energetic
}
