package strip

import (
	"bytes"
	"sync"
	"testing"
)

// TestConcurrentUse backs the doc comments' concurrency claims under -race.
func TestConcurrentUse(t *testing.T) {
	data := readFixture(t, "alpha.webp")
	want, _, err := Bytes(data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				got, _, err := Bytes(data, Options{})
				if err != nil || !bytes.Equal(got, want) {
					t.Error("concurrent Strip differs")
				}
			}
		})
	}
	wg.Wait()
}
