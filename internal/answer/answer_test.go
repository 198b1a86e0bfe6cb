package answer

import (
	"errors"
	"strings"
	"testing"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", `{"a":1}`, `{"a":1}`},
		{"fenced", "```json\n{\"a\":1}\n```", `{"a":1}`},
		{"prose around", "Sure! Here it is: {\"a\":{\"b\":[1,2]}} Hope it helps.", `{"a":{"b":[1,2]}}`},
		{"brace in prose first", "Use {curly} braces: {\"a\":1}", `{"a":1}`},
		{"array", "[{\"a\":1}]", `[{"a":1}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Extract(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestExtractRejects(t *testing.T) {
	for _, in := range []string{"", "   ", "no json here", `{"a":`, "\xff\xfe", strings.Repeat("x", MaxLen+1)} {
		_, err := Extract(in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Extract(%.20q): got %v, want *Error", in, err)
		}
	}
}

func TestItems(t *testing.T) {
	one := `{"title":"t","keywords":["k"]}`
	for _, tc := range []struct {
		in   string
		n    int
		fail bool
	}{
		{one, 1, false},
		{"[" + one + "]", 1, false},
		{`{"items":[` + one + `]}`, 1, false},
		{`{"items":[` + one + "," + one + `]}`, 2, false},
		{"[" + one + "," + one + "]", 2, false},
		{`{"items":[` + one + `]}`, 2, true},
		{one, 2, true},
		{`{"items":[1,2]}`, 2, true},
		{`{"items":"x"}`, 2, true},
	} {
		got, err := Items(tc.in, tc.n)
		if tc.fail != (err != nil) {
			t.Errorf("Items(%s, %d): err = %v, want failure %v", tc.in, tc.n, err, tc.fail)
			continue
		}
		if err == nil && len(got) != tc.n {
			t.Errorf("Items(%s, %d) returned %d items", tc.in, tc.n, len(got))
		}
	}
}

func TestDecode(t *testing.T) {
	if _, err := DecodeMetadata([]byte(`{"title":"","keywords":["a"]}`)); err == nil {
		t.Error("empty title accepted")
	}
	if _, err := DecodeMetadata([]byte(`{"title":"x","keywords":[]}`)); err == nil {
		t.Error("no keywords accepted")
	}
	if _, err := DecodeMetadata([]byte(`{"title":"x","keywords":"a, b"}`)); err == nil {
		t.Error("keywords as a string accepted")
	}
	m, err := DecodeMetadata([]byte(`{"title":"x","description":"d","keywords":["a"],"categories":["c"],"extra":1}`))
	if err != nil || m.Title != "x" || m.Keywords[0] != "a" || m.Categories[0] != "c" {
		t.Errorf("valid metadata: %+v, %v", m, err)
	}
	if _, err := DecodePrompt([]byte(`{"prompt":"  "}`)); err == nil {
		t.Error("blank prompt accepted")
	}
}

func TestErrorDoesNotQuoteAnswer(t *testing.T) {
	secretish := `{"title": 12345, "keywords": ["SENSITIVE-CONTENT"]}`
	_, err := DecodeMetadata([]byte(secretish))
	if err == nil || strings.Contains(err.Error(), "SENSITIVE") {
		t.Fatalf("error %v", err)
	}
}

func FuzzItems(f *testing.F) {
	f.Add(`{"title":"t","keywords":["k"]}`, 1)
	f.Add("```json\n{\"items\":[{\"title\":\"a\",\"keywords\":[\"b\"]}]}\n```", 1)
	f.Add(`[{"prompt":"x"},{"prompt":"y"}]`, 2)
	f.Add(`{{{{[[[[`, 3)
	f.Fuzz(func(t *testing.T, in string, n int) {
		n = 1 + abs(n)%8
		items, err := Items(in, n)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		if len(items) != n {
			t.Fatalf("got %d items, want %d", len(items), n)
		}
		for _, it := range items {
			_, _ = DecodeMetadata(it)
			_, _ = DecodePrompt(it)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n {
			return 0
		}
		return -n
	}
	return n
}

func BenchmarkExtractWorstCase(b *testing.B) {
	in := strings.Repeat("[", MaxLen/2)
	for b.Loop() {
		if _, err := Extract(in); err == nil {
			b.Fatal("accepted")
		}
	}
}
