package metering

import (
	"fmt"
	"math"
	"time"
)

// PriceInput describes one file to be priced.
type PriceInput struct {
	// Task is what is done ("metadata", "prompt").
	Task string
	// MediaType is "image", "video", "audio" or another type the
	// embedder prices.
	MediaType string
	// Duration is the running time of a video or audio file; zero for
	// still images.
	Duration time.Duration
}

// Pricer turns a file into a price in credits. Implementations must be
// safe for concurrent use.
type Pricer interface {
	Price(in PriceInput) (int64, error)
}

// PricerFunc adapts a function to a Pricer.
type PricerFunc func(PriceInput) (int64, error)

// Price calls f.
func (f PricerFunc) Price(in PriceInput) (int64, error) { return f(in) }

// Rate is one line of a price list.
type Rate struct {
	// Task and MediaType select the files the rate applies to; an empty
	// value matches any.
	Task      string
	MediaType string
	// Base is charged for every file.
	Base int64
	// PerUnit is charged for each started Unit of the file's duration,
	// so a 61-second clip at a per-minute rate pays for two minutes.
	PerUnit int64
	// Unit is the length of time PerUnit pays for; one minute when zero.
	Unit time.Duration
}

// Pricing is a price list in whole credits, set by the embedder. For each
// file the most specific rate applies: one naming both task and media type,
// then one naming the task only, then the media type only, then the rate
// naming neither. Among equally specific rates the first wins.
//
// A Pricing is a plain value and safe for concurrent use once built.
type Pricing struct {
	Rates []Rate
}

var _ Pricer = Pricing{}

// Price returns the price of one file: Base plus PerUnit for each started
// Unit of in.Duration. It fails with ErrNoPrice when no rate matches and
// with ErrInvalid for a negative duration, a negative rate or a price
// that would overflow.
func (p Pricing) Price(in PriceInput) (int64, error) {
	if in.Duration < 0 {
		return 0, fmt.Errorf("metering: price: %w", invalid("negative duration"))
	}
	best, bestScore := -1, -1
	for i, r := range p.Rates {
		if (r.Task != "" && r.Task != in.Task) || (r.MediaType != "" && r.MediaType != in.MediaType) {
			continue
		}
		score := 0
		if r.Task != "" {
			score += 2
		}
		if r.MediaType != "" {
			score++
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("metering: price: %w", ErrNoPrice)
	}
	r := p.Rates[best]
	if r.Base < 0 || r.PerUnit < 0 || r.Unit < 0 {
		return 0, fmt.Errorf("metering: price: %w", invalid("negative rate"))
	}
	unit := r.Unit
	if unit == 0 {
		unit = time.Minute
	}
	units := int64(in.Duration / unit)
	if in.Duration%unit != 0 {
		units++
	}
	if r.PerUnit != 0 && units > (math.MaxInt64-r.Base)/r.PerUnit {
		return 0, fmt.Errorf("metering: price: %w", invalid("price overflows"))
	}
	return r.Base + units*r.PerUnit, nil
}
