package picfre

import (
	"context"
	"errors"
	"fmt"

	"github.com/picfre/picfre/internal/answer"
	"github.com/picfre/picfre/internal/media"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/provider"
)

// Code classifies a failure by what the caller can do about it. Codes are
// stable strings: the CLI prints them and scripts branch on them.
type Code string

// Error codes. Each has a sentinel error (ErrInvalidMedia, ...) to use with
// errors.Is.
const (
	// CodeInvalidMedia: the file is empty, truncated or corrupt. Fix the
	// file; retrying will not help.
	CodeInvalidMedia Code = "invalid_media"
	// CodeUnsupportedMedia: the file's type is not one picfre or the chosen
	// provider can process (detected from content, not the name).
	CodeUnsupportedMedia Code = "unsupported_media"
	// CodeTooLarge: the file exceeds the byte or pixel limits. Detected
	// from the header, before decoding.
	CodeTooLarge Code = "too_large"
	// CodeInsufficientCredits: the account cannot pay for the file; the
	// provider was not called and nothing was charged.
	CodeInsufficientCredits Code = "insufficient_credits"
	// CodeConflict: the file's idempotency key is being charged by
	// another run right now, or was used with a different price. Nothing
	// was charged; retry once the other run is done.
	CodeConflict Code = "conflict"
	// CodeBillingFailure: the ledger failed to hold or settle the
	// file's credits (for example a hold that expired before capture and
	// no longer fits the balance). Nothing was charged.
	CodeBillingFailure Code = "billing_failure"
	// CodeRateLimited: the provider kept rate limiting after all retries.
	// Try again later.
	CodeRateLimited Code = "rate_limited"
	// CodeQuotaExhausted: the provider account is out of quota or credit.
	// The batch stops; top up at the provider.
	CodeQuotaExhausted Code = "quota_exhausted"
	// CodeUnauthenticated: the provider rejected the API key. The batch
	// stops.
	CodeUnauthenticated Code = "unauthenticated"
	// CodeProviderFailure: the provider failed (server errors, timeouts,
	// rejected requests) after all retries.
	CodeProviderFailure Code = "provider_failure"
	// CodeRefused: the model refused or a safety filter blocked the answer.
	CodeRefused Code = "refused"
	// CodeBadOutput: the model's answer was not the JSON asked for, even
	// after one repair attempt.
	CodeBadOutput Code = "bad_output"
	// CodeCanceled: the context was cancelled before the file was done.
	CodeCanceled Code = "canceled"
	// CodeInvalidArgument: the options or inputs given are not valid.
	CodeInvalidArgument Code = "invalid_argument"
	// CodeInternal: a bug in picfre or a provider driver (a recovered
	// panic). Please report it.
	CodeInternal Code = "internal"
)

// Sentinel errors, one per code: errors.Is(err, picfre.ErrTooLarge)
// reports whether err carries CodeTooLarge.
var (
	ErrInvalidMedia        = &Error{Code: CodeInvalidMedia}
	ErrUnsupportedMedia    = &Error{Code: CodeUnsupportedMedia}
	ErrTooLarge            = &Error{Code: CodeTooLarge}
	ErrInsufficientCredits = &Error{Code: CodeInsufficientCredits}
	ErrRateLimited         = &Error{Code: CodeRateLimited}
	ErrQuotaExhausted      = &Error{Code: CodeQuotaExhausted}
	ErrUnauthenticated     = &Error{Code: CodeUnauthenticated}
	ErrProviderFailure     = &Error{Code: CodeProviderFailure}
	ErrRefused             = &Error{Code: CodeRefused}
	ErrBadOutput           = &Error{Code: CodeBadOutput}
	ErrCanceled            = &Error{Code: CodeCanceled}
	ErrInvalidArgument     = &Error{Code: CodeInvalidArgument}
	ErrInternal            = &Error{Code: CodeInternal}
)

// Error is a failure with a Code. Its message names the code and a safe
// description; it never holds an API key, a request body or content bytes.
type Error struct {
	Code Code
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "picfre: " + string(e.Code)
	}
	return fmt.Sprintf("picfre: %s: %v", e.Code, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Err == nil && t.Code == e.Code
}

// CodeOf returns the code of err: the Code of the first *Error in its
// chain, CodeCanceled for context errors, "" for nil and CodeInternal for
// anything else.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return CodeCanceled
	}
	return CodeInternal
}

// wrap gives err exactly one picfre code, classifying the errors of the
// layers below. An error that already has a code is returned as is.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: classify(err), Err: err}
}

func classify(err error) Code {
	var me *media.Error
	if errors.As(err, &me) {
		switch me.Kind {
		case media.KindTooLarge:
			return CodeTooLarge
		case media.KindUnsupported:
			return CodeUnsupportedMedia
		default:
			return CodeInvalidMedia
		}
	}
	var ae *answer.Error
	if errors.As(err, &ae) {
		return CodeBadOutput
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The caller's own cancellation or deadline. A provider's
		// per-attempt timeout is a *provider.Error and matched above.
		var pe *provider.Error
		if !errors.As(err, &pe) {
			return CodeCanceled
		}
	}
	switch {
	case errors.Is(err, metering.ErrInsufficientCredits):
		return CodeInsufficientCredits
	case errors.Is(err, metering.ErrInProgress), errors.Is(err, metering.ErrConflict):
		return CodeConflict
	case errors.Is(err, metering.ErrHoldExpired), errors.Is(err, metering.ErrHoldVoided),
		errors.Is(err, metering.ErrUnknownHold), errors.Is(err, metering.ErrExceedsHold),
		errors.Is(err, metering.ErrNoPrice), errors.Is(err, metering.ErrInvalid), errors.Is(err, metering.ErrLegalHold):
		return CodeBillingFailure
	}
	if errors.Is(err, context.Canceled) {
		return CodeCanceled
	}
	switch provider.Classify(err) {
	case provider.RateLimited:
		return CodeRateLimited
	case provider.QuotaExhausted:
		return CodeQuotaExhausted
	case provider.Unauthenticated:
		return CodeUnauthenticated
	case provider.Refused:
		return CodeRefused
	case provider.Unsupported:
		return CodeUnsupportedMedia
	case provider.BadOutput, provider.Truncated:
		return CodeBadOutput
	case provider.Timeout, provider.Unavailable, provider.InvalidRequest, provider.Unknown:
		return CodeProviderFailure
	}
	return CodeInternal
}
