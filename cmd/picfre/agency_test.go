package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/picfre/picfre/stock"

	"github.com/picfre/picfre/internal/testenv"
)

func readCSV(t *testing.T, path string, comma rune) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("%s starts with a BOM", path)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = comma
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestAgencyCSVs(t *testing.T) {
	dir := t.TempDir()
	evil := "=HYPERLINK(\"http:x\",\"y\"), \"q\"\nnext.png"
	copyFile(t, "../../testdata/samples/coffee.png", dir, evil)
	copyFile(t, "../../testdata/samples/rocket.jpg", dir, "rocket.jpg")
	copyFile(t, "../../testdata/bad/notes.jpg", dir, "notes.jpg")
	prefix := filepath.Join(dir, "upload")

	_, errw, code := runCLI(t, nil, "tag", "--format", "csv", "--agency", "adobe", "--agency", "shutterstock",
		"--agency", "freepik", "--out", prefix, dir)
	if code != exitFailed {
		t.Fatalf("exit %d (want %d for the bad file): %s", code, exitFailed, errw)
	}
	if !strings.Contains(errw, "notes.jpg") || !strings.Contains(errw, "unsupported_media") {
		t.Errorf("the failed file is not reported on stderr: %q", errw)
	}

	adobe := readCSV(t, prefix+"-adobe.csv", ',')
	if !slices.Equal(adobe[0], []string{"Filename", "Title", "Keywords", "Category", "Releases"}) {
		t.Fatalf("adobe header %q", adobe[0])
	}
	if len(adobe) != 3 {
		t.Fatalf("adobe rows: %q (want header + 2 good files)", adobe)
	}
	for _, row := range adobe[1:] {
		if len([]rune(row[1])) > 70 || row[1] == "" {
			t.Errorf("adobe title %q", row[1])
		}
		if n := len(strings.Split(row[2], ",")); n > 49 || n < 1 {
			t.Errorf("adobe keywords: %d", n)
		}
	}

	ss := readCSV(t, prefix+"-shutterstock.csv", ',')
	if !slices.Equal(ss[0][:4], []string{"Filename", "Description", "Keywords", "Categories"}) {
		t.Fatalf("shutterstock header %q", ss[0])
	}
	for _, row := range ss[1:] {
		for _, cell := range row[1:3] {
			for _, r := range cell {
				if r > unicode.MaxASCII {
					t.Errorf("shutterstock cell %q is not English-only", cell)
				}
			}
		}
		if n := len(strings.Split(row[2], ",")); n < 7 || n > 50 {
			t.Errorf("shutterstock: %d keywords, want 7-50", n)
		}
		cats := strings.Split(row[3], ",")
		if row[3] == "" || len(cats) > 2 {
			t.Errorf("shutterstock categories %q: want 1 or 2", row[3])
		}
		profile, _ := stock.Lookup("shutterstock")
		for _, c := range cats {
			if cat, ok := profile.Category(strings.TrimSpace(c)); !ok || cat.Name != strings.TrimSpace(c) {
				t.Errorf("shutterstock category %q is not one of its list", c)
			}
		}
	}

	fp := readCSV(t, prefix+"-freepik.csv", ';')
	for _, rows := range [][][]string{adobe, ss, fp} {
		for _, row := range rows[1:] {
			if len(row) != len(rows[0]) {
				t.Fatalf("row %q has %d cells, header %d", row, len(row), len(rows[0]))
			}
			for _, cell := range row {
				if strings.ContainsAny(cell, "\r\n") || strings.HasPrefix(strings.TrimSpace(cell), "=") {
					t.Errorf("unsafe cell %q", cell)
				}
			}
		}
	}
}

func TestAgencyCSVToStdout(t *testing.T) {
	out, errw, code := runCLI(t, nil, "tag", "--agency", "adobe", "--format", "csv", "../../testdata/samples/rocket.jpg")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	if !strings.HasPrefix(out, "Filename,Title,Keywords,Category,Releases\n") || !strings.Contains(out, "rocket.jpg,") {
		t.Fatalf("stdout %q", out)
	}
	if _, _, code := runCLI(t, nil, "tag", "--agency", "adobe", "--agency", "shutterstock", "--format", "csv", "x.jpg"); code != exitUsage {
		t.Fatalf("several agencies to stdout: exit %d, want usage error", code)
	}
	if _, _, code := runCLI(t, nil, "tag", "--agency", "nowhere", "x.jpg"); code != exitUsage {
		t.Fatalf("unknown agency: exit %d", code)
	}
}

func TestWriteXMPReadBackWithExiftool(t *testing.T) {
	exiftool := testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	dir := t.TempDir()
	copyFile(t, "../../testdata/samples/rocket.jpg", dir, "rocket.jpg")
	copyFile(t, "../../testdata/samples/coffee.png", dir, "coffee.png")
	jpg := filepath.Join(dir, "rocket.jpg")
	before, _ := os.ReadFile(jpg)

	out, errw, code := runCLI(t, nil, "tag", "--write", "xmp", "--require", "Café crème", jpg, filepath.Join(dir, "coffee.png"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	recs := decodeJSONL(t, out)
	after, _ := os.ReadFile(jpg)
	if !bytes.Equal(scanData(t, before), scanData(t, after)) {
		t.Fatal("the JPEG's compressed image data changed")
	}
	raw, err := exec.Command(exiftool, "-j", "-G1", "-struct", "-XMP-dc:all", "-IPTC:all", jpg).Output()
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	tags := got[0]
	if tags["XMP-dc:Title"] != recs[0].Title || tags["IPTC:ObjectName"] != truncateBytes(recs[0].Title, 64) {
		t.Errorf("title: XMP %v IPTC %v, want %q", tags["XMP-dc:Title"], tags["IPTC:ObjectName"], recs[0].Title)
	}
	if tags["XMP-dc:Description"] != recs[0].Description {
		t.Errorf("description %v, want %q", tags["XMP-dc:Description"], recs[0].Description)
	}
	for _, key := range []string{"XMP-dc:Subject", "IPTC:Keywords"} {
		kw, _ := tags[key].([]any)
		if len(kw) != len(recs[0].Keywords) || kw[0] != "café crème" {
			t.Errorf("%s = %v, want %q", key, tags[key], recs[0].Keywords)
		}
	}
	// The PNG gets a sidecar, readable by exiftool.
	side, err := exec.Command(exiftool, "-j", "-XMP-dc:Title", filepath.Join(dir, "coffee.png.xmp")).Output()
	if err != nil || !bytes.Contains(side, []byte(recs[1].Title)) {
		t.Fatalf("sidecar: %v %s", err, side)
	}
}

// truncateBytes cuts s to at most n bytes on a rune boundary, as IPTC's
// ObjectName limit does.
func truncateBytes(s string, n int) string {
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// scanData returns a JPEG's bytes from the first SOS marker on: the
// compressed image data, which writing metadata must not touch.
func scanData(t *testing.T, b []byte) []byte {
	t.Helper()
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			t.Fatalf("bad marker at %d", i)
		}
		if b[i+1] == 0xDA {
			return b[i:]
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
	}
	t.Fatal("no SOS")
	return nil
}

func TestTagWithLedger(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	mustCredits(t, "topup", "--ledger", dsn, "--account", "acme", "--credits", "6", "--ref", "pay-1")
	files := []string{
		"../../testdata/samples/brick.png", "../../testdata/samples/coffee.png", "../../testdata/bad/notes.jpg",
		"../../testdata/samples/grass.png", "../../testdata/samples/rocket.jpg",
	}
	tag := func() []record {
		args := append([]string{"tag", "--ledger", dsn, "--account", "acme", "--price", "2", "--concurrency", "1"}, files...)
		out, errw, code := runCLI(t, nil, args...)
		if code != exitFailed {
			t.Fatalf("exit %d, want %d: %s", code, exitFailed, errw)
		}
		return decodeJSONL(t, out)
	}
	recs := tag()
	var charged int64
	var codes []string
	for _, r := range recs {
		if r.Error != nil {
			codes = append(codes, string(r.Error.Code))
			continue
		}
		charged += r.Usage.Credits
	}
	// 6 credits at 2 per file pay for the first three good files; the
	// text file fails before it is priced; the fourth good file cannot be
	// paid for.
	if charged != 6 || !slices.Equal(codes, []string{"unsupported_media", "insufficient_credits"}) {
		t.Fatalf("charged %d, error codes %v", charged, codes)
	}
	bal := decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", dsn, "--account", "acme"))
	if bal.Available != 0 || bal.Credits != 0 {
		t.Fatalf("balance after the batch: %v", bal)
	}

	// Re-running the same batch charges nobody twice: the three paid files
	// are settled replays, the unpaid one still cannot be paid.
	mustCredits(t, "topup", "--ledger", dsn, "--account", "acme", "--credits", "1", "--ref", "pay-2")
	recs = tag()
	for _, r := range recs {
		if r.Error == nil && (r.Usage.Credits != 0 || !r.Replayed) {
			t.Errorf("%s charged again (%d) or not marked as a replay", r.File, r.Usage.Credits)
		}
	}
	bal = decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", dsn, "--account", "acme"))
	if bal.Available != 1 {
		t.Fatalf("balance after the re-run: %v, want 1 available", bal)
	}
	hist := mustCredits(t, "history", "--ledger", dsn, "--account", "acme")
	if n := strings.Count(hist, `"kind":"usage"`); n != 3 {
		t.Fatalf("%d usage entries in history, want 3:\n%s", n, hist)
	}
	for _, leak := range []string{"title", "keywords", "description"} {
		if strings.Contains(hist, leak) {
			t.Errorf("history holds generated metadata (%q)", leak)
		}
	}
}
