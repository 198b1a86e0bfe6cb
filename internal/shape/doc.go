// Package shape decides how the pipeline sends an image to a provider:
// the size and detail level that the provider's billing rule
// ([provider.Capabilities].ImageCost) charges least for while the model
// still sees [MinLongEdge] pixels ([ChooseImage]), the tokens that costs
// ([ImageTokens]), and the expected input tokens per file with the
// instructions shared by the files packed into one request
// ([EstimateInputTokens]). Every function is pure and safe for concurrent
// use.
package shape
