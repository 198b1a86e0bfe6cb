package provider

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WithTimeout returns a Provider that gives each call to p at most
// perAttempt. A call that runs out of this time fails with code Timeout
// (retryable), even when p reports it otherwise; the caller's own
// cancellation still comes back as context.Canceled. perAttempt ≤ 0
// returns p unchanged. Safe for concurrent use when p is.
func WithTimeout(p Provider, perAttempt time.Duration) Provider {
	if perAttempt <= 0 {
		return p
	}
	return &timeout{next: p, d: perAttempt}
}

type timeout struct {
	next Provider
	d    time.Duration
}

func (t *timeout) Name() string               { return t.next.Name() }
func (t *timeout) Capabilities() Capabilities { return t.next.Capabilities() }

func (t *timeout) Generate(ctx context.Context, req *Request) (*Response, error) {
	actx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	resp, err := t.next.Generate(actx, req)
	if err == nil {
		return resp, nil
	}
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) && Classify(err) != Timeout {
		return nil, &Error{Code: Timeout, Provider: t.next.Name(),
			Message: fmt.Sprintf("no answer within %s", t.d), Err: context.DeadlineExceeded}
	}
	return nil, err
}
