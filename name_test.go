package picfre_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/picfre/picfre"
)

func TestEscapeName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"photo.jpg", "photo.jpg"},
		{"café/日本.png", "café/日本.png"},
		{"a\xffb.png", `a\xFFb.png`},
		{"a\xfeb.png", `a\xFEb.png`},
		{"\xc3", `\xC3`},                       // a cut-off sequence
		{`C:\photos\a.jpg`, `C:\photos\a.jpg`}, // backslashes not before x stay
		{`C:\xmas\a.jpg`, `C:\x5Cxmas\a.jpg`},  // a backslash before x is escaped
		{`a\xFF`, `a\x5CxFF`},                  // text that looks like an escape
		{"\\\xff", `\\xFF`},
		{"\ufffd.jpg", "\ufffd.jpg"}, // a real U+FFFD is valid UTF-8
	} {
		got := picfre.EscapeName(c.in)
		if got != c.want {
			t.Errorf("EscapeName(%q) = %q, want %q", c.in, got, c.want)
		}
		if back := picfre.UnescapeName(got); back != c.in {
			t.Errorf("UnescapeName(%q) = %q, want %q", got, back, c.in)
		}
	}
	if a, b := picfre.EscapeName("a\xff"), picfre.EscapeName("a\xfe"); a == b {
		t.Fatal("names differing in invalid bytes escape alike")
	}
}

// TestResultJSONKeepsNameBytes: a Result's JSON holds a name that is not
// UTF-8 escaped, and UnmarshalJSON gives the original bytes back.
func TestResultJSONKeepsNameBytes(t *testing.T) {
	r := picfre.Result{File: "dir/a\xff.png", Title: "t"}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(b) || strings.Contains(string(b), "\ufffd") || !strings.Contains(string(b), `a\\xFF.png`) {
		t.Fatalf("json %s", b)
	}
	var back picfre.Result
	if err := json.Unmarshal(b, &back); err != nil || back.File != r.File {
		t.Fatalf("read back %q, %v", back.File, err)
	}
}

func FuzzEscapeName(f *testing.F) {
	for _, s := range []string{"", "a.jpg", "a\xff", `\x41`, `\x`, `\\x`, "\\\xff", `C:\xmas`, "\xed\xa0\x80", "\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := picfre.EscapeName(s)
		if !utf8.ValidString(e) {
			t.Fatalf("EscapeName(%q) = %q is not UTF-8", s, e)
		}
		if back := picfre.UnescapeName(e); back != s {
			t.Fatalf("UnescapeName(EscapeName(%q)) = %q", s, back)
		}
		if utf8.ValidString(s) && !strings.Contains(s, `\x`) && e != s {
			t.Fatalf("valid name %q changed to %q", s, e)
		}
	})
}
