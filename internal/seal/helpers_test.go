package seal

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// testKey returns a key whose secret is 32 copies of b.
func testKey(id string, b byte) Key {
	return Key{ID: id, Secret: bytes.Repeat([]byte{b}, SecretSize)}
}

// ring returns a keyring of keys, failing the test on error.
func ring(t testing.TB, keys ...Key) *Keyring {
	t.Helper()
	k, err := NewKeyring(keys...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

// pattern returns n bytes of a deterministic, non-repeating-per-chunk
// pattern, so that swapped chunks differ.
func pattern(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// sealStream seals plain through a Writer, in writes of step bytes.
func sealStream(t testing.TB, k *Keyring, plain, aad []byte, step int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := k.Writer(&out, aad)
	if err != nil {
		t.Fatalf("Writer: %v", err)
	}
	for p := plain; len(p) > 0; {
		n := min(step, len(p))
		m, err := w.Write(p[:n])
		if err != nil || m != n {
			t.Fatalf("Write = %d, %v; want %d, nil", m, err, n)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return out.Bytes()
}

// openStream reads sealed through a Reader to its end.
func openStream(k *Keyring, sealed, aad []byte) ([]byte, error) {
	r, err := k.Reader(bytes.NewReader(sealed), aad)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// wantErr fails the test unless err matches want (nil for success).
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}
