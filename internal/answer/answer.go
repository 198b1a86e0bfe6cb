package answer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/picfre/picfre/errcode"
)

// Error says why an answer was rejected. Reason never contains the
// answer's text, which may echo content.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return "bad model output: " + e.Reason }

// ErrorCode is errcode.BadOutput.
// Is makes errors.Is(err, code) hold for the error's code.
func (e *Error) Is(target error) bool { return e.ErrorCode().Is(target) }

func (e *Error) ErrorCode() errcode.Code { return errcode.BadOutput }

func bad(format string, args ...any) error { return &Error{Reason: fmt.Sprintf(format, args...)} }

// maxTries bounds the opening brackets Extract tries as a start of JSON.
const maxTries = 16

// MaxLen bounds the answer text accepted, in bytes.
const MaxLen = 1 << 20

// Metadata is one item's answer to the metadata task.
type Metadata struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Keywords    []string `json:"keywords"`
	Categories  []string `json:"categories"`
	// KeywordsSecond are the keywords in a second language, when asked.
	KeywordsSecond []string `json:"keywords_second,omitempty"`
	// Genre, Mood and Instruments are asked for audio only.
	Genre       string   `json:"genre,omitempty"`
	Mood        string   `json:"mood,omitempty"`
	Instruments []string `json:"instruments,omitempty"`
}

// Prompt is one item's answer to the reverse-prompt task.
type Prompt struct {
	Prompt string `json:"prompt"`
}

// Extract returns the first complete JSON object or array in text, after
// removing code fences and surrounding prose.
func Extract(text string) (json.RawMessage, error) {
	if len(text) > MaxLen {
		return nil, bad("answer is %d bytes, more than %d", len(text), MaxLen)
	}
	if !utf8.ValidString(text) {
		return nil, bad("answer is not valid UTF-8")
	}
	s := strings.TrimSpace(text)
	if s == "" {
		return nil, bad("answer is empty")
	}
	// Each try decodes at most the rest of s, so the number of tries is
	// bounded to keep the worst case linear (think "[[[[...").
	tries := 0
	for i := 0; i < len(s) && tries < maxTries; i++ {
		if s[i] != '{' && s[i] != '[' {
			continue
		}
		tries++
		dec := json.NewDecoder(strings.NewReader(s[i:]))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == nil {
			return raw, nil
		}
		// A '{' in prose before the JSON: keep looking. Stop early if the
		// rest cannot hold an object at all.
		if !strings.ContainsAny(s[i+1:], "{[") {
			break
		}
	}
	return nil, bad("answer holds no complete JSON object")
}

// Items splits an answer into per-item objects. For n == 1 the answer is
// one object (a one-element array or an {"items":[x]} envelope is
// accepted too). For n > 1 it is {"items":[...]} with exactly n elements
// (a bare array of n is accepted too).
func Items(text string, n int) ([]json.RawMessage, error) {
	raw, err := Extract(text)
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	var list []json.RawMessage
	switch raw[0] {
	case '[':
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, bad("answer array: %v", jsonReason(err))
		}
	case '{':
		var env map[string]json.RawMessage
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, bad("answer object: %v", jsonReason(err))
		}
		inner, ok := env["items"]
		if !ok || n == 1 && len(env) > 1 {
			if n == 1 {
				return []json.RawMessage{raw}, nil
			}
			return nil, bad(`answer for %d items has no "items" array`, n)
		}
		if err := json.Unmarshal(inner, &list); err != nil {
			return nil, bad(`"items" is not an array of objects`)
		}
	}
	if len(list) != n {
		return nil, bad("answer has %d items, want %d", len(list), n)
	}
	for i, it := range list {
		if t := bytes.TrimSpace(it); len(t) == 0 || t[0] != '{' {
			return nil, bad("item %d is not an object", i+1)
		}
	}
	return list, nil
}

// DecodeMetadata decodes and checks one metadata item: the title and at
// least one keyword must be present.
func DecodeMetadata(raw json.RawMessage) (Metadata, error) {
	var m Metadata
	if err := strictDecode(raw, &m); err != nil {
		return m, err
	}
	if strings.TrimSpace(m.Title) == "" {
		return m, bad("title is missing or empty")
	}
	if len(m.Keywords) == 0 {
		return m, bad("keywords are missing")
	}
	return m, nil
}

// DecodePrompt decodes and checks one prompt item.
func DecodePrompt(raw json.RawMessage) (Prompt, error) {
	var p Prompt
	if err := strictDecode(raw, &p); err != nil {
		return p, err
	}
	if strings.TrimSpace(p.Prompt) == "" {
		return p, bad("prompt is missing or empty")
	}
	return p, nil
}

// strictDecode decodes raw into v, rejecting wrong types. Unknown fields are
// ignored: providers add harmless extras, and the schema already told them
// what is wanted.
func strictDecode(raw json.RawMessage, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return bad("%v", jsonReason(err))
	}
	return nil
}

// jsonReason reports a JSON error without quoting the input.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type (%s)", te.Field, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	return "invalid JSON"
}
