package stock

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"slices"
	"unicode/utf8"
)

// Photoshop image resource IDs used here.
const (
	resIPTC       = 0x0404
	resIPTCDigest = 0x0425
)

// IIM limits in bytes (IPTC IIM 4.2).
const (
	iimObjectNameMax = 64
	iimHeadlineMax   = 256
	iimCaptionMax    = 2000
	iimKeywordMax    = 64
)

// psResource is one Photoshop image resource block.
type psResource struct {
	sig  []byte // "8BIM" and a few others
	id   uint16
	name []byte // Pascal string, length byte included, unpadded
	data []byte
}

// parsePhotoshop reads image resource blocks. b is the APP13 payload
// after "Photoshop 3.0\0" (several segments joined).
func parsePhotoshop(b []byte) ([]psResource, error) {
	var out []psResource
	i := 0
	for i < len(b) {
		// Trailing zero padding after the last block is common.
		if allZero(b[i:]) {
			break
		}
		if i+7 > len(b) {
			return nil, formatErr(ErrInvalidIPTC, i, "truncated resource header")
		}
		sig := b[i : i+4]
		switch string(sig) {
		case "8BIM", "PHUT", "AgHg", "DCSR", "MeSa":
		default:
			return nil, formatErr(ErrInvalidIPTC, i, "bad resource signature")
		}
		id := binary.BigEndian.Uint16(b[i+4:])
		j := i + 6
		nlen := int(b[j])
		pad := 1 + nlen
		if pad%2 == 1 {
			pad++
		}
		if j+pad+4 > len(b) {
			return nil, formatErr(ErrInvalidIPTC, j, "truncated resource name")
		}
		name := b[j : j+1+nlen]
		j += pad
		size := binary.BigEndian.Uint32(b[j:])
		j += 4
		if uint64(size) > uint64(len(b)-j) {
			return nil, formatErr(ErrInvalidIPTC, j, "resource size out of range")
		}
		data := b[j : j+int(size)]
		j += int(size)
		if size%2 == 1 && j < len(b) {
			j++
		}
		out = append(out, psResource{sig: sig, id: id, name: name, data: data})
		i = j
	}
	return out, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func appendResource(dst []byte, r psResource) []byte {
	dst = append(dst, r.sig...)
	dst = binary.BigEndian.AppendUint16(dst, r.id)
	dst = append(dst, r.name...)
	if len(r.name)%2 == 1 {
		dst = append(dst, 0)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(r.data)))
	dst = append(dst, r.data...)
	if len(r.data)%2 == 1 {
		dst = append(dst, 0)
	}
	return dst
}

// iimDataset is one IPTC IIM dataset.
type iimDataset struct {
	record, dataset byte
	value           []byte
}

// parseIIM reads IIM datasets. Bytes after the last dataset that do not
// start a new one are treated as padding and ignored.
func parseIIM(b []byte) ([]iimDataset, error) {
	var out []iimDataset
	i := 0
	for i+5 <= len(b) && b[i] == 0x1C {
		rec, ds := b[i+1], b[i+2]
		n := int(binary.BigEndian.Uint16(b[i+3:]))
		i += 5
		if n&0x8000 != 0 { // extended dataset: the next n&0x7FFF bytes hold the length
			k := n & 0x7FFF
			if k == 0 || k > 4 || i+k > len(b) {
				return nil, formatErr(ErrInvalidIPTC, i, "bad extended dataset length")
			}
			n = 0
			for _, c := range b[i : i+k] {
				n = n<<8 | int(c)
			}
			i += k
		}
		if n < 0 || n > len(b)-i {
			return nil, formatErr(ErrInvalidIPTC, i, "dataset length out of range")
		}
		out = append(out, iimDataset{record: rec, dataset: ds, value: b[i : i+n]})
		i += n
	}
	return out, nil
}

func appendIIM(dst []byte, d iimDataset) []byte {
	dst = append(dst, 0x1C, d.record, d.dataset)
	if len(d.value) > 0x7FFF {
		dst = append(dst, 0x80, 0x04)
		return append(binary.BigEndian.AppendUint32(dst, uint32(len(d.value))), d.value...)
	}
	return append(binary.BigEndian.AppendUint16(dst, uint16(len(d.value))), d.value...)
}

var utf8Escape = []byte{0x1B, 0x25, 0x47} // ESC % G: UTF-8 (ISO 2022)

func isUTF8Declared(ds []iimDataset) bool {
	for _, d := range ds {
		if d.record == 1 && d.dataset == 90 && bytes.Equal(d.value, utf8Escape) {
			return true
		}
	}
	return false
}

func latin1ToUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/2)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// buildIIM returns the new IIM block: old datasets kept except those m
// replaces and the character set, which is declared UTF-8.
func buildIIM(old []iimDataset, m Metadata) []byte {
	replace := map[byte]bool{}
	if m.Title != "" {
		replace[5], replace[105] = true, true
	}
	if m.Description != "" {
		replace[120] = true
	}
	if len(m.Keywords) > 0 {
		replace[25] = true
	}
	utf := isUTF8Declared(old)
	var rec1, rec2, rest []iimDataset
	hasVersion := false
	for _, d := range old {
		switch {
		case d.record == 1 && d.dataset == 90:
		case d.record == 1:
			rec1 = append(rec1, d)
		case d.record == 2 && replace[d.dataset]:
		case d.record == 2:
			if d.dataset == 0 {
				hasVersion = true
			}
			// Text in a block without a UTF-8 declaration is taken as
			// Latin-1 and rewritten, since the block will declare UTF-8.
			if !utf && d.dataset != 0 && (d.dataset < 200 || d.dataset > 202) && !utf8.Valid(d.value) {
				d.value = latin1ToUTF8(d.value)
			}
			rec2 = append(rec2, d)
		default:
			rest = append(rest, d)
		}
	}
	rec1 = append(rec1, iimDataset{1, 90, utf8Escape})
	if !hasVersion {
		rec2 = append(rec2, iimDataset{2, 0, []byte{0, 4}})
	}
	if m.Title != "" {
		rec2 = append(rec2,
			iimDataset{2, 5, []byte(cutBytes(cleanLine(m.Title), iimObjectNameMax))},
			iimDataset{2, 105, []byte(cutBytes(cleanLine(m.Title), iimHeadlineMax))})
	}
	if m.Description != "" {
		rec2 = append(rec2, iimDataset{2, 120, []byte(cutBytes(cleanLine(m.Description), iimCaptionMax))})
	}
	for _, k := range m.Keywords {
		if k = cutBytes(cleanLine(k), iimKeywordMax); k != "" {
			rec2 = append(rec2, iimDataset{2, 25, []byte(k)})
		}
	}
	byDataset := func(a, b iimDataset) int { return int(a.dataset) - int(b.dataset) }
	slices.SortStableFunc(rec1, byDataset)
	slices.SortStableFunc(rec2, byDataset)
	var out []byte
	for _, ds := range [][]iimDataset{rec1, rec2, rest} {
		for _, d := range ds {
			out = appendIIM(out, d)
		}
	}
	return out
}

// buildPhotoshop returns the new APP13 payload (after the header): the
// old resources with the IPTC one replaced (or added) and the IPTC digest,
// when there is one, brought up to date.
func buildPhotoshop(old []byte, m Metadata) ([]byte, error) {
	res, err := parsePhotoshop(old)
	if err != nil {
		return nil, err
	}
	var oldIIM []iimDataset
	found := false
	for _, r := range res {
		if r.id == resIPTC && string(r.sig) == "8BIM" && !found {
			found = true
			if oldIIM, err = parseIIM(r.data); err != nil {
				return nil, err
			}
		}
	}
	iim := buildIIM(oldIIM, m)
	digest := md5.Sum(iim)
	var out []byte
	wrote := false
	for _, r := range res {
		if string(r.sig) == "8BIM" {
			switch r.id {
			case resIPTC:
				if wrote {
					continue
				}
				r.data, wrote = iim, true
			case resIPTCDigest:
				r.data = digest[:]
			}
		}
		out = appendResource(out, r)
	}
	if !wrote {
		out = appendResource(out, psResource{sig: []byte("8BIM"), id: resIPTC, name: []byte{0}, data: iim})
	}
	return out, nil
}

// readIPTCFromPhotoshop reads title, description and keywords from an
// APP13 payload.
func readIPTCFromPhotoshop(b []byte) (Metadata, error) {
	res, err := parsePhotoshop(b)
	if err != nil {
		return Metadata{}, err
	}
	var m Metadata
	for _, r := range res {
		if r.id != resIPTC || string(r.sig) != "8BIM" {
			continue
		}
		ds, err := parseIIM(r.data)
		if err != nil {
			return Metadata{}, err
		}
		utf := isUTF8Declared(ds)
		text := func(v []byte) string {
			if !utf && !utf8.Valid(v) {
				v = latin1ToUTF8(v)
			}
			return string(v)
		}
		var objectName string
		for _, d := range ds {
			if d.record != 2 {
				continue
			}
			switch d.dataset {
			case 5:
				objectName = text(d.value)
			case 105: // the fuller title
				m.Title = text(d.value)
			case 120:
				m.Description = text(d.value)
			case 25:
				m.Keywords = append(m.Keywords, text(d.value))
			}
		}
		if m.Title == "" {
			m.Title = objectName
		}
		break
	}
	return m, nil
}
