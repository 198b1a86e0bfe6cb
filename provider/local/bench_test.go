package local_test

import (
	"image"
	"testing"

	"github.com/picfre/picfre/internal/media"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/local"
)

// scaledSample returns the coffee photograph resized (nearest neighbour) to
// the given width and passed through JPEG, so that it is the *image.YCbCr a
// pipeline request decodes to.
func scaledSample(b *testing.B, width int) (image.Image, []byte) {
	src := decodeSample(b, "coffee.png")
	sb := src.Bounds()
	h := width * sb.Dy() / sb.Dx()
	dst := image.NewRGBA(image.Rect(0, 0, width, h))
	for y := range h {
		for x := range width {
			dst.Set(x, y, src.At(sb.Min.X+x*sb.Dx()/width, sb.Min.Y+y*sb.Dy()/h))
		}
	}
	data := encodeJPEG(b, dst)
	return decode(b, data), data
}

// BenchmarkAnalyze measures the analysis of a decoded 1024-pixel photograph.
func BenchmarkAnalyze(b *testing.B) {
	img, _ := scaledSample(b, 1024)
	for b.Loop() {
		if _, err := local.Analyze(b.Context(), img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerate measures a whole metadata request for one 512-pixel
// JPEG, the size the pipeline sends: decoding, analysis and wording.
func BenchmarkGenerate(b *testing.B) {
	_, data := scaledSample(b, 512)
	p := local.New(local.Options{})
	req := &provider.Request{
		Spec:  provider.Spec{Task: provider.TaskMetadata, Items: 1, MinKeywords: 10, MaxKeywords: 25, MaxTitle: 70},
		Parts: []provider.Part{{MIMEType: "image/jpeg", Data: data}},
	}
	for b.Loop() {
		if _, err := p.Generate(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerateFromPixels compares a metadata request whose image part
// the local provider decodes from its JPEG (source=jpeg, as before issue
// 15) with one that carries the prepared pixels in Part.Image
// (source=pixels). The part is what the pipeline prepares for this
// provider: a sample photograph oriented, scaled to a 512-pixel long edge
// and encoded by internal/media, with the pixels it kept.
func BenchmarkGenerateFromPixels(b *testing.B) {
	for _, name := range []string{"coffee.png", "rocket.jpg"} {
		prep, err := media.Prepare(readSample(b, name), media.Limits{}, media.PrepareOptions{LongEdge: 512, KeepImage: true})
		if err != nil {
			b.Fatalf("prepare %s: %v", name, err)
		}
		part := provider.Part{MIMEType: prep.MIMEType, Data: prep.Data, Width: prep.Width, Height: prep.Height}
		withPixels := part
		withPixels.Image = prep.Image
		p := local.New(local.Options{})
		for _, c := range []struct {
			source string
			part   provider.Part
		}{{"jpeg", part}, {"pixels", withPixels}} {
			b.Run("sample="+name+"/source="+c.source, func(b *testing.B) {
				req := &provider.Request{
					Spec:  provider.Spec{Task: provider.TaskMetadata, Items: 1, MinKeywords: 10, MaxKeywords: 25, MaxTitle: 70},
					Parts: []provider.Part{c.part},
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.Generate(b.Context(), req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
