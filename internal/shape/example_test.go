package shape_test

import (
	"fmt"

	"github.com/picfre/picfre/internal/shape"
	"github.com/picfre/picfre/provider"
)

// ChooseImage picks the cheapest size and detail for a 24-megapixel photo.
func ExampleChooseImage() {
	tiles := provider.Capabilities{ImageSize: 2048, ImageCost: provider.TileCost{Base: 85, PerTile: 170}}
	edge, d := shape.ChooseImage(tiles, 6000, 4000)
	fmt.Println(edge, d, shape.ImageTokens(tiles, 6000, 4000, edge, d))
	gemini := provider.Capabilities{ImageSize: 768, ImageCost: provider.GeminiCost{}}
	edge, d = shape.ChooseImage(gemini, 6000, 4000)
	fmt.Printf("%d %q %d\n", edge, d, shape.ImageTokens(gemini, 6000, 4000, edge, d))
	// Output:
	// 512 low 85
	// 768 "" 258
}

// EstimateInputTokens shares the instructions among packed files.
func ExampleEstimateInputTokens() {
	caps := provider.Capabilities{MaxItemsPerRequest: 8, ImageSize: 1568, ImageCost: provider.AreaCost{}}
	fmt.Println(shape.EstimateInputTokens(caps, 6000, 4000, 800, 1))
	fmt.Println(shape.EstimateInputTokens(caps, 6000, 4000, 800, 8))
	// Output:
	// 1041
	// 341
}
