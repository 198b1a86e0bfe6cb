// Package vector prepares vector artwork for tagging: SVG is rasterized
// in pure Go; EPS and AI files are tagged through the JPEG preview that
// agencies require next to them.
//
// # SVG
//
// [Rasterize] draws an SVG document on a white canvas of a chosen long
// edge with github.com/srwiley/oksvg and github.com/srwiley/rasterx (pure
// Go, no cgo, no external programs). It never loads anything outside the
// document: external images, stylesheets and references are ignored. A
// token scan enforces [Limits] before parsing and refuses <use> inside
// <defs>, which could recurse without end; tiny dash patterns are drawn
// solid; the drawing's work (painted area times the cost of its paint,
// which grows with a gradient's stops) is measured before anything is
// painted and bounded by [Limits].MaxWork ([ErrTooLarge]); measuring and
// drawing check the context between fills and strokes and inside a
// gradient fill; a panic of the parser becomes an [ErrInvalid] error. [PreviewPNG] encodes the result for the
// image pipeline.
//
// # EPS and AI
//
// [IsSource] routes .eps and .ai files, and [FindPreview] finds their
// sibling NAME.jpg (or .jpeg, any letter case). Without one, callers
// report [ErrNoPreview], whose message names the pairing requirement.
//
// # Concurrency
//
// All functions are safe for concurrent use.
package vector
