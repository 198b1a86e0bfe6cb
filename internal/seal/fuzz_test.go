package seal

import (
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/picfre/picfre/errcode"
)

// fuzzRing is the keyring of the fuzz targets: the seeds are sealed
// under it, so the fuzzer starts from valid objects.
func fuzzRing(f *testing.F) *Keyring {
	return ring(f, testKey("k1", 1), testKey("old", 2))
}

// typed reports whether err is one of the errors opening may give for bad
// bytes.
func typed(err error) bool {
	return errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnknownKey) || errors.Is(err, ErrNotSealed)
}

func addSeeds(f *testing.F, k *Keyring) {
	for _, size := range []int{0, 1, 100, ChunkSize, ChunkSize + 1} {
		s, err := k.Seal(pattern(size), []byte("aad"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s, []byte("aad"))
	}
	old, _ := ring(f, testKey("old", 2)).Seal([]byte("by the old key"), nil)
	f.Add(old, []byte(nil))
	other, _ := ring(f, testKey("gone", 3)).Seal([]byte("x"), nil)
	f.Add(other, []byte(nil))
	f.Add([]byte("PFSEAL\x01\x02k1"), []byte(nil))
	f.Add([]byte("PFSEAL\x02"), []byte(nil))
	f.Add([]byte("{}"), []byte(nil))
	f.Add([]byte(nil), []byte(nil))
}

func FuzzReader(f *testing.F) {
	k := fuzzRing(f)
	addSeeds(f, k)
	f.Fuzz(func(t *testing.T, data, aad []byte) {
		r, err := k.Reader(iotest.HalfReader(&sliceReader{b: data}), aad)
		if err != nil {
			if !typed(err) || errcode.Of(err) == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil && !typed(err) {
			t.Fatalf("untyped error %v", err)
		}
		if n > int64(len(data)) {
			t.Fatalf("%d plaintext bytes from %d sealed", n, len(data))
		}
		plain, oerr := k.Open(data, aad)
		if (err == nil) != (oerr == nil) || (err == nil && int64(len(plain)) != n) {
			t.Fatalf("Reader (%d, %v) and Open (%d, %v) disagree", n, err, len(plain), oerr)
		}
	})
}

func FuzzOpen(f *testing.F) {
	k := fuzzRing(f)
	addSeeds(f, k)
	f.Fuzz(func(t *testing.T, data, aad []byte) {
		plain, err := k.Open(data, aad)
		if err != nil {
			if !typed(err) || plain != nil {
				t.Fatalf("Open = %d bytes, %v; want nil and a typed error", len(plain), err)
			}
			return
		}
		if len(plain) >= len(data) {
			t.Fatalf("%d plaintext bytes from %d sealed", len(plain), len(data))
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add("k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")
	f.Add("k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE")
	f.Add("a:b:-_-_AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE")
	f.Add("")
	f.Add(":")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParseKey(s)
		if err != nil {
			if errcode.Of(err) != errcode.InvalidArgument {
				t.Fatalf("error %v, want invalid_argument", err)
			}
			return
		}
		if _, err := NewKeyring(key); err != nil {
			t.Fatalf("ParseKey accepted a key NewKeyring refuses: %v", err)
		}
	})
}

// sliceReader reads b without bytes.Reader's WriterTo, so the Reader's
// own chunking is what runs.
type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}
