package stock

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode"
)

// XML namespaces used in XMP.
const (
	nsRDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsDC  = "http://purl.org/dc/elements/1.1/"
	nsPS  = "http://ns.adobe.com/photoshop/1.0/"
	nsX   = "adobe:ns:meta/"
	nsXML = "http://www.w3.org/XML/1998/namespace"
)

// maxXMP bounds an XMP packet or sidecar this package reads.
const maxXMP = 16 << 20

type nsDecl struct{ prefix, uri string }

// keptDescription is what MergeXMP keeps of one old rdf:Description: its
// namespace declarations (its own and its ancestors'), its attribute-form
// properties and the raw bytes of its property elements.
type keptDescription struct {
	ns       []nsDecl
	attrs    []xml.Attr
	children [][]byte
}

// xmpProperty is the decoded value of one property element.
type xmpProperty struct {
	Text string  `xml:",chardata"`
	Alt  xmpList `xml:"http://www.w3.org/1999/02/22-rdf-syntax-ns# Alt"`
	Bag  xmpList `xml:"http://www.w3.org/1999/02/22-rdf-syntax-ns# Bag"`
	Seq  xmpList `xml:"http://www.w3.org/1999/02/22-rdf-syntax-ns# Seq"`
}

type xmpList struct {
	Li []struct {
		Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		Text string `xml:",chardata"`
	} `xml:"http://www.w3.org/1999/02/22-rdf-syntax-ns# li"`
}

// walkXMP calls onDesc for every top-level rdf:Description and onProp for
// each of its property elements; onProp must consume the element (Skip or
// DecodeElement). start is the byte offset where the element begins.
func walkXMP(b []byte,
	onDesc func(se xml.StartElement, ns []nsDecl),
	onProp func(d *xml.Decoder, se xml.StartElement, start int64) error,
) error {
	if len(b) > maxXMP {
		return formatErr(ErrInvalidXMP, -1, "packet too large")
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.CharsetReader = xmlCharsetReader
	var outer []nsDecl // declarations on ancestors of the Descriptions
	depth, descDepth := 0, -1
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			if depth != 0 {
				return formatErr(ErrInvalidXMP, int(d.InputOffset()), "unexpected end")
			}
			return nil
		}
		if err != nil {
			return xmpSyntaxError(d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case descDepth >= 0 && depth == descDepth+1:
				if err := onProp(d, t, start); err != nil {
					return xmpSyntaxError(d, err)
				}
				continue // the element was consumed
			case descDepth < 0 && t.Name.Space == nsRDF && t.Name.Local == "Description":
				descDepth = depth
				onDesc(t, mergeNS(outer, nsDecls(t.Attr)))
			case descDepth < 0:
				outer = mergeNS(outer, nsDecls(t.Attr))
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == descDepth {
				descDepth = -1
			}
			if depth == 0 {
				return nil // ignore padding or junk after the root element
			}
		}
	}
}

func xmpSyntaxError(d *xml.Decoder, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return formatErr(ErrInvalidXMP, int(d.InputOffset()), "malformed XML")
	}
	return formatErr(ErrInvalidXMP, int(d.InputOffset()), "unreadable XML")
}

// isNCName reports whether s is a valid XML name without a colon, as
// namespace prefixes and local names must be.
func isNCName(s string) bool {
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.' || unicode.Is(unicode.Mn, r)):
		default:
			return false
		}
	}
	return s != ""
}

// nsDecls returns the namespace declarations among attrs, leaving out
// invalid ones (bad prefix, empty URI, the reserved xml and xmlns).
func nsDecls(attrs []xml.Attr) []nsDecl {
	var out []nsDecl
	for _, a := range attrs {
		if a.Value == "" {
			continue
		}
		switch {
		case a.Name.Space == "xmlns" && (!isNCName(a.Name.Local) || a.Name.Local == "xml" || a.Name.Local == "xmlns"):
		case a.Name.Space == "xmlns":
			out = append(out, nsDecl{a.Name.Local, a.Value})
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			out = append(out, nsDecl{"", a.Value})
		}
	}
	return out
}

// mergeNS returns outer with inner's declarations added; an inner prefix
// replaces an outer one.
func mergeNS(outer, inner []nsDecl) []nsDecl {
	out := make([]nsDecl, 0, len(outer)+len(inner))
	for _, o := range outer {
		shadowed := false
		for _, i := range inner {
			shadowed = shadowed || i.prefix == o.prefix
		}
		if !shadowed {
			out = append(out, o)
		}
	}
	return append(out, inner...)
}

func isRDFAttr(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") ||
		a.Name.Space == nsRDF || (a.Name.Space == "" && a.Name.Local == "about")
}

// replacedBy reports whether name is a property that m overwrites.
func replacedBy(m Metadata) func(xml.Name) bool {
	return func(n xml.Name) bool {
		switch {
		case n.Space == nsDC && n.Local == "title", n.Space == nsPS && n.Local == "Headline":
			return m.Title != ""
		case n.Space == nsDC && n.Local == "description":
			return m.Description != ""
		case n.Space == nsDC && n.Local == "subject":
			return len(m.Keywords) > 0
		}
		return false
	}
}

// ReadXMP returns the title (dc:title, else photoshop:Headline),
// description and keywords (dc:subject) of an XMP packet or sidecar. For
// language alternatives it takes x-default, else the first. The packet
// may be UTF-8, UTF-16 or UTF-32, big- or little-endian, with or
// without a byte-order mark: the encoding is detected as the XMP
// specification says. Malformed XML gives an error wrapping
// ErrInvalidXMP. Safe for concurrent use.
func ReadXMP(b []byte) (Metadata, error) {
	if len(b) > maxXMP {
		return Metadata{}, formatErr(ErrInvalidXMP, -1, "packet too large")
	}
	b, err := xmpToUTF8(b)
	if err != nil {
		return Metadata{}, err
	}
	var m Metadata
	var headline string
	pick := func(p xmpProperty) string {
		for _, li := range p.Alt.Li {
			if li.Lang == "x-default" {
				return strings.TrimSpace(li.Text)
			}
		}
		if len(p.Alt.Li) > 0 {
			return strings.TrimSpace(p.Alt.Li[0].Text)
		}
		return strings.TrimSpace(p.Text)
	}
	err = walkXMP(b,
		func(se xml.StartElement, _ []nsDecl) {
			for _, a := range se.Attr {
				switch {
				case a.Name.Space == nsPS && a.Name.Local == "Headline":
					headline = a.Value
				case a.Name.Space == nsDC && a.Name.Local == "title" && m.Title == "":
					m.Title = a.Value
				case a.Name.Space == nsDC && a.Name.Local == "description" && m.Description == "":
					m.Description = a.Value
				}
			}
		},
		func(d *xml.Decoder, se xml.StartElement, _ int64) error {
			var want bool
			switch se.Name.Space {
			case nsDC:
				want = se.Name.Local == "title" || se.Name.Local == "description" || se.Name.Local == "subject"
			case nsPS:
				want = se.Name.Local == "Headline"
			}
			if !want {
				return d.Skip()
			}
			var p xmpProperty
			if err := d.DecodeElement(&p, &se); err != nil {
				return err
			}
			switch se.Name.Local {
			case "title":
				m.Title = pick(p)
			case "description":
				m.Description = pick(p)
			case "Headline":
				headline = strings.TrimSpace(p.Text)
			case "subject":
				items := p.Bag.Li
				if len(items) == 0 {
					items = p.Seq.Li
				}
				for _, li := range items {
					if k := strings.TrimSpace(li.Text); k != "" {
						m.Keywords = append(m.Keywords, k)
					}
				}
			}
			return nil
		})
	if err != nil {
		return Metadata{}, err
	}
	if m.Title == "" {
		m.Title = headline
	}
	return m, nil
}

// MergeXMP returns a complete XMP packet holding m, and every property of
// the old packet (nil for none) that m does not replace: dc:title and
// photoshop:Headline are replaced when m.Title is set, dc:description
// when m.Description is set, dc:subject when m has keywords. lang, when
// set, adds a language-tagged alternative beside x-default. Use it to
// update a sidecar in place. The old packet may be in any encoding
// ReadXMP reads; the new one is always UTF-8. Malformed old XML gives an
// error wrapping ErrInvalidXMP. Safe for concurrent use.
func MergeXMP(old []byte, m Metadata, lang string) ([]byte, error) {
	return mergeXMP(old, m, lang)
}

func mergeXMP(old []byte, m Metadata, lang string) ([]byte, error) {
	var kept []*keptDescription
	if len(old) > maxXMP {
		return nil, formatErr(ErrInvalidXMP, -1, "packet too large")
	}
	old, err := xmpToUTF8(old)
	if err != nil {
		return nil, err
	}
	if len(old) > 0 {
		replaced := replacedBy(m)
		var cur *keptDescription
		err := walkXMP(old,
			func(se xml.StartElement, ns []nsDecl) {
				cur = &keptDescription{ns: ns}
				kept = append(kept, cur)
				for _, a := range se.Attr {
					if !isRDFAttr(a) && !replaced(a.Name) {
						cur.attrs = append(cur.attrs, a)
					}
				}
			},
			func(d *xml.Decoder, se xml.StartElement, start int64) error {
				if err := d.Skip(); err != nil {
					return err
				}
				if !replaced(se.Name) {
					cur.children = append(cur.children, old[start:d.InputOffset()])
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	return renderXMP(m, lang, kept), nil
}

// xmpPadding is the white space left in a packet so that other tools
// can edit it in place.
const xmpPadding = 1024

func renderXMP(m Metadata, lang string, kept []*keptDescription) []byte {
	var b bytes.Buffer
	b.WriteString("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="` + nsX + `" x:xmptk="picfre">` + "\n")
	b.WriteString(` <rdf:RDF xmlns:rdf="` + nsRDF + `">` + "\n")
	b.WriteString(`  <rdf:Description rdf:about="" xmlns:dc="` + nsDC + `" xmlns:photoshop="` + nsPS + `">` + "\n")
	alt := func(prop, v string) {
		v = cleanLine(v)
		b.WriteString("   <" + prop + "><rdf:Alt>")
		b.WriteString(`<rdf:li xml:lang="x-default">` + escape(v) + `</rdf:li>`)
		if lang != "" && !strings.EqualFold(lang, "x-default") {
			b.WriteString(`<rdf:li xml:lang="` + escape(lang) + `">` + escape(v) + `</rdf:li>`)
		}
		b.WriteString("</rdf:Alt></" + prop + ">\n")
	}
	if m.Title != "" {
		alt("dc:title", m.Title)
	}
	if m.Description != "" {
		alt("dc:description", m.Description)
	}
	if len(m.Keywords) > 0 {
		b.WriteString("   <dc:subject><rdf:Bag>\n")
		for _, k := range m.Keywords {
			if k = cleanLine(k); k != "" {
				b.WriteString("    <rdf:li>" + escape(k) + "</rdf:li>\n")
			}
		}
		b.WriteString("   </rdf:Bag></dc:subject>\n")
	}
	if m.Title != "" {
		b.WriteString("   <photoshop:Headline>" + escape(cleanLine(m.Title)) + "</photoshop:Headline>\n")
	}
	b.WriteString("  </rdf:Description>\n")
	for _, k := range kept {
		if len(k.attrs) == 0 && len(k.children) == 0 {
			continue
		}
		b.WriteString(`  <rdf:Description rdf:about=""`)
		prefixOf := map[string]string{nsXML: "xml"}
		for _, d := range k.ns {
			if d.prefix == "" {
				b.WriteString(` xmlns="` + escape(d.uri) + `"`)
			} else {
				b.WriteString(` xmlns:` + d.prefix + `="` + escape(d.uri) + `"`)
			}
			prefixOf[d.uri] = d.prefix
		}
		for _, a := range k.attrs {
			p, ok := prefixOf[a.Name.Space]
			if a.Name.Space == "" || !ok || p == "" || !isNCName(a.Name.Local) { // not an XMP property
				continue
			}
			b.WriteString(" " + p + ":" + a.Name.Local + `="` + escape(a.Value) + `"`)
		}
		b.WriteString(">\n")
		for _, c := range k.children {
			b.WriteString("   ")
			b.Write(c)
			b.WriteString("\n")
		}
		b.WriteString("  </rdf:Description>\n")
	}
	b.WriteString(" </rdf:RDF>\n</x:xmpmeta>\n")
	pad := strings.Repeat(" ", 99) + "\n"
	for range xmpPadding / 100 {
		b.WriteString(pad)
	}
	b.WriteString(`<?xpacket end="w"?>`)
	return b.Bytes()
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder cannot fail
	return b.String()
}

// WriteSidecar writes a standalone XMP sidecar (.xmp) holding m, for
// files that cannot carry embedded metadata here (video, RAW, PNG). To
// update an existing sidecar and keep its other properties, use
// MergeXMP.
func WriteSidecar(w io.Writer, m Metadata) error {
	b, err := mergeXMP(nil, m, "")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
