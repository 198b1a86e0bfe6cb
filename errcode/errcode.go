// Package errcode is picfre's one error vocabulary. Every error any picfre
// package returns carries a [Code] that says what the caller can do about
// it, the way gcerrors.Code does for every gocloud package:
//
//	switch errcode.Of(err) {
//	case errcode.InsufficientCredits:
//		// ask the user to top up
//	case errcode.RateLimited, errcode.Unavailable:
//		// try again later
//	}
//
// A Code is itself an error, so errors.Is works with it as a sentinel:
// errors.Is(err, errcode.TooLarge) reports whether err carries TooLarge
// (every error type in picfre with a code has the Is method that makes
// this hold; see [Code.Is]).
// The packages keep their own, finer sentinels (metering.ErrInProgress,
// privacy/custmatch.ErrInvalidEmail, ...) for errors.Is, each made with
// [New] so that it answers [Of] with its code as well.
//
// # HTTP
//
// [Code.HTTPStatus] is the one mapping from codes to HTTP statuses; each
// code has exactly one status, listed in the comment of each code.
//
// # Messages
//
// An error's message never holds an API key, a request body, content
// bytes, a file name or an account: it is safe to log and to show. The
// code is not repeated in the message; print it beside the message.
package errcode

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Code classifies a failure by what the caller can do about it. Codes are
// stable strings: the CLI and the HTTP API print them and scripts branch
// on them. A Code is an error whose message describes it, so errors.Is
// accepts it as a sentinel.
type Code string

// The codes. Each comment says what happened, what to do, and the HTTP
// status [Code.HTTPStatus] gives.
const (
	// InvalidArgument: an option, argument or configuration value is not
	// valid (an empty account, a keyword range 30-10, an unknown
	// agency). Fix the call; retrying the same call cannot succeed. 400.
	InvalidArgument Code = "invalid_argument"
	// InvalidMedia: the file is empty, truncated or corrupt. Fix the
	// file; retrying will not help. 422.
	InvalidMedia Code = "invalid_media"
	// UnsupportedMedia: the file's type (detected from its content,
	// never its name) is not one picfre or the chosen provider can
	// process. 415.
	UnsupportedMedia Code = "unsupported_media"
	// TooLarge: the file exceeds a byte, pixel or duration limit,
	// detected from its header before anything is decoded. 413.
	TooLarge Code = "too_large"
	// InsufficientCredits: the account cannot pay for the file; the
	// provider was not called and nothing was charged. Top up. 402.
	InsufficientCredits Code = "insufficient_credits"
	// Conflict: another run is doing the same thing right now (the same
	// file is being charged, a retention sweep is running), or an
	// idempotency key or payment reference came back with different
	// values. Nothing was changed; retry once the other run is done. 409.
	Conflict Code = "conflict"
	// NotFound: the job, file or record asked for does not exist, or
	// belongs to another account: the two are not told apart, so that
	// no caller learns which identifiers others hold. 404.
	NotFound Code = "not_found"
	// FailedPrecondition: the request is valid but the state of the
	// account forbids it (an erasure of an account under a legal hold).
	// It cannot succeed until that state changes. 409.
	FailedPrecondition Code = "failed_precondition"
	// Unauthenticated: the request carries no credentials the service
	// accepts (no token, an unknown or revoked one, an expired session).
	// Sign in or send a valid token. 401.
	Unauthenticated Code = "unauthenticated"
	// PermissionDenied: the caller is known but may not do this (a
	// cross-origin form post, an endpoint the account's role forbids).
	// Another account's job is never this but NotFound, so that nobody
	// learns which identifiers exist. 403.
	PermissionDenied Code = "permission_denied"
	// BillingFailure: the ledger or the billing hook could not hold or
	// settle the file's credits (a hold that expired and no longer fits
	// the balance, a hook that failed). Nothing was charged. 503.
	BillingFailure Code = "billing_failure"
	// RateLimited: too many requests, at the AI provider after all
	// retries or at the service itself. Try again later. 429.
	RateLimited Code = "rate_limited"
	// QuotaExhausted: the AI provider's account is out of quota or
	// credit. The operator must top up at the provider; a batch stops.
	// 503.
	QuotaExhausted Code = "quota_exhausted"
	// ProviderUnauthenticated: the AI provider rejected the service's
	// API key. The operator must fix the key; a batch stops. 503.
	ProviderUnauthenticated Code = "provider_unauthenticated"
	// ProviderFailure: the AI provider failed (server errors, timeouts,
	// rejected requests) after all retries. 502.
	ProviderFailure Code = "provider_failure"
	// Refused: the model refused, or a safety filter blocked the answer,
	// for this content. Retrying the same file will not help. 422.
	Refused Code = "refused"
	// BadOutput: the model's answer was not the JSON asked for, even
	// after one repair attempt, or it was unusable (no title, too few
	// keywords). Retrying may help. 502.
	BadOutput Code = "bad_output"
	// Canceled: the caller's context was cancelled or its deadline
	// passed before the work was done; nothing was charged. 499, the
	// status proxies use for a client that went away.
	Canceled Code = "canceled"
	// DeadlineExceeded: a file was not done within its time limit
	// (picfre.Options.FileTimeout): a provider that did not answer in
	// time, or a file too costly to prepare. Nothing was charged; the
	// other files of a batch go on. It is not Canceled, which is the
	// caller's own cancellation or deadline. Retry later or with a longer
	// limit. 504.
	DeadlineExceeded Code = "deadline_exceeded"
	// Unavailable: a service picfre depends on (the database behind the
	// ledger, a tool such as ffmpeg) failed or could not be reached.
	// Retry later; every write picfre makes is idempotent. 503.
	Unavailable Code = "unavailable"
	// Internal: a bug in picfre, a driver or a hook (a recovered panic,
	// an error nobody classified), or local resources that ran out (the
	// scratch disk full, a quota, too many open files; the message says
	// which, without a path): the file is not at fault. Please report
	// the former; free the resource for the latter. 500.
	Internal Code = "internal"
)

var codes = [...]struct {
	code   Code
	status int
}{
	{InvalidArgument, http.StatusBadRequest},
	{InvalidMedia, http.StatusUnprocessableEntity},
	{UnsupportedMedia, http.StatusUnsupportedMediaType},
	{TooLarge, http.StatusRequestEntityTooLarge},
	{InsufficientCredits, http.StatusPaymentRequired},
	{Conflict, http.StatusConflict},
	{NotFound, http.StatusNotFound},
	{FailedPrecondition, http.StatusConflict},
	{Unauthenticated, http.StatusUnauthorized},
	{PermissionDenied, http.StatusForbidden},
	{BillingFailure, http.StatusServiceUnavailable},
	{RateLimited, http.StatusTooManyRequests},
	{QuotaExhausted, http.StatusServiceUnavailable},
	{ProviderUnauthenticated, http.StatusServiceUnavailable},
	{ProviderFailure, http.StatusBadGateway},
	{Refused, http.StatusUnprocessableEntity},
	{BadOutput, http.StatusBadGateway},
	{Canceled, StatusClientClosedRequest},
	{DeadlineExceeded, http.StatusGatewayTimeout},
	{Unavailable, http.StatusServiceUnavailable},
	{Internal, http.StatusInternalServerError},
}

// StatusClientClosedRequest is the HTTP status of Canceled: 499, not in
// RFC 9110 but what nginx and the gRPC-HTTP mapping use for a request
// whose client went away.
const StatusClientClosedRequest = 499

// Codes returns every code, in the order of their declaration.
func Codes() []Code {
	out := make([]Code, len(codes))
	for i, c := range codes {
		out[i] = c.code
	}
	return out
}

// Valid reports whether c is one of the codes declared here.
func (c Code) Valid() bool {
	for _, k := range codes {
		if k.code == c {
			return true
		}
	}
	return false
}

// HTTPStatus returns the HTTP status that answers a request failing with
// c: one status per code, as each code's comment lists. An unknown code
// (or "") gives 500.
func (c Code) HTTPStatus() int {
	for _, k := range codes {
		if k.code == c {
			return k.status
		}
	}
	return http.StatusInternalServerError
}

// Error returns the code itself ("too_large"): a Code can be returned, and
// matched with errors.Is, as an error of its own, and it prints as the
// code with fmt and slog.
func (c Code) Error() string { return string(c) }

// ErrorCode returns c: a bare Code in an error chain answers [Of].
func (c Code) ErrorCode() Code { return c }

// Is reports whether target is c. An error type with an ErrorCode method
// should have an Is method that asks its code, so that errors.Is(err,
// errcode.X) holds for it as for *Error:
//
//	func (e *MyError) Is(target error) bool { return e.ErrorCode().Is(target) }
func (c Code) Is(target error) bool {
	t, ok := target.(Code)
	return ok && t == c
}

// coder is what Of looks for in an error chain.
type coder interface{ ErrorCode() Code }

// Of returns the code of err: that of the outermost error in its chain
// with one (an *Error, a Code, or any type with an ErrorCode() Code
// method), Canceled for an uncoded context.Canceled or
// context.DeadlineExceeded, "" for nil and Internal for anything else.
func Of(err error) Code {
	if err == nil {
		return ""
	}
	var c coder
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Canceled
	}
	return Internal
}

// Has reports whether err already carries a code of its own (not the
// Canceled or Internal that Of infers).
func Has(err error) bool {
	var c coder
	return errors.As(err, &c)
}

// Error is an error with a code. Its message is the message of Err, or
// the code when Err is nil.
type Error struct {
	Code Code
	// Err is the cause; its text is the message.
	Err error
}

// Error returns the message of the cause, or the code.
func (e *Error) Error() string {
	if e.Err == nil {
		return string(e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns e.Code.
func (e *Error) ErrorCode() Code { return e.Code }

// Is reports whether target is e's Code, so that errors.Is(err,
// errcode.TooLarge) holds for an *Error with that code.
func (e *Error) Is(target error) bool { return e.Code.Is(target) }

// New returns a new sentinel error with code c and message msg: distinct
// from every other error for errors.Is, and matching c.
func New(c Code, msg string) error {
	return &Error{Code: c, Err: errors.New(msg)}
}

// Errorf returns an error with code c and the message of
// fmt.Errorf(format, args...), wrapping any %w operands.
func Errorf(c Code, format string, args ...any) error {
	return &Error{Code: c, Err: fmt.Errorf(format, args...)}
}

// Wrap returns err with code c, or nil when err is nil. The outermost
// code in a chain wins, so Wrap reclassifies an error that has one.
func Wrap(c Code, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: c, Err: err}
}

// WrapIfNone returns err unchanged when it carries a code of its own,
// with Canceled when it is an uncoded context.Canceled or
// context.DeadlineExceeded, and with c otherwise (nil when err is nil).
// Use it where a layer knows the stage that failed but must not hide a
// finer code from below.
func WrapIfNone(c Code, err error) error {
	if err == nil || Has(err) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		c = Canceled
	}
	return &Error{Code: c, Err: err}
}
