package seal

import (
	"crypto/sha256"
	"io"
	"os"
	"runtime"
	"testing"
)

// patternReader yields n bytes of a cheap pattern without holding them.
type patternReader struct {
	n, off int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		x := p.off + int64(i)
		b[i] = byte(x ^ x>>8 ^ x>>16)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// TestStreamConstantMemory seals a long stream through io.Copy into a
// pipe and opens it from the other end, checking the plaintext's hash and
// that the whole run allocates well under 1 MiB: neither side holds more
// than a chunk. 64 MiB by default; PICFRE_SEAL_BIG=1 makes it 1 GiB.
func TestStreamConstantMemory(t *testing.T) {
	size := int64(64 << 20)
	if os.Getenv("PICFRE_SEAL_BIG") == "1" {
		size = 1 << 30
	}
	k := ring(t, testKey("k1", 1))

	want := sha256.New()
	if _, err := io.Copy(want, &patternReader{n: size}); err != nil {
		t.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		w, err := k.Writer(pw, []byte("aad"))
		if err == nil {
			_, err = io.Copy(w, &patternReader{n: size})
		}
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err)
		done <- err
	}()
	r, err := k.Reader(pr, []byte("aad"))
	if err != nil {
		t.Fatalf("Reader: %v", err)
	}
	got := sha256.New()
	n, err := io.Copy(got, r)
	if err != nil || n != size {
		t.Fatalf("io.Copy = %d, %v; want %d, nil", n, err, size)
	}
	if err := <-done; err != nil {
		t.Fatalf("writer side: %v", err)
	}

	runtime.ReadMemStats(&after)
	if string(got.Sum(nil)) != string(want.Sum(nil)) {
		t.Fatal("plaintext hash differs")
	}
	const limit = 1 << 20
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > limit {
		t.Fatalf("a %d-byte stream allocated %d bytes, want under %d", size, allocated, limit)
	}
	t.Logf("%d MiB stream: %d bytes allocated in all", size>>20, after.TotalAlloc-before.TotalAlloc)
}
