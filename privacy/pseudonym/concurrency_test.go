package pseudonym

import (
	"sync"
	"testing"
)

// TestConcurrentUse backs the doc comment's concurrency claim under -race.
func TestConcurrentUse(t *testing.T) {
	p, err := NewKeyring("k2", map[string][]byte{"k1": key1, "k2": key2})
	if err != nil {
		t.Fatal(err)
	}
	wantP := p.Pseudonym("v")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if p.Pseudonym("v") != wantP || len(p.Candidates("v")) != 2 {
					t.Error("concurrent Pseudonym differs")
				}
			}
		})
	}
	wg.Wait()
}
