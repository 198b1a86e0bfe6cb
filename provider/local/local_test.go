package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"strings"
	"sync"
	"testing"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/local"
	"github.com/picfre/picfre/provider/providertest"
)

type harness struct{}

func (harness) MakeProvider(context.Context) (provider.Provider, error) {
	return local.New(local.Options{}), nil
}
func (harness) Close() {}

func TestConformance(t *testing.T) {
	providertest.RunConformanceTests(t, func(*testing.T) providertest.Harness { return harness{} })
}

type answerJSON struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Keywords    []string `json:"keywords"`
	Categories  []string `json:"categories"`
	Prompt      string   `json:"prompt"`
}

// request builds a pipeline-style request with one image per item.
func request(task provider.Task, spec provider.Spec, images ...[]byte) *provider.Request {
	spec.Task = task
	spec.Items = len(images)
	req := &provider.Request{Instructions: "Describe each image.", Spec: spec}
	for i, data := range images {
		req.Parts = append(req.Parts,
			provider.Part{Item: i, MIMEType: "text/plain", Text: "Image:"},
			provider.Part{Item: i, MIMEType: "image/jpeg", Data: data})
	}
	return req
}

var stockSpec = provider.Spec{Language: "en", MinKeywords: 10, MaxKeywords: 25, MaxTitle: 70}

func generateOne(t *testing.T, p *local.Provider, req *provider.Request) answerJSON {
	t.Helper()
	resp, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	var a answerJSON
	if err := json.Unmarshal([]byte(resp.Text), &a); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, resp.Text)
	}
	return a
}

func TestNameModelCapabilitiesUsage(t *testing.T) {
	p := local.New(local.Options{})
	if p.Name() != "local" {
		t.Errorf("Name() = %q", p.Name())
	}
	c := p.Capabilities()
	if c.MaxItemsPerRequest != local.DefaultMaxItems || c.ImageSize != 512 || c.Audio || c.Video || c.MaxImagesPerItem < 2 {
		t.Errorf("capabilities %+v", c)
	}
	if c.ImageCost == nil || c.ImageCost.Tokens(4000, 3000, provider.DetailHigh) != 0 {
		t.Error("images must cost zero tokens")
	}
	resp, err := p.Generate(t.Context(), request(provider.TaskMetadata, stockSpec, providertest.SampleJPEG(t, 80, 60)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != local.Model || !strings.Contains(resp.Model, "1") {
		t.Errorf("Model = %q", resp.Model)
	}
	if resp.Usage != (provider.Usage{}) {
		t.Errorf("usage %+v, want zero", resp.Usage)
	}
	// field order follows the schema
	if !strings.HasPrefix(resp.Text, `{"title":`) {
		t.Errorf("answer %s", resp.Text)
	}
}

func TestItemsEnvelopeMatchesEachItem(t *testing.T) {
	p := local.New(local.Options{})
	red := encodeJPEG(t, fill(64, 64, flat(color.RGBA{220, 20, 30, 255})))
	blue := encodeJPEG(t, fill(64, 64, flat(color.RGBA{30, 60, 210, 255})))
	resp, err := p.Generate(t.Context(), request(provider.TaskPrompt, stockSpec, red, blue, red))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Items []answerJSON `json:"items"`
	}
	if err := json.Unmarshal([]byte(resp.Text), &v); err != nil || len(v.Items) != 3 {
		t.Fatalf("envelope %s (%v)", resp.Text, err)
	}
	if !strings.Contains(v.Items[0].Prompt, "red") || !strings.Contains(v.Items[1].Prompt, "blue") {
		t.Errorf("answers not in item order: %+v", v.Items)
	}
	if v.Items[0].Prompt != v.Items[2].Prompt {
		t.Errorf("same image, different prompts: %q vs %q", v.Items[0].Prompt, v.Items[2].Prompt)
	}
}

func TestSpecLimits(t *testing.T) {
	p := local.New(local.Options{})
	img := readSample(t, "coffee.png")
	for _, spec := range []provider.Spec{
		{MaxTitle: 18, MinKeywords: 5, MaxKeywords: 12},
		{MaxTitle: 200, MinKeywords: 30, MaxKeywords: 49},
		{MinKeywords: 0, MaxKeywords: 0, Language: "de"},
		{MaxTitle: 5, MinKeywords: 40, MaxKeywords: 20},
	} {
		req := request(provider.TaskMetadata, spec, img)
		req.Parts[1].MIMEType = "image/png"
		a := generateOne(t, p, req)
		if n := len([]rune(a.Title)); a.Title == "" || (spec.MaxTitle > 0 && n > spec.MaxTitle) {
			t.Errorf("spec %+v: title %q", spec, a.Title)
		}
		lo, hi := max(spec.MinKeywords, 10), 25
		if spec.MaxKeywords > 0 {
			hi = max(spec.MaxKeywords, spec.MinKeywords)
			lo = min(lo, spec.MaxKeywords)
		}
		if len(a.Keywords) < lo || len(a.Keywords) > hi {
			t.Errorf("spec %+v: %d keywords, want %d..%d: %v", spec, len(a.Keywords), lo, hi, a.Keywords)
		}
		seen := map[string]bool{}
		for _, k := range a.Keywords {
			if seen[k] || strings.TrimSpace(k) == "" {
				t.Errorf("duplicate or empty keyword %q in %v", k, a.Keywords)
			}
			seen[k] = true
		}
		if a.Description == "" || len(a.Categories) == 0 {
			t.Errorf("spec %+v: %+v", spec, a)
		}
	}
}

// TestSpecDescriptionAndSecondLanguage: the description keeps to
// MaxDescription, and "keywords_second" is there exactly when a second
// language is asked for: the same keywords for English, an empty list for
// a language the provider cannot write.
func TestSpecDescriptionAndSecondLanguage(t *testing.T) {
	p := local.New(local.Options{})
	img := readSample(t, "coffee.png")
	full := generateOne(t, p, pngRequest(stockSpec, img))
	if len([]rune(full.Description)) <= 40 {
		t.Fatalf("sample description %q is too short to test a limit", full.Description)
	}
	for _, limit := range []int{40, len([]rune(full.Description)) - 1, 500} {
		spec := stockSpec
		spec.MaxDescription = limit
		a := generateOne(t, p, pngRequest(spec, img))
		if n := len([]rune(a.Description)); a.Description == "" || n > limit {
			t.Errorf("MaxDescription %d: description of %d characters: %q", limit, n, a.Description)
		}
		if limit >= len([]rune(full.Description)) && a.Description != full.Description {
			t.Errorf("MaxDescription %d changed a description that fits: %q", limit, a.Description)
		}
	}
	for _, tc := range []struct {
		second string
		want   string // "absent", "same" or "empty"
	}{{"", "absent"}, {"en-GB", "same"}, {"de", "empty"}} {
		spec := stockSpec
		spec.SecondLanguage = tc.second
		resp, err := p.Generate(t.Context(), pngRequest(spec, img))
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]json.RawMessage
		if err := json.Unmarshal([]byte(resp.Text), &v); err != nil {
			t.Fatal(err)
		}
		raw, ok := v["keywords_second"]
		var got string
		switch {
		case !ok:
			got = "absent"
		case string(raw) == "[]":
			got = "empty"
		case string(raw) == string(v["keywords"]):
			got = "same"
		default:
			got = string(raw)
		}
		if got != tc.want {
			t.Errorf("second language %q: keywords_second %s, want %s", tc.second, got, tc.want)
		}
	}
}

func pngRequest(spec provider.Spec, img []byte) *provider.Request {
	req := request(provider.TaskMetadata, spec, img)
	req.Parts[1].MIMEType = "image/png"
	return req
}

func TestErrors(t *testing.T) {
	p := local.New(local.Options{MaxPixels: 100 * 100})
	good := encodeJPEG(t, fill(32, 32, flat(color.RGBA{1, 2, 3, 255})))
	big := encodeJPEG(t, fill(200, 200, flat(color.RGBA{1, 2, 3, 255})))
	tests := []struct {
		name string
		req  *provider.Request
		code provider.Code
	}{
		{"undecodable", request(provider.TaskMetadata, stockSpec, []byte("\xff\xd8\xff\xe0 not really a jpeg")), provider.InvalidRequest},
		{"too many pixels", request(provider.TaskMetadata, stockSpec, big), provider.InvalidRequest},
		{"video part", &provider.Request{Spec: provider.Spec{Task: provider.TaskMetadata, Items: 1},
			Parts: []provider.Part{{MIMEType: "video/mp4", Data: []byte("....ftypisom")}}}, provider.Unsupported},
		{"webp part", &provider.Request{Spec: provider.Spec{Task: provider.TaskMetadata, Items: 1},
			Parts: []provider.Part{{MIMEType: "image/webp", Data: []byte("RIFF....WEBP")}}}, provider.Unsupported},
		{"item without image", &provider.Request{Spec: provider.Spec{Task: provider.TaskMetadata, Items: 2},
			Parts: []provider.Part{{Item: 0, MIMEType: "image/jpeg", Data: good}}}, provider.InvalidRequest},
		{"item out of range", &provider.Request{Spec: provider.Spec{Task: provider.TaskMetadata, Items: 1},
			Parts: []provider.Part{{Item: 3, MIMEType: "image/jpeg", Data: good}}}, provider.InvalidRequest},
		{"unknown task", &provider.Request{Spec: provider.Spec{Task: "poem", Items: 1},
			Parts: []provider.Part{{MIMEType: "image/jpeg", Data: good}}}, provider.Unsupported},
		{"too many items", request(provider.TaskMetadata, stockSpec, make([][]byte, 17)...), provider.InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Generate(t.Context(), tt.req)
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Code != tt.code || pe.Provider != "local" {
				t.Fatalf("got %v, want a *provider.Error with code %q", err, tt.code)
			}
			if strings.Contains(err.Error(), "not really") {
				t.Errorf("error leaks content bytes: %v", err)
			}
		})
	}
}

func TestCanceledDuringItems(t *testing.T) {
	p := local.New(local.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	img := fill(64, 64, flat(color.RGBA{200, 100, 0, 255}))
	if _, err := local.Analyze(ctx, img); !errors.Is(err, context.Canceled) {
		t.Fatalf("Analyze with a cancelled context: %v", err)
	}
	if _, err := p.Generate(ctx, request(provider.TaskMetadata, stockSpec, encodeJPEG(t, img))); !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate with a cancelled context: %v", err)
	}
}

func TestDeterministicAndConcurrent(t *testing.T) {
	p := local.New(local.Options{})
	data := readSample(t, "astronaut.png")
	first := generateOne(t, p, request(provider.TaskMetadata, stockSpec, data))
	var wg sync.WaitGroup
	results := make([]answerJSON, 6)
	for i := range results {
		wg.Go(func() {
			resp, err := p.Generate(context.Background(), request(provider.TaskMetadata, stockSpec, data))
			if err == nil {
				err = json.Unmarshal([]byte(resp.Text), &results[i])
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	want, _ := json.Marshal(first)
	for _, r := range results {
		if got, _ := json.Marshal(r); string(got) != string(want) {
			t.Fatalf("same input, different output:\n%s\n%s", got, want)
		}
	}
}

func TestVideoFramesArePooled(t *testing.T) {
	p := local.New(local.Options{})
	n := noise(7)
	frame := func(shift int) []byte {
		return encodeJPEG(t, fill(160, 90, func(x, y int) color.RGBA {
			if (x+shift)/20%2 == 0 {
				return color.RGBA{20, 40, 200, 255}
			}
			v := n()/4 + 180
			return color.RGBA{v, v, 40, 255}
		}))
	}
	still, moving := frame(0), [][]byte{frame(0), frame(20), frame(0)}
	build := func(frames ...[]byte) *provider.Request {
		req := &provider.Request{Spec: provider.Spec{Task: provider.TaskMetadata, Items: 1, MaxTitle: 70}}
		for _, f := range frames {
			req.Parts = append(req.Parts, provider.Part{MIMEType: "image/jpeg", Data: f})
		}
		return req
	}
	a := generateOne(t, p, build(moving...))
	if !contains(a.Keywords, "motion") {
		t.Errorf("frames that change: keywords %v lack motion", a.Keywords)
	}
	b := generateOne(t, p, build(still, still, still))
	if !contains(b.Keywords, "static") || contains(b.Keywords, "motion") {
		t.Errorf("identical frames: keywords %v", b.Keywords)
	}
	many := build(still, still, still, still, still, still, still, still, still)
	if _, err := p.Generate(t.Context(), many); provider.Classify(err) != provider.InvalidRequest {
		t.Errorf("more frames than MaxImagesPerItem: %v", err)
	}
}

func TestRGBAImagesWithTransparency(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 100, 100))
	for y := range 100 {
		for x := 30; x < 70; x++ {
			img.SetNRGBA(x, y, color.NRGBA{200, 30, 30, 255})
		}
	}
	p := local.New(local.Options{})
	req := request(provider.TaskMetadata, stockSpec, encodePNG(t, img))
	req.Parts[1].MIMEType = "image/png"
	a := generateOne(t, p, req)
	if !contains(a.Keywords, "isolated") || !contains(a.Keywords, "red") || !contains(a.Keywords, "white") {
		t.Errorf("cut-out on transparency: %+v", a)
	}
}

// A part carrying both Image and Data is analysed from Image: here the
// pixels are red and the bytes blue, so the colour keyword tells which.
func TestPartImageIsUsedInsteadOfData(t *testing.T) {
	red := fill(120, 80, flat(color.RGBA{230, 20, 25, 255}))
	blue := fill(120, 80, flat(color.RGBA{20, 40, 230, 255}))
	p := local.New(local.Options{})
	req := request(provider.TaskMetadata, stockSpec, encodeJPEG(t, blue))
	req.Parts[1].Image = red
	a := generateOne(t, p, req)
	if !contains(a.Keywords, "red") || contains(a.Keywords, "blue") {
		t.Errorf("keywords %v: want red from Part.Image, not blue from Data", a.Keywords)
	}
	req.Parts[1].Image = nil
	a = generateOne(t, p, req)
	if !contains(a.Keywords, "blue") {
		t.Errorf("keywords %v without Image: want blue from Data", a.Keywords)
	}
	if !p.Capabilities().Pixels {
		t.Error("Capabilities().Pixels is false")
	}
}

// The MaxPixels guard applies to Part.Image as to Data.
func TestPartImageTooLarge(t *testing.T) {
	p := local.New(local.Options{MaxPixels: 100})
	req := request(provider.TaskMetadata, stockSpec, encodeJPEG(t, fill(8, 8, flat(color.RGBA{1, 2, 3, 255}))))
	req.Parts[1].Image = fill(20, 20, flat(color.RGBA{230, 20, 25, 255}))
	_, err := p.Generate(t.Context(), req)
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Code != provider.InvalidRequest {
		t.Fatalf("got %v, want a *provider.Error with code InvalidRequest", err)
	}
}
