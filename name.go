package picfre

import (
	"strings"
	"unicode/utf8"
)

// EscapeName makes a file name valid UTF-8, reversibly, for the JSON
// records and CSV cells it is written to. A name that is not valid UTF-8
// (file systems allow any bytes) would otherwise have its invalid bytes
// replaced by U+FFFD, so that two files could share one name in the
// output.
//
// The rule: each byte that is not part of a valid UTF-8 sequence becomes
// `\xNN` (two upper-case hex digits), and a backslash that is followed by
// an "x" becomes `\x5C`, so that no escape can be mistaken for a name's
// own text. Every other character is kept as it is: a valid UTF-8 name
// without the two characters `\x` is unchanged, and so are Windows paths
// that have no folder starting with an "x". [UnescapeName] reverses it.
//
// Result's JSON (MarshalJSON) writes File escaped and UnmarshalJSON
// unescapes it; the CLI escapes names in every record and CSV.
func EscapeName(name string) string {
	if utf8.ValidString(name) && !strings.Contains(name, `\x`) {
		return name
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(name) + 8)
	for i := 0; i < len(name); {
		r, n := utf8.DecodeRuneInString(name[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[name[i]>>4])
			b.WriteByte(hex[name[i]&0xF])
		case r == '\\' && i+1 < len(name) && name[i+1] == 'x':
			b.WriteString(`\x5C`)
		default:
			b.WriteString(name[i : i+n])
		}
		i += n
	}
	return b.String()
}

// UnescapeName returns the name [EscapeName] made s from: every `\xNN`
// (two hex digits, either case) becomes the byte NN; everything else is
// kept. UnescapeName(EscapeName(name)) == name for every string.
func UnescapeName(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			hi, ok1 := unhex(s[i+2])
			lo, ok2 := unhex(s[i+3])
			if ok1 && ok2 {
				b.WriteByte(hi<<4 | lo)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
