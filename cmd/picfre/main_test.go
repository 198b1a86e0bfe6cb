package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
)

// runCLI runs the command in-process with an empty environment (so no API
// key is found and the offline provider is used) and returns its outputs.
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errw bytes.Buffer
	e := testEnv(env, &out, &errw)
	code = run(context.Background(), args, e)
	return out.String(), errw.String(), code
}

func testEnv(vars map[string]string, out, errw *bytes.Buffer) env {
	return env{stdin: strings.NewReader(""), stdout: out, stderr: errw, getenv: func(k string) string { return vars[k] }}
}

// record is an output line as a script reads it: the DESIGN.md CLI
// contract, decoded independently of picfre.Result.
type record struct {
	File        string            `json:"file"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Keywords    []string          `json:"keywords,omitempty"`
	Categories  []string          `json:"categories,omitempty"`
	Second      []string          `json:"second_keywords,omitempty"`
	Prompt      string            `json:"prompt,omitempty"`
	Negative    string            `json:"negative_prompt,omitempty"`
	Generator   string            `json:"generator,omitempty"`
	Parameters  map[string]string `json:"prompt_parameters,omitempty"`
	Genre       string            `json:"genre,omitempty"`
	Mood        string            `json:"mood,omitempty"`
	Instruments []string          `json:"instruments,omitempty"`
	Kind        string            `json:"kind,omitempty"`
	Duration    float64           `json:"duration_seconds,omitempty"`
	Problems    []string          `json:"problems,omitempty"`
	Usage       *picfre.Usage     `json:"usage,omitempty"`
	Replayed    bool              `json:"replayed,omitempty"`
	Error       *recordError      `json:"error,omitempty"`
}
type recordError struct {
	Code    errcode.Code `json:"code"`
	Message string       `json:"message"`
}

func decodeJSONL(t *testing.T, s string) []record {
	t.Helper()
	var recs []record
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestTagSamplesOffline(t *testing.T) {
	out, errw, code := runCLI(t, nil, "tag", "../../testdata/samples", "--format", "jsonl")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errw)
	}
	recs := decodeJSONL(t, out)
	if len(recs) != 8 {
		t.Fatalf("%d records, want one per sample (8)", len(recs))
	}
	for _, r := range recs {
		if r.Error != nil || r.Title == "" || len(r.Keywords) < 8 {
			t.Errorf("%s: title %q, %d keywords, error %v", r.File, r.Title, len(r.Keywords), r.Error)
		}
		if r.Usage == nil || r.Usage.Provider != "local" {
			t.Errorf("%s: usage %+v", r.File, r.Usage)
		}
	}
}

// copyFile copies src to dir/name.
func copyFile(t *testing.T, src, dir, name string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMixedFolder(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "nested")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "../../testdata/samples/rocket.jpg", dir, "a-rocket.jpg")
	copyFile(t, "../../testdata/bad/empty.jpg", dir, "b-empty.jpg")
	copyFile(t, "../../testdata/bad/truncated.jpg", dir, "c-truncated.jpg")
	copyFile(t, "../../testdata/bad/notes.jpg", dir, "d-notes.jpg")
	copyFile(t, "../../testdata/bad/huge.png", sub, "e-huge.png")
	copyFile(t, "../../testdata/samples/coffee.png", sub, "f-coffee.png")
	copyFile(t, "../../testdata/samples/SOURCES.md", dir, "SOURCES.md") // not media: not picked up

	out, errw, code := runCLI(t, nil, "tag", "--concurrency", "2", dir)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitFailed, errw)
	}
	if !strings.Contains(errw, "4 of 6 files failed") {
		t.Errorf("stderr %q", errw)
	}
	want := map[string]string{
		"a-rocket.jpg": "", "b-empty.jpg": "invalid_media", "c-truncated.jpg": "invalid_media",
		"d-notes.jpg": "unsupported_media", "e-huge.png": "too_large", "f-coffee.png": "",
	}
	recs := decodeJSONL(t, out)
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(recs), len(want), out)
	}
	for _, r := range recs {
		code, ok := want[filepath.Base(r.File)]
		if !ok {
			t.Errorf("unexpected record for %s", r.File)
			continue
		}
		if code == "" {
			if r.Error != nil || len(r.Keywords) < 8 {
				t.Errorf("%s: %+v", r.File, r)
			}
			continue
		}
		if r.Error == nil || string(r.Error.Code) != code || r.Error.Message == "" {
			t.Errorf("%s: error %+v, want code %s", r.File, r.Error, code)
		}
	}
}

func TestFormats(t *testing.T) {
	out, _, code := runCLI(t, nil, "prompt", "--format", "json", "../../testdata/samples/coffee.png", "../../testdata/samples/rocket.jpg")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var recs []record
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	if len(recs) != 2 || recs[0].Prompt == "" || recs[1].Prompt == "" {
		t.Fatalf("prompts: %+v", recs)
	}

	dir := t.TempDir()
	evil := filepath.Join(dir, "=HYPERLINK(\"http:x\"),\"a\nb.png")
	copyFile(t, "../../testdata/samples/coffee.png", dir, filepath.Base(evil))
	outFile := filepath.Join(dir, "out.csv")
	_, errw, code := runCLI(t, nil, "tag", "--format", "csv", "--out", outFile, evil)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	f, err := os.Open(outFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("csv output does not parse: %v", err)
	}
	if len(rows) != 2 || rows[0][0] != "file" || len(rows[1]) != 8 {
		t.Fatalf("csv rows %q", rows)
	}
	if cell := rows[1][0]; strings.HasPrefix(cell, "=") || strings.Contains(cell, "\n") {
		t.Fatalf("file cell not neutralised: %q", cell)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nope"},
		{"tag"},
		{"tag", "--format", "xml", "x.jpg"},
		{"tag", "--keywords", "20-5", "x.jpg"},
		{"tag", "--concurrency", "0", "x.jpg"},
		{"tag", "--provider", "skynet", "x.jpg"},
		{"tag", "--ledger", "sqlite:x.db", "x.jpg"},
	} {
		if _, _, code := runCLI(t, nil, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestKeywordRange(t *testing.T) {
	out, _, code := runCLI(t, nil, "tag", "--keywords", "5-7", "../../testdata/samples/hubble_deep_field.jpg")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	r := decodeJSONL(t, out)[0]
	if len(r.Keywords) < 5 || len(r.Keywords) > 7 {
		t.Fatalf("%d keywords, want 5-7", len(r.Keywords))
	}
}

func TestParseInterspersed(t *testing.T) {
	var f tagFlags
	fs := newFlagSet("tag", "tag", &bytes.Buffer{})
	f.register(fs)
	pos, err := parseInterspersed(fs, []string{"a", "--format", "csv", "b", "--lang=de", "--", "--c"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pos, " ") != "a b --c" || f.format != "csv" || f.lang != "de" {
		t.Fatalf("pos %q format %q lang %q", pos, f.format, f.lang)
	}
}

// brokenFS is a folder tree whose "locked" folder cannot be listed.
type brokenFS struct{ fstest.MapFS }

func (b brokenFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == "locked" {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrPermission}
	}
	return b.MapFS.ReadDir(name)
}

func TestUnreadableFolderIsListed(t *testing.T) {
	fsys := brokenFS{fstest.MapFS{
		"a.png":         {Data: []byte("x")},
		"notes.txt":     {Data: []byte("x")},
		".hidden/b.png": {Data: []byte("x")},
		"locked/c.png":  {Data: []byte("x")},
		"sub/d.JPG":     {Data: []byte("x")},
		"sub/clip.mp4":  {Data: []byte("x")},
		"sub/logo.eps":  {Data: []byte("x")},
		"sub/readme.md": {Data: []byte("x")},
	}}
	entries := walkMedia(fsys, "in")
	var got []string
	for _, e := range entries {
		got = append(got, e.path)
		if failed := e.err != nil; failed != (e.path == "in/locked") {
			t.Errorf("%s: error %v", e.path, e.err)
		}
		if e.path == "in/locked" && (errcode.Of(e.err) != errcode.InvalidMedia || strings.Contains(e.err.Error(), "locked")) {
			t.Errorf("locked folder: %s: %v", errcode.Of(e.err), e.err)
		}
	}
	want := []string{"in/a.png", "in/locked", "in/sub/clip.mp4", "in/sub/d.JPG", "in/sub/logo.eps"}
	if !slices.Equal(got, want) {
		t.Fatalf("walk: %q\nwant  %q", got, want)
	}
}
