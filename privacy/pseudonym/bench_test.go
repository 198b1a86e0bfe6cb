package pseudonym

import "testing"

func BenchmarkPseudonym(b *testing.B) {
	p, _ := NewKeyring("k1", map[string][]byte{"k1": key1})
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Pseudonym("account-42")
	}
}
