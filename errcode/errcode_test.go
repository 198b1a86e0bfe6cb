package errcode_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/picfre/picfre/errcode"
)

func TestOf(t *testing.T) {
	sentinel := errcode.New(errcode.Conflict, "metering: in progress")
	other := errcode.New(errcode.Conflict, "metering: conflict")
	tests := []struct {
		name string
		err  error
		want errcode.Code
	}{
		{"nil", nil, ""},
		{"bare code", errcode.TooLarge, errcode.TooLarge},
		{"wrapped code", fmt.Errorf("op: %w", errcode.Refused), errcode.Refused},
		{"sentinel", sentinel, errcode.Conflict},
		{"wrapped sentinel", fmt.Errorf("metering: authorize: %w", sentinel), errcode.Conflict},
		{"outermost wins", errcode.Wrap(errcode.BillingFailure, sentinel), errcode.BillingFailure},
		{"canceled", context.Canceled, errcode.Canceled},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), errcode.Canceled},
		{"uncoded", errors.New("boom"), errcode.Internal},
		{"errorf", errcode.Errorf(errcode.InvalidArgument, "bad %d", 3), errcode.InvalidArgument},
		{"joined", errors.Join(errors.New("a"), errcode.Unavailable), errcode.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errcode.Of(tt.err); got != tt.want {
				t.Errorf("Of = %q, want %q", got, tt.want)
			}
		})
	}
	if errors.Is(sentinel, other) || errors.Is(other, sentinel) {
		t.Error("two sentinels of one code match each other")
	}
	if !errors.Is(fmt.Errorf("w: %w", sentinel), errcode.Conflict) {
		t.Error("a sentinel does not match its code")
	}
	if errors.Is(sentinel, errcode.InvalidArgument) {
		t.Error("a sentinel matches another code")
	}
}

func TestWrapIfNone(t *testing.T) {
	if errcode.WrapIfNone(errcode.BillingFailure, nil) != nil {
		t.Error("nil is not nil")
	}
	coded := errcode.New(errcode.InsufficientCredits, "insufficient credits")
	if got := errcode.WrapIfNone(errcode.BillingFailure, coded); got != coded {
		t.Errorf("a coded error was rewrapped: %v", got)
	}
	if got := errcode.Of(errcode.WrapIfNone(errcode.BillingFailure, errors.New("db down"))); got != errcode.BillingFailure {
		t.Errorf("uncoded: %q", got)
	}
	if got := errcode.Of(errcode.WrapIfNone(errcode.BillingFailure, context.Canceled)); got != errcode.Canceled {
		t.Errorf("cancellation: %q", got)
	}
	if errcode.Wrap(errcode.Internal, nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}

func TestMessages(t *testing.T) {
	if got := errcode.Wrap(errcode.TooLarge, errors.New("file is larger than 10 bytes")).Error(); got != "file is larger than 10 bytes" {
		t.Errorf("message %q repeats more than the cause", got)
	}
	if got := (&errcode.Error{Code: errcode.RateLimited}).Error(); got != "rate_limited" {
		t.Errorf("message without cause %q", got)
	}
	if got := errcode.Code("made_up").Error(); got != "made_up" {
		t.Errorf("unknown code text %q", got)
	}
}

// Each code has exactly one status, every status is an error status, and
// the table lists every code once.
func TestHTTPStatus(t *testing.T) {
	seen := map[errcode.Code]bool{}
	for _, c := range errcode.Codes() {
		if seen[c] {
			t.Errorf("%s listed twice", c)
		}
		seen[c] = true
		if !c.Valid() {
			t.Errorf("%s not valid", c)
		}
		s := c.HTTPStatus()
		if s < 400 || s > 599 {
			t.Errorf("%s: status %d is not an error status", c, s)
		}
	}
	want := map[errcode.Code]int{
		errcode.InvalidArgument:         http.StatusBadRequest,
		errcode.InvalidMedia:            http.StatusUnprocessableEntity,
		errcode.UnsupportedMedia:        http.StatusUnsupportedMediaType,
		errcode.TooLarge:                http.StatusRequestEntityTooLarge,
		errcode.InsufficientCredits:     http.StatusPaymentRequired,
		errcode.Conflict:                http.StatusConflict,
		errcode.FailedPrecondition:      http.StatusConflict,
		errcode.Unauthenticated:         http.StatusUnauthorized,
		errcode.PermissionDenied:        http.StatusForbidden,
		errcode.BillingFailure:          http.StatusServiceUnavailable,
		errcode.RateLimited:             http.StatusTooManyRequests,
		errcode.QuotaExhausted:          http.StatusServiceUnavailable,
		errcode.ProviderUnauthenticated: http.StatusServiceUnavailable,
		errcode.ProviderFailure:         http.StatusBadGateway,
		errcode.Refused:                 http.StatusUnprocessableEntity,
		errcode.BadOutput:               http.StatusBadGateway,
		errcode.Canceled:                499,
		errcode.DeadlineExceeded:        http.StatusGatewayTimeout,
		errcode.NotFound:                http.StatusNotFound,
		errcode.Unavailable:             http.StatusServiceUnavailable,
		errcode.Internal:                http.StatusInternalServerError,
	}
	if len(want) != len(seen) {
		t.Errorf("%d codes, %d in this test's table", len(seen), len(want))
	}
	for c, s := range want {
		if got := c.HTTPStatus(); got != s {
			t.Errorf("%s: status %d, want %d", c, got, s)
		}
	}
	if got := errcode.Code("nope").HTTPStatus(); got != http.StatusInternalServerError {
		t.Errorf("unknown code: %d", got)
	}
}
