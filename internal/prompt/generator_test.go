package prompt

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/picfre/picfre/provider"
)

var bicycle = Analysis{
	Prompt:      "A photograph of a red vintage bicycle leaning against a whitewashed wall, soft morning light.",
	Subject:     "a red vintage bicycle",
	Setting:     "leaning against a whitewashed wall in a narrow street",
	Medium:      "photograph",
	Style:       "minimalist editorial",
	Lighting:    "soft morning side light",
	Composition: "bicycle centered, negative space above",
	Camera:      "full-frame DSLR at eye level",
	Lens:        "50mm, f/2.8",
	Palette:     "red, white and warm grey",
	Mood:        "calm, nostalgic",
	Negative:    []string{"people", "cars"},
}

func TestAspectRatio(t *testing.T) {
	tests := []struct {
		w, h   int
		ap, aq int
	}{
		{6000, 4000, 3, 2},
		{1000, 667, 3, 2},   // snapped: 1.4993 is within 2 % of 1.5
		{667, 1000, 2, 3},   // portrait
		{1920, 1080, 16, 9}, // exact
		{1366, 768, 16, 9},  // snapped
		{1080, 1350, 4, 5},  // exact
		{4000, 4000, 1, 1},
		{3024, 4032, 3, 4},
		{2048, 858, 31, 13}, // no common ratio near 2.387: closest small terms
		{5000, 1000, 5, 1},
		{0, 100, 1, 1},
	}
	for _, tt := range tests {
		p, q := AspectRatio(tt.w, tt.h)
		if p != tt.ap || q != tt.aq {
			t.Errorf("AspectRatio(%d, %d) = %d:%d, want %d:%d", tt.w, tt.h, p, q, tt.ap, tt.aq)
		}
	}
}

func TestRenderMidjourney(t *testing.T) {
	r, err := Render(Midjourney, bicycle, 6000, 4000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(r.Prompt, " --ar 3:2") {
		t.Fatalf("prompt %q does not end with --ar 3:2", r.Prompt)
	}
	for _, want := range []string{"a red vintage bicycle", "50mm", "--style raw", "--v 7", "--no people, cars"} {
		if !strings.Contains(r.Prompt, want) {
			t.Errorf("prompt %q lacks %q", r.Prompt, want)
		}
	}
	if r.Negative != "" || r.Parameters["aspect_ratio"] != "3:2" {
		t.Errorf("rendered %+v", r)
	}
	// An illustration gets no --style raw and no camera talk.
	ill := bicycle
	ill.Medium, ill.Negative = "flat vector illustration", nil
	r, _ = Render(Midjourney, ill, 1080, 1350)
	if strings.Contains(r.Prompt, "--style raw") || strings.Contains(r.Prompt, "50mm") || strings.Contains(r.Prompt, "--no") ||
		!strings.HasSuffix(r.Prompt, "--ar 4:5") {
		t.Errorf("illustration prompt %q", r.Prompt)
	}
}

func TestRenderStableDiffusion(t *testing.T) {
	for _, gen := range []Generator{SD, SDXL} {
		r, err := Render(gen, bicycle, 1000, 667)
		if err != nil {
			t.Fatal(err)
		}
		if r.Negative == "" || !strings.Contains(r.Negative, "people") || !strings.Contains(r.Negative, "watermark") {
			t.Errorf("%s negative %q", gen, r.Negative)
		}
		if !strings.HasPrefix(r.Prompt, "a red vintage bicycle, ") || !strings.Contains(r.Prompt, "photorealistic") {
			t.Errorf("%s prompt %q", gen, r.Prompt)
		}
		if strings.Contains(r.Prompt, "--") {
			t.Errorf("%s prompt has Midjourney parameters: %q", gen, r.Prompt)
		}
	}
	r, _ := Render(SDXL, bicycle, 1000, 667)
	if r.Parameters["width"] != "1216" || r.Parameters["height"] != "832" {
		t.Errorf("SDXL size %v, want 1216×832 for 3:2", r.Parameters)
	}
	r, _ = Render(SD, bicycle, 1000, 667)
	if r.Parameters["width"] != "768" || r.Parameters["height"] != "512" {
		t.Errorf("SD size %v", r.Parameters)
	}
	// Lettering in the image keeps "text" out of the negative prompt.
	sign := bicycle
	sign.Text = "OPEN"
	r, _ = Render(SD, sign, 100, 100)
	if slices.Contains(strings.Split(r.Negative, ", "), "text") || !strings.Contains(r.Prompt, `"OPEN"`) {
		t.Errorf("with text: %q / %q", r.Prompt, r.Negative)
	}
}

func TestRenderNaturalLanguage(t *testing.T) {
	for _, gen := range []Generator{Flux, DALLE, Ideogram} {
		r, err := Render(gen, bicycle, 3000, 2000)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.Prompt, "A photograph of a red vintage bicycle, leaning against") ||
			!strings.Contains(r.Prompt, "Shot with full-frame DSLR at eye level, 50mm, f/2.8.") || strings.Contains(r.Prompt, "--") {
			t.Errorf("%s prompt %q", gen, r.Prompt)
		}
	}
	r, _ := Render(DALLE, bicycle, 3000, 2000)
	if r.Parameters["size"] != "1536x1024" || !strings.HasSuffix(r.Prompt, "Avoid people and cars.") {
		t.Errorf("dalle %+v", r)
	}
	r, _ = Render(Ideogram, bicycle, 2000, 3000)
	if r.Parameters["aspect_ratio"] != "2x3" || r.Negative != "people, cars" || strings.Contains(r.Prompt, "text") {
		t.Errorf("ideogram %+v", r)
	}
	sign := bicycle
	sign.Text = "OPEN"
	r, _ = Render(Ideogram, sign, 100, 100)
	if !strings.Contains(r.Prompt, `It shows the text "OPEN".`) {
		t.Errorf("ideogram with text %q", r.Prompt)
	}
	r, _ = Render(Flux, sign, 100, 100)
	if strings.Contains(r.Prompt, "OPEN") || r.Negative != "" {
		t.Errorf("flux quotes text or has a negative: %+v", r)
	}
}

func TestRenderPromptOnly(t *testing.T) {
	old := Analysis{Prompt: "a muted photograph dominated by brown, soft diffuse light."}
	for _, gen := range Generators() {
		r, err := Render(gen, old, 1500, 1000)
		if err != nil {
			t.Fatalf("%s: %v", gen, err)
		}
		if !strings.Contains(r.Prompt, "a muted photograph dominated by brown") {
			t.Errorf("%s lost the prompt: %q", gen, r.Prompt)
		}
	}
	r, _ := Render(Midjourney, old, 1500, 1000)
	if r.Prompt != "a muted photograph dominated by brown, soft diffuse light --v 7 --ar 3:2" {
		t.Errorf("midjourney %q", r.Prompt)
	}
	if _, err := Render(Midjourney, Analysis{}, 1, 1); err == nil {
		t.Error("empty analysis rendered")
	}
	if _, err := Render("nope", bicycle, 1, 1); err == nil {
		t.Error("unknown generator rendered")
	}
}

func TestParseGenerator(t *testing.T) {
	tests := map[string]Generator{
		"midjourney": Midjourney, "MJ": Midjourney, "sd": SD, "stable-diffusion": SD, "SD 1.5": SD,
		"sdxl": SDXL, "stable_diffusion_xl": SDXL, "flux": Flux, "FLUX.1-dev": Flux, "flux-schnell": Flux,
		"dalle": DALLE, "DALL·E 3": DALLE, "dall-e": DALLE, "gpt-image-1": DALLE, "ideogram": Ideogram,
	}
	for name, want := range tests {
		if got, err := ParseGenerator(name); err != nil || got != want {
			t.Errorf("ParseGenerator(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	_, err := ParseGenerator("imagen")
	if err == nil || !strings.Contains(err.Error(), "midjourney, sd, sdxl, flux, dalle, ideogram") {
		t.Errorf("unknown generator error %v", err)
	}
}

func TestAnalysisSchema(t *testing.T) {
	for _, n := range []int{1, 4} {
		raw := AnalysisSchema(provider.Spec{Task: provider.TaskPrompt, Items: n})
		var v map[string]any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		checkStrict(t, v)
		item := v
		if n > 1 {
			item = v["properties"].(map[string]any)[provider.ItemsKey].(map[string]any)["items"].(map[string]any)
		}
		props := item["properties"].(map[string]any)
		// Every JSON field of Analysis is in the schema, and nothing else.
		b, _ := json.Marshal(Analysis{})
		var fields map[string]any
		_ = json.Unmarshal(b, &fields)
		if len(props) != len(fields) {
			t.Fatalf("schema has %d properties, Analysis %d", len(props), len(fields))
		}
		for f := range fields {
			if _, ok := props[f]; !ok {
				t.Errorf("schema lacks %q", f)
			}
		}
	}
}

func TestParseAnalysis(t *testing.T) {
	a, err := ParseAnalysis(json.RawMessage(`{"prompt":"a cat"}`))
	if err != nil || a.Prompt != "a cat" || a.Subject != "" {
		t.Fatalf("old answer: %+v, %v", a, err)
	}
	b, _ := json.Marshal(bicycle)
	a, err = ParseAnalysis(b)
	if err != nil || a.Lens != bicycle.Lens || len(a.Negative) != 2 {
		t.Fatalf("full answer: %+v, %v", a, err)
	}
	if _, err := ParseAnalysis(json.RawMessage(`{"negative":"x"}`)); err == nil {
		t.Fatal("wrong type accepted")
	}
}
