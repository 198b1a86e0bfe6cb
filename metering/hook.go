package metering

import (
	"context"
	"time"

	"github.com/picfre/picfre/errcode"
)

// Authorization asks for credits to be held before a provider is called.
type Authorization struct {
	// Account is the embedder's account identifier.
	Account string
	// IdempotencyKey identifies this charge: the same key leads to the
	// same outcome, so a retried or re-run file is not charged twice (by
	// a Ledger, within its replay window: Options.ReplayWindow).
	IdempotencyKey string
	// Credits is the price to hold, in whole credits.
	Credits int64
	// Task and MediaType describe what is being paid for ("metadata",
	// "prompt"; "image", "video", "audio").
	Task      string
	MediaType string
}

// Hold is an authorization that succeeded. It is passed back to Capture or
// Void unchanged.
type Hold struct {
	ID             string
	Account        string
	IdempotencyKey string
	Credits        int64
	// Settled is true when the key was already captured by an earlier
	// run: the pipeline does the work again but must not charge again.
	// Capture and Void of a settled hold are no-ops.
	Settled bool
}

// Event is the usage record of one processed file. It holds the file's
// name and the time, what was charged and what the provider billed, and
// nothing else about the user or the content.
type Event struct {
	Account        string
	IdempotencyKey string
	File           string
	Time           time.Time
	Task           string
	MediaType      string
	Credits        int64
	Provider       string
	Model          string
	InputTokens    int64
	OutputTokens   int64
}

// Hook is what the pipeline calls to bill a file: Authorize before the
// provider is called, then exactly one of Capture (on success) or Void (on
// any failure, cancellation included).
//
// Implementations must be safe for concurrent use. The pipeline calls
// Capture and Void with a context that is not cancelled when the caller's
// is (context.WithoutCancel), so that credits are settled or released even
// when a job is abandoned; implementations should still bound their own
// I/O time.
type Hook interface {
	// Authorize holds a.Credits on a.Account. It returns an error wrapping
	// ErrInsufficientCredits when the balance does not cover it.
	Authorize(ctx context.Context, a Authorization) (Hold, error)
	// Capture settles a hold with the usage event of the file. It charges
	// at most h.Credits; calling it again with the same hold is a no-op.
	Capture(ctx context.Context, h Hold, e Event) error
	// Void releases a hold without charging. reason is the code of the
	// file's failure (errcode.Of of its error: invalid_media,
	// provider_failure, canceled ...), for the hook's records and logs;
	// it may be empty. Voiding a captured or already voided hold is a
	// no-op.
	Void(ctx context.Context, h Hold, reason errcode.Code) error
}

// Discard is a Hook that holds, charges and records nothing. It is the
// pipeline's default: processing is free unless a hook is configured.
type Discard struct{}

// Authorize returns a hold for the requested credits without checking any
// balance.
func (Discard) Authorize(_ context.Context, a Authorization) (Hold, error) {
	return Hold{Account: a.Account, IdempotencyKey: a.IdempotencyKey, Credits: a.Credits}, nil
}

// Capture does nothing.
func (Discard) Capture(context.Context, Hold, Event) error { return nil }

// Void does nothing.
func (Discard) Void(context.Context, Hold, errcode.Code) error { return nil }

var _ Hook = Discard{}
