package jobs_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// clock is a settable test clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// markedProvider answers with metadata made of long, distinctive tokens
// derived from the content, so that a test can search raw bytes for them
// without matching anything by chance.
func markedProvider() *fake.Provider {
	return fake.New(fake.Options{Respond: func(req *provider.Request) fake.Step {
		h := sha256.New()
		for _, p := range req.Parts {
			h.Write(p.Data)
		}
		tag := hex.EncodeToString(h.Sum(nil))[:20]
		kw := make([]string, 12)
		for i := range kw {
			kw[i] = fmt.Sprintf("kw%sx%02d", tag, i)
		}
		b, _ := json.Marshal(map[string]any{
			"title":       "Title" + tag,
			"description": "Description" + tag + " of a test picture.",
			"keywords":    kw,
			"categories":  []string{"Nature"},
		})
		return fake.Step{Text: string(b)}
	}})
}

// windows returns three distinct 32-byte windows of b (at a quarter, a
// half and three quarters), the byte sequences a leak would show.
func windows(t testing.TB, b []byte) [][]byte {
	t.Helper()
	if len(b) < 4*32 {
		t.Fatalf("content too short for windows: %d bytes", len(b))
	}
	var out [][]byte
	for _, at := range []int{len(b) / 4, len(b) / 2, 3 * len(b) / 4} {
		w := b[at : at+32]
		for _, o := range out {
			if bytes.Equal(o, w) {
				t.Fatalf("windows are not distinct")
			}
		}
		out = append(out, w)
	}
	return out
}

// needle is a byte sequence that must not be found, with what it is.
type needle struct {
	what string
	b    []byte
}

// filesUnder lists the regular files under each root (a root may be a
// file, or missing).
func filesUnder(t testing.TB, roots ...string) []string {
	t.Helper()
	var out []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if d.Type().IsRegular() {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// assertNotFound fails the test for every needle found in the raw bytes
// of a file under roots. It returns how many files it read.
func assertNotFound(t testing.TB, when string, needles []needle, roots ...string) int {
	t.Helper()
	files := filesUnder(t, roots...)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) { // a -wal or -shm file removed meanwhile
				continue
			}
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(raw, n.b) {
				t.Errorf("%s: %s found in %s", when, n.what, filepath.Base(f))
			}
		}
	}
	return len(files)
}

// spoolFiles lists the objects left in the env's spool folder.
func (e *env) spoolFiles(t testing.TB) []string {
	t.Helper()
	return filesUnder(t, filepath.Join(e.dir, "spool"))
}

// dbFiles are the SQLite files of the env: the database, its log and its
// shared-memory index.
func (e *env) dbFiles() []string {
	db := filepath.Join(e.dir, "picfre.db")
	return []string{db, db + "-wal", db + "-shm"}
}

// pngImage returns a PNG of w×h pixels, distinct for each seed.
func pngImage(t testing.TB, w, h, seed int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x*3 + seed), uint8(y * 5), uint8(seed * 11), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pixelBomb is a PNG header that claims 100000×100000 pixels and carries
// no image data worth the name.
func pixelBomb(t testing.TB) []byte {
	t.Helper()
	real := pngImage(t, 8, 8, 1)
	// The IHDR chunk's width and height follow the 8-byte signature, the
	// chunk length and the type: bytes 16 to 24. Its CRC (bytes 29 to 33)
	// is recomputed so that only the size is a lie.
	b := bytes.Clone(real)
	put := func(at int, v uint32) {
		b[at], b[at+1], b[at+2], b[at+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	put(16, 100000)
	put(20, 100000)
	put(29, crc32.ChecksumIEEE(b[12:29]))
	return b
}

// exeBytes is the start of a Windows executable (an "MZ" header), zipBytes
// of a zip archive: neither is media.
func exeBytes() []byte {
	b := make([]byte, 512)
	copy(b, "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
	copy(b[0x4e:], "This program cannot be run in DOS mode.")
	return b
}

func zipBytes() []byte {
	b := make([]byte, 256)
	copy(b, "PK\x03\x04\x14\x00\x00\x00\x08\x00")
	copy(b[30:], "payload.txt")
	return b
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
