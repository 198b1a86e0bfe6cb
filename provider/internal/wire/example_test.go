package wire_test

import (
	"fmt"
	"time"

	"github.com/picfre/picfre/provider/internal/wire"
)

// ParseRetryAfter reads OpenAI's millisecond hint before the standard one.
func ExampleParseRetryAfter() {
	h := map[string][]string{"Retry-After": {"2"}, "Retry-After-Ms": {"1500"}}
	fmt.Println(wire.ParseRetryAfter(h, time.Now()))
	// Output: 1.5s
}
