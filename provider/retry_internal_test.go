package provider

import (
	"testing"
	"time"
)

func TestRetryBackoffWithJitterStaysInBounds(t *testing.T) {
	o := RetryOptions{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for n := 1; n <= 10; n++ {
		ceiling := min(time.Second, 100*time.Millisecond<<(n-1))
		for _, r := range []float64{0, 0.25, 0.5, 0.999999} {
			got := o.backoff(n, 0, r)
			if got < 0 || got >= ceiling {
				t.Fatalf("attempt %d r=%v: backoff %s outside [0, %s)", n, r, got, ceiling)
			}
		}
		if got := o.backoff(n, 3*time.Second, 0.5); got != 3*time.Second {
			t.Fatalf("hint above the backoff must win: %s", got)
		}
	}
	// Different draws give different waits: the jitter is real.
	if o.backoff(3, 0, 0.1) == o.backoff(3, 0, 0.9) {
		t.Fatal("no jitter")
	}
}
