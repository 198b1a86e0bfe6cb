package meteringtest_test

import (
	"fmt"
	"time"

	"github.com/picfre/picfre/metering/meteringtest"
)

func ExampleClock() {
	c := meteringtest.NewClock(meteringtest.Epoch)
	c.Advance(15 * time.Minute)
	fmt.Println(c.Now().Format(time.RFC3339))
	// Output: 2025-03-01T12:15:00Z
}
