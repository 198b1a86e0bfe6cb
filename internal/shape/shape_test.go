package shape

import (
	"testing"

	"github.com/picfre/picfre/provider"
)

// rules are the billing rules of the real providers' default models.
var rules = []struct {
	name string
	caps provider.Capabilities
}{
	{"openai gpt-4o (tiles)", provider.Capabilities{ImageSize: 2048, ImageCost: provider.TileCost{Base: 85, PerTile: 170}}},
	{"openai gpt-4.1-mini (patches ×1.62)", provider.Capabilities{ImageSize: 2048, ImageCost: provider.PatchCost{Multiplier: 1.62}}},
	{"openai gpt-5-mini (patches ×1.2)", provider.Capabilities{ImageSize: 2048, ImageCost: provider.PatchCost{Multiplier: 1.2}}},
	{"gemini 2.5 (768 tiles)", provider.Capabilities{ImageSize: 768, ImageCost: provider.GeminiCost{}}},
	{"anthropic (w·h/750)", provider.Capabilities{ImageSize: 1568, ImageCost: provider.AreaCost{}}},
}

func TestChooseImageFor24Megapixels(t *testing.T) {
	const w, h = 6000, 4000
	want := []struct {
		edge   int
		detail provider.Detail
		tokens int
	}{
		{512, provider.DetailLow, 85},   // low detail: the model sees 512 px for 85
		{512, provider.DetailAuto, 286}, // 16×11 patches ×1.62
		{512, provider.DetailAuto, 212}, // 16×11 patches ×1.2
		{768, provider.DetailAuto, 258}, // one 768 tile; 512 would cost the same
		{512, provider.DetailAuto, 233}, // 512×341/750
	}
	for i, r := range rules {
		edge, d := ChooseImage(r.caps, w, h)
		tok := ImageTokens(r.caps, w, h, edge, d)
		asIs := r.caps.ImageCost.Tokens(w, h, provider.DetailAuto)
		t.Logf("%-38s as is %5d tokens; shaped to %4d px, detail %-4q: %4d tokens", r.name, asIs, edge, d, tok)
		if edge != want[i].edge || d != want[i].detail || tok != want[i].tokens {
			t.Errorf("%s: got %d px %q %d tokens, want %d px %q %d tokens", r.name, edge, d, tok, want[i].edge, want[i].detail, want[i].tokens)
		}
		if tok >= asIs {
			t.Errorf("%s: shaping saves nothing (%d vs %d)", r.name, tok, asIs)
		}
	}
}

func TestShapeKeepsTheQualityFloorAndNeverUpscales(t *testing.T) {
	for _, r := range rules {
		for _, size := range [][2]int{{6000, 4000}, {4000, 6000}, {1200, 800}, {300, 200}, {1, 1}} {
			edge, d := ChooseImage(r.caps, size[0], size[1])
			long := max(size[0], size[1])
			if edge > long {
				t.Errorf("%s %v: upscaled to %d", r.name, size, edge)
			}
			if edge < min(MinLongEdge, long) {
				t.Errorf("%s %v: %d px is below the quality floor", r.name, size, edge)
			}
			if v, ok := r.caps.ImageCost.(provider.ViewedSizer); ok {
				if seen := v.ViewedLongEdge(size[0]*edge/long, size[1]*edge/long, d); seen < min(MinLongEdge, long)-1 {
					t.Errorf("%s %v: the model sees only %d px", r.name, size, seen)
				}
			}
		}
	}
	// A lower floor lets Gemini use media resolution LOW.
	if edge, d := choose(rules[3].caps, 6000, 4000, 384); d != provider.DetailLow || ImageTokens(rules[3].caps, 6000, 4000, edge, d) != 64 {
		t.Fatalf("gemini with a 384 floor: %d %q", edge, d)
	}
	// Without a billing rule, the provider's size or the default.
	if edge, _ := ChooseImage(provider.Capabilities{}, 6000, 4000); edge != DefaultImageSize {
		t.Fatalf("no rule: %d", edge)
	}
	if edge, _ := ChooseImage(provider.Capabilities{ImageSize: 640}, 6000, 4000); edge != 640 {
		t.Fatalf("no rule with ImageSize: %d", edge)
	}
}

func TestEstimateInputTokensSharesInstructions(t *testing.T) {
	caps := rules[3].caps
	caps.MaxItemsPerRequest = 8
	one := EstimateInputTokens(caps, 6000, 4000, 800, 1)
	eight := EstimateInputTokens(caps, 6000, 4000, 800, 8)
	if one != 258+800+8 || eight != 258+100+8 {
		t.Fatalf("per-file estimate: %d alone, %d packed by 8", one, eight)
	}
	caps.MaxItemsPerRequest = 2
	if got := EstimateInputTokens(caps, 6000, 4000, 800, 8); got != 258+400+8 {
		t.Fatalf("packing beyond the provider's limit: %d", got)
	}
}

// BenchmarkShapedInputTokens reports, for a 24-megapixel photo (6000×4000),
// the input tokens each billing rule charges for the image sent as is and
// shaped by ChooseImage.
func BenchmarkShapedInputTokens(b *testing.B) {
	const w, h = 6000, 4000
	for _, r := range rules {
		b.Run(r.name, func(b *testing.B) {
			var edge int
			var d provider.Detail
			for b.Loop() {
				edge, d = ChooseImage(r.caps, w, h)
			}
			b.ReportMetric(float64(r.caps.ImageCost.Tokens(w, h, provider.DetailAuto)), "tokens-as-is")
			b.ReportMetric(float64(ImageTokens(r.caps, w, h, edge, d)), "tokens-shaped")
		})
	}
}
