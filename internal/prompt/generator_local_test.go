package prompt

import (
	"encoding/json"
	"image/jpeg"
	"os"
	"strings"
	"testing"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/local"
)

// TestLocalAnswerRenders runs the offline provider on a real 3:2 photo
// with the structured schema, and renders its answer: the path of
// `picfre prompt --generator midjourney|sd`.
func TestLocalAnswerRenders(t *testing.T) {
	data, err := os.ReadFile("../../testdata/samples/rocket.jpg")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	spec := provider.Spec{Task: provider.TaskPrompt, Items: 1}
	req := &provider.Request{
		Instructions: Instructions(spec, AnalysisGuidance),
		Schema:       AnalysisSchema(spec),
		SchemaName:   SchemaName(spec.Task),
		Spec:         spec,
		Parts:        []provider.Part{{Item: 0, MIMEType: "image/jpeg", Data: data, Width: cfg.Width, Height: cfg.Height}},
	}
	resp, err := local.New(local.Options{}).Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAnalysis(json.RawMessage(resp.Text))
	if err != nil {
		t.Fatal(err)
	}
	if a.Prompt == "" || a.Subject == "" || a.Lighting == "" {
		t.Fatalf("local answered %+v", a)
	}
	mj, err := Render(Midjourney, a, cfg.Width, cfg.Height) // 640×427
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(mj.Prompt, " --ar 3:2") {
		t.Fatalf("midjourney prompt %q does not end with --ar 3:2", mj.Prompt)
	}
	sd, err := Render(SD, a, cfg.Width, cfg.Height)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Negative == "" || sd.Prompt == "" {
		t.Fatalf("sd rendered %+v", sd)
	}
}
