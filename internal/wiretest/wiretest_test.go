package wiretest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/provider"
)

func post(t *testing.T, url string, h http.Header, body string) *http.Response {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header = h
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const openaiBody = `{"model":"gpt-4.1-mini","messages":[{"role":"system","content":"Tag."},` +
	`{"role":"user","content":[{"type":"text","text":"Image 1:"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},` +
	`{"type":"text","text":"Image 2:"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAB"}}]}],` +
	`"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":` +
	`{"type":"object","properties":{"items":{"type":"array","minItems":2,"maxItems":2,"items":{"type":"object","properties":` +
	`{"title":{"type":"string","maxLength":20},"keywords":{"type":"array","items":{"type":"string"},"minItems":15,"maxItems":49}}}}}}}}}`

func TestDefaultAnswerFollowsTheSchema(t *testing.T) {
	s := NewOpenAI(t)
	resp := post(t, s.BaseURL()+"/chat/completions", http.Header{"Authorization": {"Bearer " + s.Secret()}}, openaiBody)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var out struct {
		Choices []struct{ Message struct{ Content string } }
		Usage   struct {
			PromptTokens int `json:"prompt_tokens"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Items []struct {
			Title    string
			Keywords []string
		}
	}
	if err := json.Unmarshal([]byte(out.Choices[0].Message.Content), &v); err != nil || len(v.Items) != 2 {
		t.Fatalf("answer %q: %v", out.Choices[0].Message.Content, err)
	}
	for _, it := range v.Items {
		if len(it.Title) == 0 || len(it.Title) > 20 || len(it.Keywords) != 15 {
			t.Fatalf("item does not follow the schema: %+v", it)
		}
		seen := map[string]bool{}
		for _, k := range it.Keywords {
			if seen[k] {
				t.Fatalf("duplicate keyword %q", k)
			}
			seen[k] = true
		}
	}
	if v.Items[0].Title == v.Items[1].Title {
		t.Fatal("two different images got the same title")
	}
	if out.Usage.PromptTokens <= 0 {
		t.Fatal("no usage")
	}
}

func TestAuthPathsAndErrorsAreReal(t *testing.T) {
	s := NewOpenAI(t)
	if r := post(t, s.BaseURL()+"/chat/completions", http.Header{"Authorization": {"Bearer wrong"}}, openaiBody); r.StatusCode != 401 {
		t.Fatalf("bad key: %d", r.StatusCode)
	}
	if r := post(t, s.URL+"/chat/completions", http.Header{"Authorization": {"Bearer " + s.Secret()}}, openaiBody); r.StatusCode != 404 {
		t.Fatalf("wrong path: %d", r.StatusCode)
	}
	g := NewGemini(t)
	r := post(t, g.URL+"/v1beta/models/gemini-2.5-flash:generateContent", http.Header{"X-Goog-Api-Key": {"wrong"}}, `{"contents":[{"parts":[{"text":"hi"}]}]}`)
	var ge struct{ Error struct{ Status string } }
	_ = json.NewDecoder(r.Body).Decode(&ge)
	if r.StatusCode != 400 || ge.Error.Status != "INVALID_ARGUMENT" {
		t.Fatalf("gemini bad key: %d %+v", r.StatusCode, ge)
	}
	a := NewAnthropic(t)
	r = post(t, a.URL+"/v1/messages", http.Header{"X-Api-Key": {a.Secret()}}, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	if r.StatusCode != 401 {
		t.Fatalf("anthropic without anthropic-version: %d", r.StatusCode)
	}
	if len(a.Wire()) != 1 || !bytes.Contains(a.Wire()[0], []byte("X-Api-Key")) {
		t.Fatal("raw request not recorded")
	}
}

func TestRequestsPerMinuteLimit(t *testing.T) {
	s := New(t, OpenAI, Options{RequestsPerMinute: 60})
	h := http.Header{"Authorization": {"Bearer " + s.Secret()}}
	if r := post(t, s.BaseURL()+"/chat/completions", h, openaiBody); r.StatusCode != 200 {
		t.Fatalf("first: %d", r.StatusCode)
	}
	r := post(t, s.BaseURL()+"/chat/completions", h, openaiBody)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" || r.Header.Get("Retry-After-Ms") == "" {
		t.Fatalf("second within the second: %d %v", r.StatusCode, r.Header)
	}
	if ms := r.Header.Get("Retry-After-Ms"); ms == "0" {
		t.Fatal("zero hint")
	}
	if s.Served() != 1 {
		t.Fatalf("served %d", s.Served())
	}
}

func TestFixedWindowLimit(t *testing.T) {
	// A window long enough that three requests and a refused one fall in
	// the first, however slow the machine.
	const window = 30 * time.Second
	s := New(t, OpenAI, Options{WindowRequests: 3, Window: window})
	h := http.Header{"Authorization": {"Bearer " + s.Secret()}}
	for i := range 3 {
		r := post(t, s.BaseURL()+"/chat/completions", h, openaiBody)
		if r.StatusCode != 200 {
			t.Fatalf("request %d: %d", i+1, r.StatusCode)
		}
		if got, want := r.Header.Get("X-Ratelimit-Remaining-Requests"), fmt.Sprint(2-i); got != want {
			t.Fatalf("request %d: remaining %q, want %s", i+1, got, want)
		}
		if r.Header.Get("X-Ratelimit-Limit-Requests") != "3" {
			t.Fatalf("limit header %q", r.Header.Get("X-Ratelimit-Limit-Requests"))
		}
		if d, err := time.ParseDuration(r.Header.Get("X-Ratelimit-Reset-Requests")); err != nil || d <= 0 || d > window {
			t.Fatalf("reset %q", r.Header.Get("X-Ratelimit-Reset-Requests"))
		}
	}
	r := post(t, s.BaseURL()+"/chat/completions", h, openaiBody)
	if r.StatusCode != 429 || r.Header.Get("X-Ratelimit-Remaining-Requests") != "0" || r.Header.Get("X-Ratelimit-Limit-Requests") != "3" {
		t.Fatalf("fourth in the window: %d %v", r.StatusCode, r.Header)
	}
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	ms, err2 := strconv.Atoi(r.Header.Get("Retry-After-Ms"))
	if err != nil || err2 != nil || secs < 1 || secs > 30 || ms <= 0 || ms > 30000 || (ms+999)/1000 != secs {
		t.Fatalf("hints %q, %q: want the time to the window's end", r.Header.Get("Retry-After"), r.Header.Get("Retry-After-Ms"))
	}
	if w := s.Windows(); len(w) != 1 || w[0] != 3 || s.Served() != 3 {
		t.Fatalf("windows %v, served %d; the refused request must not count", w, s.Served())
	}

	// The next window admits again, once its hint has passed.
	s = New(t, OpenAI, Options{WindowRequests: 1, Window: 500 * time.Millisecond})
	var hint time.Duration
	for range 10 {
		r := post(t, s.BaseURL()+"/chat/completions", h2(s), openaiBody)
		if r.StatusCode == 429 {
			ms, _ := strconv.Atoi(r.Header.Get("Retry-After-Ms"))
			hint = time.Duration(ms) * time.Millisecond
			break
		}
	}
	if hint <= 0 || hint > 500*time.Millisecond {
		t.Fatalf("no usable 429 hint from a one-request window: %s", hint)
	}
	time.Sleep(hint + 20*time.Millisecond)
	if r := post(t, s.BaseURL()+"/chat/completions", h2(s), openaiBody); r.StatusCode != 200 {
		t.Fatalf("after the hint: %d", r.StatusCode)
	}
	total := 0
	for _, n := range s.Windows() {
		if n > 1 {
			t.Fatalf("windows %v: more than the limit in one", s.Windows())
		}
		total += n
	}
	if total != s.Served() {
		t.Fatalf("windows %v, served %d", s.Windows(), s.Served())
	}
}

func TestRateHeadersOnlyOn429(t *testing.T) {
	s := New(t, OpenAI, Options{WindowRequests: 1, Window: 30 * time.Second, RateHeadersOnlyOn429: true})
	r := post(t, s.BaseURL()+"/chat/completions", h2(s), openaiBody)
	if r.StatusCode != 200 || r.Header.Get("X-Ratelimit-Limit-Requests") != "" || r.Header.Get("X-Ratelimit-Remaining-Requests") != "" {
		t.Fatalf("success: %d %v; want no rate-limit headers", r.StatusCode, r.Header)
	}
	r = post(t, s.BaseURL()+"/chat/completions", h2(s), openaiBody)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" || r.Header.Get("X-Ratelimit-Remaining-Requests") != "0" {
		t.Fatalf("beyond the limit: %d %v", r.StatusCode, r.Header)
	}
}

func h2(s *Server) http.Header { return http.Header{"Authorization": {"Bearer " + s.Secret()}} }

func TestFailRateIsSeeded(t *testing.T) {
	count := func() int {
		s := New(t, OpenAI, Options{FailRate: 0.3, Seed: 3, FailRetryAfter: 2 * time.Second})
		h := http.Header{"Authorization": {"Bearer " + s.Secret()}}
		n := 0
		for range 50 {
			if r := post(t, s.BaseURL()+"/chat/completions", h, openaiBody); r.StatusCode == 429 {
				if r.Header.Get("Retry-After") != "2" {
					t.Fatalf("hint %q", r.Header.Get("Retry-After"))
				}
				n++
			}
		}
		return n
	}
	a, b := count(), count()
	if a != b || a < 5 || a > 25 {
		t.Fatalf("fail counts %d and %d for the same seed", a, b)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(0, []byte(openaiBody))
	f.Add(1, []byte(`{"contents":[{"parts":[{"text":"hi"},{"inlineData":{"mimeType":"image/png","data":"AAAA"}}]}],"generationConfig":{"responseMimeType":"application/json","responseJsonSchema":{"type":"object","properties":{"k":{"type":"array","minItems":"3"}}}}}`))
	f.Add(1, []byte(`{"contents":[{"parts":[{"text":"hi"},{"fileData":{"mimeType":"video/mp4","fileUri":"https://x/v1beta/files/abc"}}]}]}`))
	f.Add(2, []byte(`{"model":"m","max_tokens":5,"system":"s","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"t"}}`))
	kinds := []Kind{OpenAI, Gemini, Anthropic}
	f.Fuzz(func(t *testing.T, k int, body []byte) {
		kind := kinds[(k%3+3)%3]
		req, err := protocols[kind].parse(body)
		if err != nil {
			return
		}
		// Answers are built for any parsed request, and are JSON.
		if a := Answer(req); !json.Valid([]byte(a)) {
			t.Fatalf("answer is not JSON: %q", a)
		}
		_ = estimateUsage(kind, req, "{}")
	})
}

func TestAnswerWithoutSchemaIsMetadata(t *testing.T) {
	var v map[string]any
	if err := json.Unmarshal([]byte(Answer(&Request{})), &v); err != nil || v["title"] == nil || v["keywords"] == nil {
		t.Fatalf("%v %v", v, err)
	}
	_ = provider.ItemsKey
}
