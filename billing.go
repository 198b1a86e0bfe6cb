package picfre

import (
	"time"

	"github.com/picfre/picfre/errcode"
)

// Billing defaults: what Config's billing fields mean when they are zero.
const (
	// DefaultMaxCredits is Config.MaxCredits when it is zero: no file is
	// held for more than 1,000 credits.
	DefaultMaxCredits = 1000
	// DefaultCaptureAttempts is Config.CaptureAttempts when it is zero.
	DefaultCaptureAttempts = 4
	// DefaultCaptureBackoff is Config.CaptureBackoff when it is zero:
	// with the default attempts a capture is retried after 250 ms, 500 ms
	// and 1 s.
	DefaultCaptureBackoff = 250 * time.Millisecond
)

// ErrOverMaxCredits: the file's price exceeds the per-file ceiling
// (Config.MaxCredits). The file is refused before anything is held or
// sent to a provider; raise the ceiling or split the file.
var ErrOverMaxCredits = errcode.New(errcode.TooLarge, "picfre: the file's price exceeds the per-file credit ceiling")
