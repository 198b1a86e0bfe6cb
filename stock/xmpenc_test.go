package stock

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// byteOrder is binary.BigEndian or binary.LittleEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// utf16Packet is a complete XMP packet titled title, in UTF-16 with the
// given byte order, with or without a byte-order mark (the packet
// wrapper's begin="" holds U+FEFF either way), the way ExifTool.jpg and
// XMP.jpg of ExifTool's test files carry theirs.
func utf16Packet(order byteOrder, bom bool, title string) []byte {
	s := `<?xpacket begin="` + "\uFEFF" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>` +
		`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
		`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" xmpRights:Marked="True">` +
		`<dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + title + `</rdf:li></rdf:Alt></dc:title>` +
		`<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© Jürgen 𝄞</rdf:li></rdf:Alt></dc:rights>` +
		`</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
	if bom {
		s = "\uFEFF" + s
	}
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}

func utf32(order byteOrder, s string) []byte {
	var out []byte
	for _, r := range s {
		out = order.AppendUint32(out, uint32(r))
	}
	return out
}

// TestReadXMPUTF16: packets in UTF-16 and UTF-32, either byte order,
// with or without a byte-order mark, read as the same metadata as UTF-8;
// MergeXMP keeps their other properties and writes UTF-8.
func TestReadXMPUTF16(t *testing.T) {
	for _, order := range []byteOrder{binary.BigEndian, binary.LittleEndian} {
		for _, bom := range []bool{true, false} {
			p := utf16Packet(order, bom, "Grüße 𝄞")
			m, err := ReadXMP(p)
			if err != nil || m.Title != "Grüße 𝄞" {
				t.Fatalf("%v bom=%v: %+v, %v", order, bom, m, err)
			}
			merged, err := MergeXMP(p, Metadata{Title: "new", Keywords: []string{"k"}}, "")
			if err != nil {
				t.Fatalf("%v bom=%v: merge: %v", order, bom, err)
			}
			s := string(merged)
			if !strings.Contains(s, "© Jürgen 𝄞") || !strings.Contains(s, `xmpRights:Marked="True"`) || strings.Contains(s, "Grüße") {
				t.Fatalf("%v bom=%v: merged packet lost or kept the wrong properties:\n%s", order, bom, s)
			}
		}
		m, err := ReadXMP(utf32(order, `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:title="t32"/></rdf:RDF></x:xmpmeta>`))
		if err != nil || m.Title != "t32" {
			t.Fatalf("%v UTF-32: %+v, %v", order, m, err)
		}
	}
	if _, err := ReadXMP([]byte("\xFE\xFF\x00<\x00")); err == nil {
		t.Fatal("truncated UTF-16 read without error")
	}
}

// TestWriteJPEGReplacesUTF16XMP: a JPEG carrying a UTF-16 XMP packet is
// written (it used to fail as malformed XML): ours replaces it, in UTF-8,
// keeping its other properties.
func TestWriteJPEGReplacesUTF16XMP(t *testing.T) {
	src := withSegment(tinyJPEG(t), 0xE1, append(slices.Clone(xmpHeader), utf16Packet(binary.LittleEndian, false, "old")...))
	out, err := WriteJPEG(src, Metadata{Title: "New title", Keywords: []string{"one"}}, JPEGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadJPEG(out)
	if err != nil || m.Title != "New title" || !slices.Equal(m.Keywords, []string{"one"}) {
		t.Fatalf("read back %+v, %v", m, err)
	}
	segs, _, _ := parseJPEG(out)
	n := 0
	for _, s := range segs {
		if s.isXMP() {
			n++
			if p := s.payload[len(xmpHeader):]; !strings.Contains(string(p), "© Jürgen 𝄞") || slices.Contains(p, 0) {
				t.Fatalf("packet not UTF-8 or lost dc:rights:\n%q", p)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d XMP segments", n)
	}
}
