package privacy

import (
	"bytes"
	"sync"
	"testing"
)

// TestConcurrentUse backs the doc comments' concurrency claims under -race.
func TestConcurrentUse(t *testing.T) {
	data := readFixture(t, "alpha.webp")
	want, _, err := Strip(data, StripOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPseudonymizer("k2", map[string][]byte{"k1": key1, "k2": key2})
	if err != nil {
		t.Fatal(err)
	}
	wantP := p.Pseudonym("v")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				got, _, err := Strip(data, StripOptions{})
				if err != nil || !bytes.Equal(got, want) {
					t.Error("concurrent Strip differs")
				}
				if p.Pseudonym("v") != wantP || len(p.Candidates("v")) != 2 {
					t.Error("concurrent Pseudonym differs")
				}
			}
		})
	}
	wg.Wait()
}
