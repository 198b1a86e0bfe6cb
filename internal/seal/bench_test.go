package seal

import (
	"bytes"
	"io"
	"testing"
)

const benchSize = 24 << 20

func BenchmarkWriter(b *testing.B) {
	k := ring(b, testKey("k1", 1))
	plain := pattern(benchSize)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		w, err := k.Writer(io.Discard, []byte("aad"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(w, bytes.NewReader(plain)); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	k := ring(b, testKey("k1", 1))
	sealed, err := k.Seal(pattern(benchSize), []byte("aad"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		r, err := k.Reader(bytes.NewReader(sealed), []byte("aad"))
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	k := ring(b, testKey("k1", 1))
	plain := pattern(4 << 10) // a typical held result
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal(plain, []byte("aad")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	k := ring(b, testKey("k1", 1))
	sealed, _ := k.Seal(pattern(4<<10), []byte("aad"))
	b.SetBytes(4 << 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Open(sealed, []byte("aad")); err != nil {
			b.Fatal(err)
		}
	}
}
