package local_test

import (
	"errors"
	"image"
	"image/color"
	"slices"
	"testing"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/local"
)

func TestCapabilitiesDeclarePixels(t *testing.T) {
	if !local.New(local.Options{}).Capabilities().Pixels {
		t.Error("the local provider must declare Pixels so that the pipeline attaches the prepared image")
	}
}

// TestGenerateUsesPartImage sends a part whose Image is red and whose Data
// is a blue JPEG: the answer must describe red, proving that the pixels
// are analysed and Data is not decoded.
func TestGenerateUsesPartImage(t *testing.T) {
	red := fill(96, 64, flat(color.RGBA{220, 20, 20, 255}))
	blue := fill(96, 64, flat(color.RGBA{20, 40, 220, 255}))
	p := local.New(local.Options{})
	spec := provider.Spec{Task: provider.TaskMetadata, Items: 1, Language: "en", MinKeywords: 10, MaxKeywords: 25, MaxTitle: 70}
	ask := func(part provider.Part) []string {
		t.Helper()
		return generateOne(t, p, &provider.Request{Spec: spec, Parts: []provider.Part{part}}).Keywords
	}
	fromBlueJPEG := ask(provider.Part{MIMEType: "image/jpeg", Data: encodeJPEG(t, blue), Width: 96, Height: 64})
	if !slices.Contains(fromBlueJPEG, "blue") || slices.Contains(fromBlueJPEG, "red") {
		t.Fatalf("blue JPEG alone: keywords %v, want blue and not red", fromBlueJPEG)
	}
	fromRedPixels := ask(provider.Part{MIMEType: "image/jpeg", Data: encodeJPEG(t, blue), Width: 96, Height: 64, Image: red})
	if !slices.Contains(fromRedPixels, "red") || slices.Contains(fromRedPixels, "blue") {
		t.Errorf("red Image with blue Data: keywords %v, want red and not blue", fromRedPixels)
	}
}

// TestPartImageKeepsPixelGuard checks that MaxPixels applies to Part.Image
// as it does to Data, and that an empty Image is refused.
func TestPartImageKeepsPixelGuard(t *testing.T) {
	small := fill(40, 30, flat(color.RGBA{200, 200, 200, 255}))
	p := local.New(local.Options{MaxPixels: 100 * 100})
	spec := provider.Spec{Task: provider.TaskMetadata, Items: 1, MinKeywords: 1, MaxKeywords: 25}
	for _, c := range []struct {
		name string
		img  image.Image
		ok   bool
	}{
		{"within", fill(100, 100, flat(color.RGBA{200, 200, 200, 255})), true},
		{"over", fill(101, 100, flat(color.RGBA{200, 200, 200, 255})), false},
		{"empty", image.NewRGBA(image.Rect(0, 0, 0, 10)), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := &provider.Request{Spec: spec, Parts: []provider.Part{{MIMEType: "image/jpeg", Data: encodeJPEG(t, small), Image: c.img}}}
			_, err := p.Generate(t.Context(), req)
			if c.ok {
				if err != nil {
					t.Fatalf("Generate: %v", err)
				}
				return
			}
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Code != provider.InvalidRequest {
				t.Fatalf("err = %v, want InvalidRequest", err)
			}
		})
	}
}
