package stock

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"image"
	"image/jpeg"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func tinyJPEG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func typedErr(err error) bool {
	var fe *FormatError
	return errors.As(err, &fe) || errors.Is(err, ErrTooLarge)
}

var fuzzMeta = Metadata{Title: "Fuzz title é", Description: "desc", Keywords: []string{"one", "two"}}

func FuzzWriteJPEG(f *testing.F) {
	tiny := tinyJPEG(f)
	f.Add(tiny)
	withMeta, err := WriteJPEG(tiny, Metadata{Title: "old", Keywords: []string{"k"}}, JPEGOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(withMeta)
	xmpOld := append(slices.Clone(xmpHeader), `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/jpeg"><dc:rights><rdf:Alt><rdf:li xml:lang="x-default">r</rdf:li></rdf:Alt></dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>`...)
	f.Add(withSegment(tiny, 0xE1, xmpOld))
	f.Add(withSegment(tiny, 0xED, append(slices.Clone(photoshopHeader), psBlock(0x0404, appendIIM(nil, iimDataset{2, 80, []byte("By")}))...)))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xED, 0x00, 0x10})
	f.Add(withAFCP(tiny, binary.BigEndian, "AXS!"))
	f.Add(withAFCP(withMeta, binary.LittleEndian, "AXS*"))
	f.Add(withSegment(tiny, 0xE1, append(slices.Clone(xmpHeader), utf16Packet(binary.LittleEndian, true, "old")...)))
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := WriteJPEG(src, fuzzMeta, JPEGOptions{Language: "fr"})
		if err != nil {
			if !typedErr(err) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if _, rerr := ReadJPEG(src); rerr != nil && !typedErr(rerr) {
				t.Fatalf("ReadJPEG untyped error %v", rerr)
			}
			return
		}
		_, sos, _ := parseJPEG(src)
		_, osos, err := parseJPEG(out)
		if err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		if start, _, _, ok := afcpTrailer(src, sos); ok {
			// The AFCP trailer's offsets move with it; all before it
			// is unchanged, and it is still well-formed where it is.
			if !bytes.Equal(src[sos:start], out[osos:osos+start-sos]) || len(out)-osos != len(src)-sos {
				t.Fatal("image data changed")
			}
			if at, _, _, ok := afcpTrailer(out, osos); !ok || at-osos != start-sos {
				t.Fatal("AFCP trailer broken by the write")
			}
		} else if !bytes.Equal(src[sos:], out[osos:]) {
			t.Fatal("image data changed")
		}
		m, err := ReadJPEG(out)
		if err != nil {
			t.Fatalf("reading our own output: %v", err)
		}
		if m.Title != fuzzMeta.Title || m.Description != fuzzMeta.Description || !slices.Equal(m.Keywords, fuzzMeta.Keywords) {
			t.Fatalf("read back %+v", m)
		}
	})
}

func FuzzReadXMP(f *testing.F) {
	packet, _ := MergeXMP(nil, Metadata{Title: "t", Keywords: []string{"a"}}, "")
	f.Add(packet)
	f.Add([]byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:Headline="h" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="3"/></rdf:RDF></x:xmpmeta>`))
	f.Add([]byte(`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="urn:x"><rdf:Description><a>1</a></rdf:Description></rdf:RDF>`))
	f.Add([]byte("<a><b></a>"))
	f.Add([]byte{})
	for _, order := range []byteOrder{binary.BigEndian, binary.LittleEndian} {
		f.Add(utf16Packet(order, true, "t"))
		f.Add(utf16Packet(order, false, "t"))
		f.Add(utf32(order, `<x:xmpmeta xmlns:x="adobe:ns:meta/"/>`))
	}
	f.Add([]byte("\xFE\xFF\x00<\x00")) // truncated UTF-16
	f.Add(append([]byte("\xEF\xBB\xBF"), packet...))
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-16"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>`))
	f.Add([]byte(`<?xml version="1.0" encoding="Shift_JIS"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ReadXMP(b); err != nil && !errors.Is(err, ErrInvalidXMP) {
			t.Fatalf("untyped error %v", err)
		}
		merged, err := MergeXMP(b, fuzzMeta, "de")
		if err != nil {
			if !errors.Is(err, ErrInvalidXMP) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		m, err := ReadXMP(merged)
		if err != nil {
			t.Fatalf("merged packet is not well-formed: %v\n%s", err, merged)
		}
		if m.Title != fuzzMeta.Title || m.Description != fuzzMeta.Description || !slices.Equal(m.Keywords, fuzzMeta.Keywords) {
			t.Fatalf("read back %+v from\n%s", m, merged)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	f.Add("Café in Zürich, shot on Canon EOS 5D", "crème brûlée,日本,AI generated,f/2.8", "Food & drink")
	f.Add("", "", "")
	f.Add(strings.Repeat("word ", 100), strings.Repeat("k,", 200), "1")
	profiles := append(Profiles(), nil)
	f.Fuzz(func(t *testing.T, title, kw, cat string) {
		for _, p := range profiles {
			m, _ := Normalize(Metadata{Title: title, Description: title, Keywords: strings.Split(kw, ","), Categories: []string{cat}}, p, Rules{Required: []string{"req"}})
			limit := 0
			if p != nil {
				limit = p.TitleMax
			}
			if limit > 0 && utf8.RuneCountInString(m.Title) > limit {
				t.Fatalf("%v: title of %d characters", p, utf8.RuneCountInString(m.Title))
			}
			if p != nil && p.KeywordsMax > 0 && len(m.Keywords) > p.KeywordsMax {
				t.Fatalf("%d keywords", len(m.Keywords))
			}
			seen := map[string]bool{}
			for _, k := range m.Keywords {
				if k == "" || strings.ContainsAny(k, ",;\n\r") || seen[keywordKey(k)] {
					t.Fatalf("bad or repeated keyword %q in %q", k, m.Keywords)
				}
				seen[keywordKey(k)] = true
				if p != nil && p.ASCIIOnly && strings.IndexFunc(k, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0 {
					t.Fatalf("non-ASCII keyword %q", k)
				}
			}
			if strings.ContainsAny(m.Title, "\n\r") {
				t.Fatalf("title %q has a line break", m.Title)
			}
		}
	})
}

func FuzzCSVRow(f *testing.F) {
	for _, h := range hostile {
		f.Add(h, h)
	}
	profiles := Profiles()
	f.Fuzz(func(t *testing.T, file, text string) {
		for _, p := range profiles {
			if p.CSV == nil {
				continue
			}
			var b bytes.Buffer
			w, _ := NewCSVWriter(&b, p)
			if err := w.Write(Row{File: file, Metadata: Metadata{Title: text, Description: text, Keywords: []string{text}, Categories: []string{text}}, Prompt: text}); err != nil {
				t.Fatal(err)
			}
			r := csv.NewReader(&b)
			r.Comma = p.CSV.Comma
			r.FieldsPerRecord = len(p.CSV.Columns)
			recs, err := r.ReadAll()
			if err != nil || len(recs) != 2 {
				t.Fatalf("%s: %d records, %v", p.Name, len(recs), err)
			}
			for _, c := range recs[1] {
				if c = strings.TrimLeft(c, " "); c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
					t.Fatalf("%s: cell %q starts a formula", p.Name, c)
				}
			}
		}
	})
}
