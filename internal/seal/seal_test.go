package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/picfre/picfre/errcode"
)

func TestRoundTrip(t *testing.T) {
	k := ring(t, testKey("k1", 1))
	aad := []byte("job-42/spool")
	for _, size := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2 * ChunkSize, 5 << 20} {
		plain := pattern(size)
		for _, step := range []int{1 << 30, 1000, ChunkSize} {
			if size > 1<<20 && step == 1000 {
				continue // the small-write path is covered by the smaller sizes
			}
			t.Run(fmt.Sprintf("size=%d/step=%d", size, step), func(t *testing.T) {
				stream := sealStream(t, k, plain, aad, step)
				if got, want := int64(len(stream)), k.SealedSize(int64(size)); got != want {
					t.Errorf("sealed size %d, SealedSize says %d", got, want)
				}
				msg, err := k.Seal(plain, aad)
				wantErr(t, "Seal", err, nil)
				if len(msg) != len(stream) {
					t.Errorf("Seal gives %d bytes, Writer %d", len(msg), len(stream))
				}
				for name, sealed := range map[string][]byte{"writer": stream, "seal": msg} {
					got, err := openStream(k, sealed, aad)
					wantErr(t, name+" via Reader", err, nil)
					if !bytes.Equal(got, plain) {
						t.Fatalf("%s via Reader: plaintext differs (%d bytes, want %d)", name, len(got), len(plain))
					}
					got, err = k.Open(sealed, aad)
					wantErr(t, name+" via Open", err, nil)
					if !bytes.Equal(got, plain) {
						t.Fatalf("%s via Open: plaintext differs (%d bytes, want %d)", name, len(got), len(plain))
					}
				}
			})
		}
	}
}

func TestReaderSmallReads(t *testing.T) {
	k := ring(t, testKey("k1", 1))
	plain := pattern(3*ChunkSize + 7)
	sealed := sealStream(t, k, plain, nil, 1<<30)
	// OneByteReader below and iotest.TestReader above exercise short
	// reads from the source and into the caller's buffer.
	r, err := k.Reader(iotest.OneByteReader(bytes.NewReader(sealed)), nil)
	wantErr(t, "Reader", err, nil)
	if err := iotest.TestReader(r, plain); err != nil {
		t.Fatal(err)
	}
}

func TestSealsDiffer(t *testing.T) {
	k := ring(t, testKey("k1", 1))
	a, _ := k.Seal([]byte("same"), nil)
	b, _ := k.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one message are equal: the salt is not random")
	}
	if bytes.Contains(a, []byte("same")) {
		t.Fatal("sealed message contains its plaintext")
	}
}

func TestHeader(t *testing.T) {
	k := ring(t, testKey("key-2026", 1))
	sealed, _ := k.Seal(nil, nil)
	want := "PFSEAL\x01\x08key-2026"
	if !strings.HasPrefix(string(sealed), want) {
		t.Fatalf("header %q, want prefix %q", sealed[:len(want)], want)
	}
	if len(sealed) != len(want)+saltSize+tagSize {
		t.Fatalf("empty message sealed to %d bytes, want %d", len(sealed), len(want)+saltSize+tagSize)
	}
}

// chunkOffsets returns the offset of every chunk in a sealed object of
// plainLen bytes under id.
func chunkOffsets(id string, plainLen int) []int {
	offs := []int{headerSize(id)}
	for n := plainLen; n > ChunkSize; n -= ChunkSize {
		offs = append(offs, offs[len(offs)-1]+sealedChunkSize)
	}
	return offs
}

func TestTruncation(t *testing.T) {
	k := ring(t, testKey("k1", 1))
	plain := pattern(3*ChunkSize + 100)
	sealed := sealStream(t, k, plain, nil, 1<<30)
	hdr := headerSize("k1")
	cuts := map[int]bool{}
	for i := 1; i <= hdr; i++ {
		cuts[i] = true // every cut inside the header, and right after it
	}
	for _, off := range chunkOffsets("k1", len(plain)) {
		for _, d := range []int{-1, 0, 1, tagSize - 1, tagSize, ChunkSize / 2, sealedChunkSize - 1} {
			if c := off + d; c > hdr && c < len(sealed) {
				cuts[c] = true
			}
		}
	}
	cuts[len(sealed)-1] = true
	for cut := range cuts {
		got, err := openStream(k, sealed[:cut], nil)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut at %d of %d: Reader error %v, want ErrCorrupt", cut, len(sealed), err)
		}
		if !bytes.HasPrefix(plain, got) {
			t.Fatalf("cut at %d: Reader returned bytes that are not a prefix of the plaintext", cut)
		}
		if _, err := k.Open(sealed[:cut], nil); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut at %d of %d: Open error %v, want ErrCorrupt", cut, len(sealed), err)
		}
	}
	if _, err := openStream(k, nil, nil); !errors.Is(err, ErrNotSealed) {
		t.Fatalf("empty input: error %v, want ErrNotSealed", err)
	}
}

func TestTruncatedAtBoundaryReturnsNoEOF(t *testing.T) {
	// A stream cut after a whole chunk must not end in io.EOF: the
	// plaintext read so far is authentic, but the error says it is not all.
	k := ring(t, testKey("k1", 1))
	sealed := sealStream(t, k, pattern(2*ChunkSize+1), nil, 1<<30)
	cut := chunkOffsets("k1", 2*ChunkSize+1)[2]
	r, err := k.Reader(bytes.NewReader(sealed[:cut]), nil)
	wantErr(t, "Reader", err, nil)
	n, err := io.Copy(io.Discard, r)
	// Chunk 1, the last one left, fails as a final chunk: only chunk 0
	// is returned.
	if !errors.Is(err, ErrCorrupt) || n != ChunkSize {
		t.Fatalf("io.Copy = %d, %v; want %d, ErrCorrupt", n, err, ChunkSize)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Read after failure: %v, want the same ErrCorrupt", err)
	}
}

func TestTampering(t *testing.T) {
	k := ring(t, testKey("k1", 1), testKey("k2", 2))
	plain := pattern(2*ChunkSize + 10)
	sealed := sealStream(t, k, plain, []byte("aad"), 1<<30)
	offs := chunkOffsets("k1", len(plain))
	idAt := prefixSize
	saltAt := prefixSize + len("k1")
	cases := []struct {
		name string
		at   int
		bit  byte
		want error
	}{
		{"magic", 0, 0x01, ErrNotSealed},
		{"magic last byte", len(magic) - 1, 0x01, ErrNotSealed},
		{"version", len(magic), 0x02, ErrCorrupt},
		{"id length 255", len(magic) + 1, 0xfd, ErrCorrupt},
		{"id length 66", len(magic) + 1, 0x40, ErrCorrupt},
		{"id length zero", len(magic) + 1, 0x02, ErrCorrupt},
		{"id to another key", idAt + 1, 0x03, ErrCorrupt}, // "k1" -> "k2": that key opens nothing
		{"id to unknown key", idAt, 0x01, ErrUnknownKey},  // "k1" -> "j1"
		{"id to a space", idAt, 'k' ^ ' ', ErrCorrupt},
		{"salt first", saltAt, 0x80, ErrCorrupt},
		{"salt last", saltAt + saltSize - 1, 0x01, ErrCorrupt},
		{"first chunk body", offs[0], 0x01, ErrCorrupt},
		{"first chunk tag", offs[1] - 1, 0x01, ErrCorrupt},
		{"middle chunk body", offs[1] + 1000, 0x40, ErrCorrupt},
		{"final chunk body", offs[2], 0x01, ErrCorrupt},
		{"final chunk tag", len(sealed) - 1, 0x80, ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := bytes.Clone(sealed)
			bad[c.at] ^= c.bit
			_, err := openStream(k, bad, []byte("aad"))
			wantErr(t, "Reader", err, c.want)
			_, err = k.Open(bad, []byte("aad"))
			wantErr(t, "Open", err, c.want)
		})
	}
	t.Run("every header bit", func(t *testing.T) {
		for i := range saltAt + saltSize {
			for bit := range 8 {
				bad := bytes.Clone(sealed)
				bad[i] ^= 1 << bit
				_, err := k.Open(bad, []byte("aad"))
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrNotSealed) {
					t.Fatalf("byte %d bit %d: error %v", i, bit, err)
				}
			}
		}
	})
}

func TestReordering(t *testing.T) {
	k := ring(t, testKey("k1", 1))
	plain := pattern(3*ChunkSize + 10)
	sealed := sealStream(t, k, plain, nil, 1<<30)
	offs := chunkOffsets("k1", len(plain))
	hdr, c0, c1, c2, fin := sealed[:offs[0]], sealed[offs[0]:offs[1]], sealed[offs[1]:offs[2]], sealed[offs[2]:offs[3]], sealed[offs[3]:]
	other := sealStream(t, k, plain, nil, 1<<30)
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := map[string][]byte{
		"swap first two":        join(hdr, c1, c0, c2, fin),
		"swap last two full":    join(hdr, c0, c2, c1, fin),
		"drop a middle chunk":   join(hdr, c0, c2, fin),
		"repeat a chunk":        join(hdr, c0, c0, c1, c2, fin),
		"final chunk moved up":  join(hdr, c0, c1, fin),
		"chunk of other object": join(hdr, c0, other[offs[1]:offs[2]], c2, fin),
		"header of other":       join(other[:offs[0]], c0, c1, c2, fin),
		"trailing bytes":        join(hdr, c0, c1, c2, fin, []byte{0}),
		"two objects joined":    join(sealed, other),
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := openStream(k, bad, nil)
			wantErr(t, "Reader", err, ErrCorrupt)
			if !bytes.HasPrefix(plain, got) {
				t.Fatal("Reader returned bytes that are not a prefix of the plaintext")
			}
			_, err = k.Open(bad, nil)
			wantErr(t, "Open", err, ErrCorrupt)
		})
	}
	// Sanity: the pieces put back in order open.
	got, err := k.Open(join(hdr, c0, c1, c2, fin), nil)
	wantErr(t, "Open in order", err, nil)
	if !bytes.Equal(got, plain) {
		t.Fatal("plaintext differs")
	}
}

func TestWrongAAD(t *testing.T) {
	k := ring(t, testKey("k1", 1))
	for _, size := range []int{0, 10, 2 * ChunkSize} {
		sealed := sealStream(t, k, pattern(size), []byte("job-1/result"), 1<<30)
		for _, aad := range [][]byte{nil, []byte("job-2/result"), []byte("job-1/result\x00"), []byte("job-1/resul")} {
			_, err := openStream(k, sealed, aad)
			wantErr(t, fmt.Sprintf("size %d aad %q Reader", size, aad), err, ErrCorrupt)
			_, err = k.Open(sealed, aad)
			wantErr(t, fmt.Sprintf("size %d aad %q Open", size, aad), err, ErrCorrupt)
		}
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := testKey("2025", 1), testKey("2026", 2)
	old := ring(t, oldKey)
	plain := pattern(ChunkSize + 3)
	byOld, _ := old.Seal(plain, nil)
	streamByOld := sealStream(t, old, plain, nil, 1<<30)

	rotated := ring(t, newKey, oldKey)
	if rotated.CurrentID() != "2026" {
		t.Fatalf("CurrentID %q, want the first key", rotated.CurrentID())
	}
	for name, sealed := range map[string][]byte{"seal": byOld, "stream": streamByOld} {
		got, err := rotated.Open(sealed, nil)
		wantErr(t, name+" by old key, opened by [new, old]", err, nil)
		if !bytes.Equal(got, plain) {
			t.Fatal("plaintext differs")
		}
	}
	byNew, _ := rotated.Seal(plain, nil)
	if !bytes.HasPrefix(byNew, []byte("PFSEAL\x01\x042026")) {
		t.Fatal("the rotated ring does not seal with its first key")
	}
	// The new key alone cannot open the old object, nor the old the new.
	_, err := ring(t, newKey).Open(byOld, nil)
	wantErr(t, "old object, ring [new]", err, ErrUnknownKey)
	_, err = openStream(ring(t, newKey), streamByOld, nil)
	wantErr(t, "old stream, ring [new]", err, ErrUnknownKey)
	_, err = old.Open(byNew, nil)
	wantErr(t, "new object, ring [old]", err, ErrUnknownKey)
	if errcode.Of(err) != errcode.FailedPrecondition {
		t.Fatalf("unknown key code %q", errcode.Of(err))
	}
	if !strings.Contains(err.Error(), `"2026"`) {
		t.Fatalf("unknown key error %q does not name the missing key id", err)
	}
	// A key with the same id but another secret is a corrupt object, not
	// an unknown key: the id is all the object names.
	_, err = ring(t, testKey("2025", 9)).Open(byOld, nil)
	wantErr(t, "same id, other secret", err, ErrCorrupt)
}

func TestClear(t *testing.T) {
	empty := ring(t)
	sealed, _ := ring(t, testKey("k1", 1)).Seal([]byte("secret"), nil)
	for name, k := range map[string]*Keyring{"nil": nil, "no keys": empty} {
		t.Run(name, func(t *testing.T) {
			if k.Sealing() || k.CurrentID() != "" {
				t.Fatalf("Sealing %v, CurrentID %q; want false, empty", k.Sealing(), k.CurrentID())
			}
			if k.SealedSize(123) != 123 {
				t.Fatalf("SealedSize(123) = %d", k.SealedSize(123))
			}
			for _, in := range [][]byte{nil, []byte("plain text"), sealed} {
				out, err := k.Seal(in, []byte("aad"))
				wantErr(t, "Seal", err, nil)
				if !bytes.Equal(out, in) {
					t.Fatalf("Seal(%q) = %q", in, out)
				}
				out, err = k.Open(in, []byte("aad"))
				wantErr(t, "Open", err, nil)
				if !bytes.Equal(out, in) {
					t.Fatalf("Open(%q) = %q", in, out)
				}
				if len(in) > 0 && &out[0] == &in[0] {
					t.Fatal("Open returned its argument, not a copy")
				}
				var buf bytes.Buffer
				w, err := k.Writer(&buf, nil)
				wantErr(t, "Writer", err, nil)
				w.Write(in)
				wantErr(t, "Close", w.Close(), nil)
				if !bytes.Equal(buf.Bytes(), in) {
					t.Fatalf("Writer wrote %q, want %q", buf.Bytes(), in)
				}
				src := bytes.NewReader(in)
				r, err := k.Reader(src, nil)
				wantErr(t, "Reader", err, nil)
				if r != io.Reader(src) {
					t.Fatal("clear Reader does not return its argument")
				}
			}
		})
	}
}

func TestNotSealed(t *testing.T) {
	k := ring(t, testKey("k1", 1))
	for _, in := range []string{"", "{\"json\":1}", "PFSEAX\x01", "pfseal\x01\x02k1", "\x00"} {
		_, err := k.Open([]byte(in), nil)
		wantErr(t, fmt.Sprintf("Open %q", in), err, ErrNotSealed)
		_, err = k.Reader(strings.NewReader(in), nil)
		wantErr(t, fmt.Sprintf("Reader %q", in), err, ErrNotSealed)
		if errcode.Of(err) != errcode.FailedPrecondition {
			t.Fatalf("code %q", errcode.Of(err))
		}
	}
	// A prefix of the magic is a truncated header.
	for _, in := range []string{"P", "PFSEAL", "PFSEAL\x01", "PFSEAL\x01\x02k1"} {
		_, err := k.Open([]byte(in), nil)
		wantErr(t, fmt.Sprintf("Open %q", in), err, ErrCorrupt)
	}
}

func TestErrorCodes(t *testing.T) {
	for err, want := range map[error]errcode.Code{
		ErrCorrupt:    errcode.Internal,
		ErrUnknownKey: errcode.FailedPrecondition,
		ErrNotSealed:  errcode.FailedPrecondition,
		ErrClosed:     errcode.Internal,
	} {
		if got := errcode.Of(fmt.Errorf("%w: detail", err)); got != want {
			t.Errorf("%v: code %q, want %q", err, got, want)
		}
	}
}

func TestNewKeyring(t *testing.T) {
	good := testKey("ok", 1)
	cases := []struct {
		name string
		keys []Key
		ok   bool
	}{
		{"none", nil, true},
		{"one", []Key{good}, true},
		{"two", []Key{good, testKey("other", 2)}, true},
		{"64-byte id", []Key{testKey(strings.Repeat("x", 64), 1)}, true},
		{"punctuation id", []Key{testKey("a:b/c-d_e.f~!", 1)}, true},
		{"empty id", []Key{testKey("", 1)}, false},
		{"65-byte id", []Key{testKey(strings.Repeat("x", 65), 1)}, false},
		{"space in id", []Key{testKey("a b", 1)}, false},
		{"tab in id", []Key{testKey("a\tb", 1)}, false},
		{"non-ASCII id", []Key{testKey("clé", 1)}, false},
		{"DEL in id", []Key{testKey("a\x7f", 1)}, false},
		{"short secret", []Key{{ID: "a", Secret: make([]byte, 31)}}, false},
		{"long secret", []Key{{ID: "a", Secret: make([]byte, 33)}}, false},
		{"nil secret", []Key{{ID: "a"}}, false},
		{"duplicate", []Key{good, testKey("ok", 2)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := NewKeyring(c.keys...)
			if c.ok {
				wantErr(t, "NewKeyring", err, nil)
				if k.Sealing() != (len(c.keys) > 0) {
					t.Fatalf("Sealing %v with %d keys", k.Sealing(), len(c.keys))
				}
				return
			}
			if errcode.Of(err) != errcode.InvalidArgument || k != nil {
				t.Fatalf("NewKeyring = %v, %v; want nil, invalid_argument", k, err)
			}
			for _, key := range c.keys {
				if len(key.ID) > 1 && strings.Contains(err.Error(), key.ID) {
					t.Fatalf("error %q echoes the id", err)
				}
			}
		})
	}
	// The ring copies the secret: changing the caller's slice changes nothing.
	key := testKey("k", 1)
	k := ring(t, key)
	sealed, _ := k.Seal([]byte("x"), nil)
	key.Secret[0] ^= 1
	_, err := k.Open(sealed, nil)
	wantErr(t, "Open after the caller changed its secret", err, nil)
}

func TestParseKey(t *testing.T) {
	secret := pattern(SecretSize)
	secret[0], secret[1] = 0xfb, 0xff // '+' and '/' in std, '-' and '_' in url base64
	encs := map[string]string{
		"std":     stdEnc(secret),
		"raw std": strings.TrimRight(stdEnc(secret), "="),
		"url":     urlEnc(secret),
		"raw url": strings.TrimRight(urlEnc(secret), "="),
	}
	for name, enc := range encs {
		for _, form := range []string{"key-1:%s", "key-1:%s\n", "  key-1:%s \r\n"} {
			s := fmt.Sprintf(form, enc)
			k, err := ParseKey(s)
			wantErr(t, name, err, nil)
			if k.ID != "key-1" || !bytes.Equal(k.Secret, secret) {
				t.Fatalf("%s %q: got id %q, secret differs %v", name, s, k.ID, !bytes.Equal(k.Secret, secret))
			}
		}
	}
	k, err := ParseKey("a:b:" + encs["std"])
	wantErr(t, "id with a colon", err, nil)
	if k.ID != "a:b" {
		t.Fatalf("id %q, want a:b", k.ID)
	}
	short := stdEnc(secret[:31])
	long := stdEnc(append(bytes.Clone(secret), 7))
	for _, s := range []string{
		"", "nocolon", encs["std"], ":" + encs["std"], "key 1:" + encs["std"],
		"k:" + short, "k:" + long, "k:" + encs["std"] + "=", "k:" + encs["std"][1:], "k:*" + encs["std"][1:],
		"k:" + strings.Repeat("A", 1000), strings.Repeat("x", 65) + ":" + encs["std"],
	} {
		_, err := ParseKey(s)
		if errcode.Of(err) != errcode.InvalidArgument {
			t.Fatalf("ParseKey(%q) error %v, want invalid_argument", s, err)
		}
		for _, secretText := range []string{encs["std"], short, long, encs["std"][1:5]} {
			if strings.Contains(err.Error(), secretText) {
				t.Fatalf("ParseKey error %q echoes the secret", err)
			}
		}
	}
}

func TestWriterClose(t *testing.T) {
	k := ring(t, testKey("k1", 1))
	var buf bytes.Buffer
	w, _ := k.Writer(&buf, nil)
	if buf.Len() != 0 {
		t.Fatal("Writer wrote before the first chunk")
	}
	w.Write([]byte("hello"))
	wantErr(t, "Close", w.Close(), nil)
	n := buf.Len()
	wantErr(t, "second Close", w.Close(), nil)
	if buf.Len() != n {
		t.Fatal("second Close wrote again")
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v, want ErrClosed", err)
	}
	got, err := k.Open(buf.Bytes(), nil)
	wantErr(t, "Open", err, nil)
	if string(got) != "hello" {
		t.Fatalf("got %q", got)
	}
}

// failWriter accepts limit bytes, then fails.
type failWriter struct {
	limit int
	err   error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n := f.limit
		f.limit = 0
		return n, f.err
	}
	f.limit -= len(p)
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	k := ring(t, testKey("k1", 1))
	coded := errcode.New(errcode.Canceled, "bucket: canceled")
	cases := []struct {
		name  string
		limit int
		err   error
		want  errcode.Code
	}{
		{"header fails", 0, errors.New("disk full"), errcode.Unavailable},
		{"chunk fails", 100, errors.New("disk full"), errcode.Unavailable},
		{"keeps code", 100, coded, errcode.Canceled},
		{"short write", 100, nil, errcode.Unavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, _ := k.Writer(&failWriter{limit: c.limit, err: c.err}, nil)
			_, err := w.Write(pattern(3 * ChunkSize))
			if errcode.Of(err) != c.want {
				t.Fatalf("Write error %v (code %q), want code %q", err, errcode.Of(err), c.want)
			}
			if c.err == nil && !errors.Is(err, io.ErrShortWrite) {
				t.Fatalf("Write error %v, want io.ErrShortWrite", err)
			}
			if _, err2 := w.Write([]byte("x")); err2 != err {
				t.Fatalf("second Write error %v, want the first, %v", err2, err)
			}
			if err2 := w.Close(); err2 != err {
				t.Fatalf("Close error %v, want the first, %v", err2, err)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	k := ring(t, testKey("k1", 1))
	sealed := sealStream(t, k, pattern(2*ChunkSize), nil, 1<<30)
	boom := errors.New("connection reset")
	for _, at := range []int{0, 3, headerSize("k1") + 10, headerSize("k1") + sealedChunkSize + 5} {
		src := io.MultiReader(bytes.NewReader(sealed[:at]), iotest.ErrReader(boom))
		r, err := k.Reader(src, nil)
		if err == nil {
			_, err = io.Copy(io.Discard, r)
		}
		if !errors.Is(err, boom) || errcode.Of(err) != errcode.Unavailable {
			t.Fatalf("source fails at %d: error %v (code %q), want it wrapped as unavailable", at, err, errcode.Of(err))
		}
	}
}

func stdEnc(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
func urlEnc(b []byte) string { return base64.URLEncoding.EncodeToString(b) }

func TestKeyRedacted(t *testing.T) {
	key := testKey("k1", 0xAB)
	var logged bytes.Buffer
	// No time in the records: its digits ("...690171418Z") could hold a
	// leak pattern by chance.
	noTime := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	slog.New(slog.NewJSONHandler(&logged, noTime)).Info("key", "key", key)
	slog.New(slog.NewTextHandler(&logged, noTime)).Info("key", "key", key)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		fmt.Fprintf(&logged, verb+"\n", key)
	}
	fmt.Fprintln(&logged, []Key{key})
	for _, leak := range []string{"ab", "AB", "171", "q6ur", "\\xab"} {
		if strings.Contains(strings.ReplaceAll(logged.String(), "k1", ""), leak) {
			t.Fatalf("the secret shows in %q", logged.String())
		}
	}
	if !strings.Contains(logged.String(), "k1") {
		t.Fatal("the key id does not show")
	}
}

func TestConcurrentUse(t *testing.T) {
	k := ring(t, testKey("k1", 1), testKey("k0", 2))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			plain := pattern(ChunkSize + i)
			aad := []byte{byte(i)}
			for range 5 {
				sealed, err := k.Seal(plain, aad)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := openStream(k, sealed, aad)
				if err != nil || !bytes.Equal(got, plain) {
					t.Errorf("round trip failed: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
