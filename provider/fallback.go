package provider

import (
	"context"
	"errors"
	"slices"
	"strconv"
)

// Fallback returns a Provider that tries ps in order and answers with the
// first that succeeds. It sets Response.Provider to the Name of the one
// that answered. Name is the first provider's name.
//
// A failure falls through to the next provider when another provider may
// well succeed where this one cannot:
//
//   - RateLimited, Unavailable, Timeout, Unknown: this provider is busy
//     or down (wrap each provider in Retry first, so these mean "retries
//     exhausted");
//   - QuotaExhausted, Unauthenticated: this account is out of money or its
//     key is wrong; another account may not be;
//   - Unsupported: another provider may take the content (audio, video).
//
// It does not fall through on InvalidRequest, Refused, Truncated or
// BadOutput, which say something about the request or the content rather
// than the provider, nor when ctx ends. When every provider fails, the
// last failure is returned. A provider whose Capabilities do not support
// the request's task is skipped as if it had failed with Unsupported, so
// a metadata-only provider can lead a chain whose later members write
// reverse prompts.
//
// Capabilities is the most cautious merge of all: the fewest items per
// request and images per item, media kinds that all take, the smallest
// inline limit, and the first provider's image size and billing rule;
// its Tasks are those any member answers.
//
// The returned Provider is safe for concurrent use when all ps are.
func Fallback(ps ...Provider) Provider {
	if len(ps) == 1 {
		return ps[0]
	}
	return &fallback{ps: ps}
}

type fallback struct{ ps []Provider }

func (f *fallback) Name() string {
	if len(f.ps) == 0 {
		return "fallback"
	}
	return f.ps[0].Name()
}

func (f *fallback) Capabilities() Capabilities {
	if len(f.ps) == 0 {
		return Capabilities{}
	}
	c := f.ps[0].Capabilities()
	for _, p := range f.ps[1:] {
		o := p.Capabilities()
		c.MaxItemsPerRequest = minPositive(c.MaxItemsPerRequest, o.MaxItemsPerRequest)
		c.MaxImagesPerItem = minPositive(c.MaxImagesPerItem, o.MaxImagesPerItem)
		c.MaxInlineBytes = minLimit(c.MaxInlineBytes, o.MaxInlineBytes)
		c.Video = c.Video && o.Video
		c.Audio = c.Audio && o.Audio
		// Members that do not read Part.Image ignore it, and the pixels
		// are in memory anyway: attach them when any member uses them.
		c.Pixels = c.Pixels || o.Pixels
		c.Tasks = unionTasks(c.Tasks, o.Tasks)
	}
	return c
}

// unionTasks merges two task lists, where empty means every task.
func unionTasks(a, b []Task) []Task {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	out := slices.Clone(a)
	for _, t := range b {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// minPositive treats 0 as 1 (the documented meaning of 0 for counts).
func minPositive(a, b int) int { return min(max(a, 1), max(b, 1)) }

// minLimit treats 0 as "no limit".
func minLimit(a, b int64) int64 {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

// fallsThrough reports whether a failure with code c should be tried on
// the next provider.
func fallsThrough(c Code) bool {
	switch c {
	case RateLimited, Unavailable, Timeout, Unknown, QuotaExhausted, Unauthenticated, Unsupported:
		return true
	}
	return false
}

func (f *fallback) Generate(ctx context.Context, req *Request) (*Response, error) {
	if len(f.ps) == 0 {
		return nil, &Error{Code: Unavailable, Provider: "fallback", Message: "no provider configured"}
	}
	var last error
	for _, p := range f.ps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !p.Capabilities().Supports(req.Spec.Task) {
			last = &Error{Code: Unsupported, Provider: p.Name(), Message: "task " + strconv.Quote(string(req.Spec.Task)) + " is not supported"}
			continue
		}
		resp, err := p.Generate(ctx, req)
		if err == nil {
			if resp.Provider == "" {
				resp.Provider = p.Name()
			}
			return resp, nil
		}
		last = err
		if errors.Is(err, context.Canceled) || !fallsThrough(Classify(err)) {
			return nil, err
		}
	}
	return nil, last
}
