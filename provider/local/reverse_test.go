package local_test

import (
	"encoding/json"
	"image/color"
	"slices"
	"testing"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/local"
)

// structuredKeys are the properties of the structured prompt schema the
// pipeline sends for the prompt task (internal/prompt.AnalysisSchema).
var structuredKeys = []string{"prompt", "subject", "setting", "medium", "style", "lighting", "composition",
	"camera", "lens", "palette", "mood", "text", "negative"}

func TestPromptTaskAnswersEveryStructuredField(t *testing.T) {
	p := local.New(local.Options{})
	samples := map[string][]byte{
		"rocket":  readSample(t, "rocket.jpg"),
		"hubble":  readSample(t, "hubble_deep_field.jpg"),
		"brick":   encodePNG(t, decodeSample(t, "brick.png")),
		"flat":    encodePNG(t, fill(300, 200, flat(color.RGBA{200, 30, 30, 255}))),
		"texture": encodePNG(t, decodeSample(t, "gravel.png")),
	}
	for name, data := range samples {
		t.Run(name, func(t *testing.T) {
			resp, err := p.Generate(t.Context(), request(provider.TaskPrompt, stockSpec, data))
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(resp.Text), &m); err != nil {
				t.Fatal(err)
			}
			if len(m) != len(structuredKeys) {
				t.Errorf("answer has %d keys, want %d: %s", len(m), len(structuredKeys), resp.Text)
			}
			for _, k := range structuredKeys {
				if _, ok := m[k]; !ok {
					t.Errorf("answer lacks %q", k)
				}
			}
			var a local.PromptAnalysis
			if err := json.Unmarshal([]byte(resp.Text), &a); err != nil {
				t.Fatal(err)
			}
			for field, v := range map[string]string{"prompt": a.Prompt, "subject": a.Subject, "medium": a.Medium,
				"style": a.Style, "lighting": a.Lighting, "composition": a.Composition, "mood": a.Mood} {
				if v == "" {
					t.Errorf("%s is empty", field)
				}
			}
			if a.Negative == nil || a.Text != "" {
				t.Errorf("negative %v, text %q", a.Negative, a.Text)
			}
		})
	}
}

func TestPromptAnalysisMatchesPrompt(t *testing.T) {
	a, err := local.Analyze(t.Context(), decodeSample(t, "hubble_deep_field.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	pa := a.PromptAnalysis()
	if pa.Prompt != a.Prompt() {
		t.Fatalf("Prompt %q differs from Analysis.Prompt %q", pa.Prompt, a.Prompt())
	}
	if pa.Setting != "the night sky" || !slices.Contains(pa.Negative, "people") || pa.Mood != "moody" {
		t.Errorf("star field analysed as %+v", pa)
	}
}
