package local_test

import (
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/local"
)

// TestPartImageKeepsPixelGuard checks the MaxPixels bound on Part.Image at
// its edge (TestPartImageTooLarge checks it far over), and that an empty
// Image is refused.
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
