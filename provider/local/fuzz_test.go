package local_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"testing"
	"time"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/local"
)

// FuzzGenerate feeds arbitrary bytes to the provider as an image. It must
// answer valid JSON or fail with a classified *provider.Error, never panic,
// hang or allocate without bound.
func FuzzGenerate(f *testing.F) {
	small := fill(40, 30, func(x, y int) color.RGBA { return color.RGBA{uint8(x * 6), uint8(y * 8), 90, 255} })
	f.Add(encodeJPEG(f, small))
	f.Add(encodePNG(f, small))
	gray := image.NewGray(image.Rect(0, 0, 9, 5))
	f.Add(encodePNG(f, gray))
	var g bytes.Buffer
	if err := gif.Encode(&g, small, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(g.Bytes())
	f.Add([]byte{})
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x7f\xff\xff\xff\x7f\xff\xff\xff\x08\x02\x00\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xdb\x00\x43\x00"))
	p := local.New(local.Options{MaxPixels: 1 << 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, task := range []provider.Task{provider.TaskMetadata, provider.TaskPrompt} {
			req := &provider.Request{
				Spec:  provider.Spec{Task: task, Items: 1, MinKeywords: 10, MaxKeywords: 25, MaxTitle: 70},
				Parts: []provider.Part{{MIMEType: "image/png", Data: data}},
			}
			start := time.Now()
			resp, err := p.Generate(t.Context(), req)
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("Generate took %s on %d bytes", d, len(data))
			}
			if err != nil {
				var pe *provider.Error
				if !errors.As(err, &pe) || pe.Code != provider.InvalidRequest {
					t.Fatalf("error %v is not an invalid_request *provider.Error", err)
				}
				continue
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(resp.Text), &v); err != nil {
				t.Fatalf("answer is not JSON: %v", err)
			}
		}
	})
}
