package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/picfre/picfre/errcode"
)

// Code classifies a provider failure by what the caller should do about it.
type Code string

// Provider error codes. The comment on each says what the pipeline does.
const (
	// Unknown is an unclassified failure; treated like Unavailable once.
	Unknown Code = "unknown"
	// RateLimited: too many requests or tokens for now. Retry after
	// Error.RetryAfter (or a backoff).
	RateLimited Code = "rate_limited"
	// QuotaExhausted: the account has no quota or credit left at the
	// provider (OpenAI insufficient_quota, Gemini daily quota, Anthropic
	// credit balance). Retrying cannot help; the batch stops.
	QuotaExhausted Code = "quota_exhausted"
	// Unauthenticated: the key is missing, wrong or lacks permission.
	// The batch stops.
	Unauthenticated Code = "unauthenticated"
	// InvalidRequest: the provider rejected the request as malformed or
	// too large. Retrying the same request cannot help.
	InvalidRequest Code = "invalid_request"
	// Unavailable: a server error or a network failure. Retry with backoff.
	Unavailable Code = "unavailable"
	// Timeout: the attempt ran out of time. Retry with backoff.
	Timeout Code = "timeout"
	// Refused: the model refused or a safety filter blocked the answer.
	Refused Code = "refused"
	// Truncated: the answer hit the output token limit and is incomplete.
	Truncated Code = "truncated"
	// BadOutput: the answer is not the JSON that was asked for.
	BadOutput Code = "bad_output"
	// Unsupported: the provider cannot take this kind of content
	// (audio to a model without audio input, for example).
	Unsupported Code = "unsupported"
)

// Retryable reports whether a failure with this code may succeed when the
// same request is sent again.
func (c Code) Retryable() bool {
	switch c {
	case RateLimited, Unavailable, Timeout, Unknown:
		return true
	}
	return false
}

// Fatal reports whether a failure with this code will fail every later
// request as well, so that a batch should stop rather than go on.
func (c Code) Fatal() bool {
	return c == QuotaExhausted || c == Unauthenticated
}

// Error is a classified provider failure. Message is safe to show and log:
// drivers must never put an API key, a request body or content bytes in it.
type Error struct {
	Code     Code
	Provider string
	// StatusCode is the HTTP status, when there was one.
	StatusCode int
	// RetryAfter is the server's hint of when to try again, 0 if none.
	RetryAfter time.Duration
	// Message is a short, safe description from the provider.
	Message string
	// Err is the underlying error, if any. Its text must be as safe as
	// Message; drivers wrap only errors they have checked.
	Err error
}

func (e *Error) Error() string {
	s := e.Provider
	if s == "" {
		s = "provider"
	}
	s += ": " + string(e.Code)
	if e.StatusCode != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode maps the provider's code to picfre's one vocabulary, so that
// errcode.Of works on every error a driver or the middleware returns.
// Is makes errors.Is(err, code) hold for the error's code.
func (e *Error) Is(target error) bool { return e.ErrorCode().Is(target) }

func (e *Error) ErrorCode() errcode.Code { return e.Code.ErrorCode() }

// ErrorCode returns the picfre code a failure with this provider code
// ends with once retries and fallbacks are exhausted.
func (c Code) ErrorCode() errcode.Code {
	switch c {
	case RateLimited:
		return errcode.RateLimited
	case QuotaExhausted:
		return errcode.QuotaExhausted
	case Unauthenticated:
		return errcode.ProviderUnauthenticated
	case Refused:
		return errcode.Refused
	case Unsupported:
		return errcode.UnsupportedMedia
	case BadOutput, Truncated:
		return errcode.BadOutput
	}
	return errcode.ProviderFailure
}

// Classify returns the code of err: the Code of an *Error in its chain,
// Timeout for deadline errors and network timeouts, Unavailable for other
// network errors, and Unknown otherwise. Cancellation is not a provider
// failure; Classify returns "" for context.Canceled.
func Classify(err error) Code {
	if err == nil {
		return ""
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	if errors.Is(err, context.Canceled) {
		return ""
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Timeout
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return Timeout
		}
		return Unavailable
	}
	return Unknown
}

// retryAfterOf returns the server's retry hint carried by err, or 0.
func retryAfterOf(err error) time.Duration {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.RetryAfter
	}
	return 0
}
