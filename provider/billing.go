package provider

import "math"

// ViewedSizer is an optional interface of an ImageCost: it tells at what
// long edge, in pixels, the model really looks at an image of w×h pixels
// sent at detail d (after the provider's own downscaling). Shaping uses it
// to keep the resolution the model sees above a quality floor. Without it
// the long edge of the image is assumed.
type ViewedSizer interface {
	ViewedLongEdge(w, h int, d Detail) int
}

// TileCost is the billing rule of OpenAI's tile models (gpt-4o and
// kin): at low detail a flat Base; otherwise the image is fitted into
// 2048×2048, its short side brought down to 768, and each 512-px tile
// costs PerTile on top of Base. gpt-4o bills 85 + 170 per tile; gpt-4o-mini
// 2833 + 5667 per tile.
type TileCost struct {
	Base, PerTile int
}

// Tokens implements ImageCost.
func (c TileCost) Tokens(w, h int, d Detail) int {
	if w <= 0 || h <= 0 {
		return 0
	}
	if d == DetailLow {
		return c.Base
	}
	fw, fh := tileFit(w, h)
	tiles := ceilDiv(fw, 512) * ceilDiv(fh, 512)
	return c.Base + c.PerTile*tiles
}

// ViewedLongEdge implements ViewedSizer: 512 at low detail (the model gets
// a 512×512 version), else the long edge after fitting.
func (c TileCost) ViewedLongEdge(w, h int, d Detail) int {
	if d == DetailLow {
		return min(512, max(w, h))
	}
	fw, fh := tileFit(w, h)
	return max(fw, fh)
}

func tileFit(w, h int) (int, int) {
	fw, fh := float64(w), float64(h)
	if s := 2048 / math.Max(fw, fh); s < 1 {
		fw, fh = fw*s, fh*s
	}
	if s := 768 / math.Min(fw, fh); s < 1 {
		fw, fh = fw*s, fh*s
	}
	return int(math.Round(fw)), int(math.Round(fh))
}

// PatchCost is the billing rule of OpenAI's patch models (gpt-4.1-mini,
// gpt-5-mini, o4-mini ...): one token per 32×32 patch covering the image,
// at most MaxPatches (the image is scaled down to fit), times the model's
// Multiplier. The detail level does not change the bill.
type PatchCost struct {
	Multiplier float64
	MaxPatches int // 0 means 1536
}

// Tokens implements ImageCost.
func (c PatchCost) Tokens(w, h int, _ Detail) int {
	if w <= 0 || h <= 0 {
		return 0
	}
	pw, ph := c.fit(w, h)
	patches := ceilDiv(pw, 32) * ceilDiv(ph, 32)
	m := c.Multiplier
	if m <= 0 {
		m = 1
	}
	return int(math.Ceil(float64(patches) * m))
}

// ViewedLongEdge implements ViewedSizer: the long edge after the patch cap.
func (c PatchCost) ViewedLongEdge(w, h int, _ Detail) int {
	pw, ph := c.fit(w, h)
	return max(pw, ph)
}

// fit scales w×h down until its patches fit the cap, the way OpenAI's
// vision guide describes: shrink by sqrt(cap·32²/(w·h)), then shrink a
// little more so that whole patches fit along the width or the height.
func (c PatchCost) fit(w, h int) (int, int) {
	limit := c.MaxPatches
	if limit <= 0 {
		limit = 1536
	}
	if ceilDiv(w, 32)*ceilDiv(h, 32) <= limit {
		return w, h
	}
	fw, fh := float64(w), float64(h)
	s := math.Sqrt(float64(limit) * 32 * 32 / (fw * fh))
	sw, sh := fw*s/32, fh*s/32
	s *= math.Min(math.Floor(sw)/sw, math.Floor(sh)/sh)
	return max(1, int(fw*s)), max(1, int(fh*s))
}

// GeminiCost is the billing rule of Gemini 2.x models: 258 tokens for an
// image with both sides at most 384 px, else 258 per 768×768 tile. With
// media resolution LOW (DetailLow) an image costs Low tokens (64 on
// Gemini 2.5) whatever its size, and the model sees about a 384-px
// version.
type GeminiCost struct {
	Low int // 0 means 64
}

// Tokens implements ImageCost.
func (c GeminiCost) Tokens(w, h int, d Detail) int {
	if w <= 0 || h <= 0 {
		return 0
	}
	if d == DetailLow {
		if c.Low > 0 {
			return c.Low
		}
		return 64
	}
	if w <= 384 && h <= 384 {
		return 258
	}
	return 258 * ceilDiv(w, 768) * ceilDiv(h, 768)
}

// ViewedLongEdge implements ViewedSizer.
func (c GeminiCost) ViewedLongEdge(w, h int, d Detail) int {
	if d == DetailLow {
		return min(384, max(w, h))
	}
	return max(w, h)
}

// AreaCost is Anthropic's billing rule: about w·h/750 tokens, after the
// image is shrunk to fit a long edge of MaxLongEdge and MaxPixels pixels
// (1568 and 1.15 megapixels for current Claude models).
type AreaCost struct {
	PixelsPerToken int // 0 means 750
	MaxLongEdge    int // 0 means 1568
	MaxPixels      int // 0 means 1,150,000
}

// Tokens implements ImageCost.
func (c AreaCost) Tokens(w, h int, _ Detail) int {
	if w <= 0 || h <= 0 {
		return 0
	}
	fw, fh := c.fit(w, h)
	per := c.PixelsPerToken
	if per <= 0 {
		per = 750
	}
	return int(math.Ceil(float64(fw*fh) / float64(per)))
}

// ViewedLongEdge implements ViewedSizer.
func (c AreaCost) ViewedLongEdge(w, h int, _ Detail) int {
	fw, fh := c.fit(w, h)
	return max(fw, fh)
}

func (c AreaCost) fit(w, h int) (int, int) {
	edge, pix := c.MaxLongEdge, c.MaxPixels
	if edge <= 0 {
		edge = 1568
	}
	if pix <= 0 {
		pix = 1_150_000
	}
	fw, fh := float64(w), float64(h)
	if s := float64(edge) / math.Max(fw, fh); s < 1 {
		fw, fh = fw*s, fh*s
	}
	if a := fw * fh; a > float64(pix) {
		s := math.Sqrt(float64(pix) / a)
		fw, fh = fw*s, fh*s
	}
	return max(1, int(fw)), max(1, int(fh))
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
