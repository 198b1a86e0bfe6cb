//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
)

// hangGuard is a context that ends long after any normal run: it only
// keeps a regression (a FIFO blocking the open) from hanging the suite.
func hangGuard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// recordsByBase keys records by their file's base name.
func recordsByBase(t *testing.T, out string) map[string]record {
	t.Helper()
	m := map[string]record{}
	for _, r := range decodeJSONL(t, out) {
		m[filepath.Base(r.File)] = r
	}
	return m
}

// TestFIFOIsARecord: a named pipe called x.jpg, given by name or met in
// a folder, fails alone as unsupported_media instead of blocking the
// run; the other files are tagged.
func TestFIFOIsARecord(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "../../testdata/samples/rocket.jpg", dir, "a.jpg")
	fifo := filepath.Join(dir, "x.jpg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, args := range [][]string{{"tag", dir}, {"tag", fifo, filepath.Join(dir, "a.jpg")}} {
		ctx := hangGuard(t)
		out, errw, code := runCLICtx(ctx, t, args...)
		if ctx.Err() != nil {
			t.Fatalf("%q: the run hung on the FIFO", args)
		}
		if code != exitFailed {
			t.Fatalf("%q: exit %d: %s", args, code, errw)
		}
		recs := recordsByBase(t, out)
		if len(recs) != 2 || recs["a.jpg"].Error != nil {
			t.Fatalf("%q: records %+v", args, recs)
		}
		if e := recs["x.jpg"].Error; e == nil || e.Code != errcode.UnsupportedMedia || !strings.Contains(e.Message, "FIFO") || strings.Contains(e.Message, dir) {
			t.Fatalf("%q: FIFO record %+v", args, e)
		}
	}
}

// TestSymlinksInFolders: a link to a file (even outside the folder) is
// followed and tagged under the link's name; a dangling link and a link
// loop fail as invalid_media; a link to a folder (here one looping back
// to its parent) is not walked and gets an unsupported_media record.
func TestSymlinksInFolders(t *testing.T) {
	outside := t.TempDir()
	copyFile(t, "../../testdata/samples/rocket.jpg", outside, "rocket.jpg")
	dir := t.TempDir()
	copyFile(t, "../../testdata/samples/coffee.png", dir, "plain.png")
	links := map[string]string{
		"link.jpg":     filepath.Join(outside, "rocket.jpg"),
		"dangling.jpg": filepath.Join(dir, "missing.jpg"),
		"loop.jpg":     "loop.jpg",
		"up":           "..",
		"notes.txt":    filepath.Join(outside, "rocket.jpg"), // not media: not listed
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Skipf("symlink: %v", err)
		}
	}
	out, errw, code := runCLICtx(hangGuard(t), t, "tag", dir)
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, errw)
	}
	recs := recordsByBase(t, out)
	want := map[string]errcode.Code{"plain.png": "", "link.jpg": "", "dangling.jpg": errcode.InvalidMedia, "loop.jpg": errcode.InvalidMedia, "up": errcode.UnsupportedMedia}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(recs), len(want), out)
	}
	for name, code := range want {
		r, ok := recs[name]
		switch {
		case !ok:
			t.Errorf("no record for %s", name)
		case code == "" && (r.Error != nil || len(r.Keywords) == 0):
			t.Errorf("%s: %+v", name, r)
		case code != "" && (r.Error == nil || r.Error.Code != code || strings.Contains(r.Error.Message, dir)):
			t.Errorf("%s: error %+v, want %s", name, r.Error, code)
		}
	}
}

// TestNonUTF8NamesStayDistinct: two files whose names differ only in
// bytes that are not UTF-8 get distinct names in JSON and CSV, and
// picfre.UnescapeName gives back each path.
func TestNonUTF8NamesStayDistinct(t *testing.T) {
	dir := t.TempDir()
	names := []string{"a\xff.png", "a\xfe.png"}
	for _, n := range names {
		copyFile(t, "../../testdata/samples/coffee.png", dir, n)
	}
	if _, err := os.Stat(filepath.Join(dir, names[0])); err != nil {
		t.Skipf("file system refuses the name: %v", err)
	}
	out, errw, code := runCLI(t, nil, "tag", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	var got []string
	for _, r := range decodeJSONL(t, out) {
		got = append(got, picfre.UnescapeName(r.File))
	}
	want := []string{filepath.Join(dir, names[1]), filepath.Join(dir, names[0])} // lexical order: \xfe < \xff
	if !slices.Equal(got, want) {
		t.Fatalf("names %q, want %q", got, want)
	}
	if !strings.Contains(out, `a\\xFF.png`) || !strings.Contains(out, `a\\xFE.png`) {
		t.Fatalf("escapes missing from\n%s", out)
	}

	csvOut := filepath.Join(t.TempDir(), "out.csv")
	if _, errw, code := runCLI(t, nil, "tag", "--format", "csv", "--out", csvOut, dir); code != exitOK {
		t.Fatalf("csv: exit %d: %s", code, errw)
	}
	f, err := os.Open(csvOut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	if a, b := picfre.UnescapeName(rows[1][0]), picfre.UnescapeName(rows[2][0]); a != want[0] || b != want[1] {
		t.Fatalf("csv names %q %q", rows[1][0], rows[2][0])
	}
}

// TestStaleTempFilesRemoved: a --write run removes, from the folders it
// writes into, temporary files of ours left by a killed run (our exact
// name pattern, older than staleTempAge), and nothing else: not a fresh
// one (a concurrent run may be writing it), not look-alikes.
func TestStaleTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "../../testdata/samples/rocket.jpg", dir, "rocket.jpg")
	old := time.Now().Add(-2 * staleTempAge)
	files := map[string]bool{ // name: removed
		".rocket.jpg.picfre-123456":    true,
		".gone.jpg.xmp.picfre-42":      true,
		".rocket.jpg.picfre-999":       false, // fresh
		".rocket.jpg.picfre-12x":       false, // not os.CreateTemp's digits
		"rocket.jpg.picfre-7":          false, // not hidden
		".rocket.jpg.tmp123":           false, // someone else's
		".rocket.jpg.picfre-1/keep.me": false, // a folder of that name
	}
	for name := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(name, "999") {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, errw, code := runCLI(t, nil, "tag", "--write", "xmp", dir); code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := os.IsNotExist(err); gone != removed {
			t.Errorf("%s: removed %v, want %v", name, gone, removed)
		}
	}
}

// withXMPSegment is jpg with an APP1 XMP segment holding packet right
// after SOI.
func withXMPSegment(jpg, packet []byte) []byte {
	payload := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), packet...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// TestUnwritableIsNotCharged: with --write xmp, a JPEG whose metadata
// could not be written (its XMP packet is malformed) fails as
// write_failed before it is sent, so the ledger charges nothing for it;
// a JPEG with a UTF-16 XMP packet is written (and charged) like any
// other.
func TestUnwritableIsNotCharged(t *testing.T) {
	dir := t.TempDir()
	rocket, err := os.ReadFile("../../testdata/samples/rocket.jpg")
	if err != nil {
		t.Fatal(err)
	}
	var utf16le []byte
	for _, r := range `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:rights="kept"/></rdf:RDF></x:xmpmeta>` {
		utf16le = append(utf16le, byte(r), byte(r>>8))
	}
	bad := filepath.Join(dir, "bad.jpg")
	wide := filepath.Join(dir, "wide.jpg")
	if err := os.WriteFile(bad, withXMPSegment(rocket, []byte("<a><b></a>")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wide, withXMPSegment(rocket, utf16le), 0o644); err != nil {
		t.Fatal(err)
	}
	badBefore, _ := os.ReadFile(bad)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	mustCredits(t, "topup", "--ledger", dsn, "--account", "a", "--credits", "10", "--ref", "p1")

	out, errw, code := runCLI(t, nil, "tag", "--write", "xmp", "--ledger", dsn, "--account", "a", "--price", "3", bad, wide)
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, errw)
	}
	recs := recordsByBase(t, out)
	if e := recs["bad.jpg"].Error; e == nil || e.Code != codeWriteFailed || recs["bad.jpg"].Usage != nil {
		t.Fatalf("bad.jpg: %+v", recs["bad.jpg"])
	}
	if r := recs["wide.jpg"]; r.Error != nil || r.Usage == nil || r.Usage.Credits != 3 {
		t.Fatalf("wide.jpg: %+v", r)
	}
	bal := decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", dsn, "--account", "a"))
	if bal.Credits != 7 || bal.Available != 7 {
		t.Fatalf("balance %+v, want 7: only the written file is charged", bal)
	}
	if after, _ := os.ReadFile(bad); !bytes.Equal(after, badBefore) {
		t.Fatal("the unwritable file was changed")
	}
	after, _ := os.ReadFile(wide)
	if bytes.Contains(after, utf16le) || !bytes.Contains(after, []byte(`dc:rights="kept"`)) {
		t.Fatal("the UTF-16 packet was not replaced by ours in UTF-8 with its properties")
	}
}
