package shape

import (
	"math"

	"github.com/picfre/picfre/provider"
)

// MinLongEdge is the quality floor of request shaping: the long
// edge, in pixels, at which the model must at least see an image for
// tagging. Keywords for stock media name the subject, setting, mood and
// main colours, which survive at 512 px; fine text and small details do
// not matter for them. Images smaller than the floor are sent as they are.
const MinLongEdge = 512

// DefaultImageSize is the long edge used when a provider declares neither
// an ImageSize nor an ImageCost.
const DefaultImageSize = 1024

// perItemOverhead is the text the pipeline adds per file of a packed
// request ("Image 3:"), in tokens.
const perItemOverhead = 8

// sizeSteps are the long edges shaping considers besides the provider's
// own ImageSize and the image's long edge.
var sizeSteps = [...]int{384, 512, 768, 1024, 1536, 2048}

// ChooseImage returns the long edge to downscale a w×h image to and the
// detail level to send it at, so that the provider bills the fewest input
// tokens while the model still sees the image at MinLongEdge pixels or
// more (or the whole image, if smaller). It never upscales.
//
// Among the candidate sizes (common steps, the provider's ImageSize and
// the image's own size, none above ImageSize or the image) and the low
// and default detail levels, it keeps those at which the model sees at
// least the floor, and picks the one with the fewest tokens; ties go to
// the one the model sees larger, then to the smaller upload. Without an
// ImageCost it returns the provider's ImageSize (or DefaultImageSize) at
// the default detail.
func ChooseImage(caps provider.Capabilities, w, h int) (longEdge int, d provider.Detail) {
	return choose(caps, w, h, MinLongEdge)
}

// choose is ChooseImage with an explicit quality floor.
func choose(caps provider.Capabilities, w, h, minLongEdge int) (longEdge int, d provider.Detail) {
	long := max(w, h)
	if long <= 0 {
		return 0, provider.DetailAuto
	}
	ceiling := long
	if caps.ImageSize > 0 {
		ceiling = min(ceiling, caps.ImageSize)
	}
	if caps.ImageCost == nil {
		if caps.ImageSize > 0 {
			return ceiling, provider.DetailAuto
		}
		return min(long, DefaultImageSize), provider.DetailAuto
	}
	floor := min(max(minLongEdge, 1), ceiling)
	cands := []int{ceiling}
	for _, s := range sizeSteps {
		if s >= floor && s < ceiling {
			cands = append(cands, s)
		}
	}
	if floor < ceiling {
		cands = append(cands, floor)
	}
	viewer, _ := caps.ImageCost.(provider.ViewedSizer)
	bestTok, bestSeen, bestEdge := math.MaxInt, -1, 0
	bestDetail := provider.DetailAuto
	for _, edge := range cands {
		sw, sh := scaleTo(w, h, edge)
		for _, det := range [...]provider.Detail{provider.DetailAuto, provider.DetailLow} {
			seen := edge
			if viewer != nil {
				seen = viewer.ViewedLongEdge(sw, sh, det)
			}
			if seen < floor {
				continue
			}
			tok := caps.ImageCost.Tokens(sw, sh, det)
			better := tok < bestTok ||
				(tok == bestTok && seen > bestSeen) ||
				(tok == bestTok && seen == bestSeen && edge < bestEdge)
			if better {
				bestTok, bestSeen, bestEdge, bestDetail = tok, seen, edge, det
			}
		}
	}
	if bestEdge == 0 {
		return ceiling, provider.DetailAuto
	}
	return bestEdge, bestDetail
}

// scaleTo returns w×h scaled so that its long edge is edge (never up).
func scaleTo(w, h, edge int) (int, int) {
	long := max(w, h)
	if long <= edge {
		return w, h
	}
	s := float64(edge) / float64(long)
	return max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s)))
}

// ImageTokens returns the tokens caps bills for a w×h image downscaled to
// longEdge and sent at detail d; 0 when the provider declares no cost.
func ImageTokens(caps provider.Capabilities, w, h, longEdge int, d provider.Detail) int {
	if caps.ImageCost == nil {
		return 0
	}
	sw, sh := scaleTo(w, h, longEdge)
	return caps.ImageCost.Tokens(sw, sh, d)
}

// EstimateInputTokens returns the input tokens one w×h image file is
// expected to cost when shaped by ChooseImage and sent itemsPerRequest
// files to a request: its image tokens, a share of the instructions
// (instructionsTokens are paid once per request) and a small per-item
// label. itemsPerRequest is clamped to the provider's MaxItemsPerRequest.
func EstimateInputTokens(caps provider.Capabilities, w, h, instructionsTokens, itemsPerRequest int) int {
	items := max(itemsPerRequest, 1)
	if caps.MaxItemsPerRequest > 0 {
		items = min(items, caps.MaxItemsPerRequest)
	} else {
		items = 1
	}
	edge, d := ChooseImage(caps, w, h)
	img := ImageTokens(caps, w, h, edge, d)
	share := (max(instructionsTokens, 0) + items - 1) / items
	return img + share + perItemOverhead
}
