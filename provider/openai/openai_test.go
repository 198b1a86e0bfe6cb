package openai_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/openai"
	"github.com/picfre/picfre/provider/providertest"
)

func newProvider(s *wiretest.Server) (provider.Provider, error) {
	return openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL()})
}

func TestConformance(t *testing.T) {
	providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
		return wiretest.NewHarness(t, wiretest.OpenAI, newProvider)
	})
}

func TestDetailAndPackingOnTheWire(t *testing.T) {
	s := wiretest.NewOpenAI(t)
	p, err := newProvider(s)
	if err != nil {
		t.Fatal(err)
	}
	req := providertest.NewRequest(t, provider.TaskMetadata, 3)
	req.Detail = provider.DetailLow
	resp, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	wire := s.Wire()
	if len(wire) != 1 {
		t.Fatalf("3 items took %d requests, want 1", len(wire))
	}
	if n := bytes.Count(wire[0], []byte(`"detail":"low"`)); n != 3 {
		t.Fatalf(`"detail":"low" appears %d times on the wire, want 3`, n)
	}
	got := s.Requests()[0]
	if len(got.Images()) != 3 {
		t.Fatalf("server saw %d images, want 3", len(got.Images()))
	}
	if !strings.Contains(string(got.Schema), `"items"`) || got.SchemaName != "picfre_metadata" {
		t.Fatalf("schema not sent as strict json_schema: %s %q", got.Schema, got.SchemaName)
	}
	if !bytes.Contains(wire[0], []byte(`"strict":true`)) {
		t.Fatal("json_schema is not strict")
	}
	var v struct{ Items []map[string]any }
	if err := json.Unmarshal([]byte(resp.Text), &v); err != nil || len(v.Items) != 3 {
		t.Fatalf("want 3 answers, got %v (%s)", err, resp.Text)
	}
	if resp.Usage.InputTokens <= 0 || resp.Usage.OutputTokens <= 0 {
		t.Fatalf("usage not propagated: %+v", resp.Usage)
	}
}

// TestAmbientEnvironmentIsIgnored proves the constructor reads no
// OPENAI_* variable: neither the key, the base URL, the organization nor
// custom headers reach the wire.
func TestAmbientEnvironmentIsIgnored(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-env-aaaaaaaa")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	t.Setenv("OPENAI_ORG_ID", "org-ambient-account")
	t.Setenv("OPENAI_PROJECT_ID", "proj-ambient-account")
	t.Setenv("OPENAI_CUSTOM_HEADERS", "X-Account: ambient-account")
	s := wiretest.NewOpenAI(t)
	p, err := newProvider(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Generate(t.Context(), providertest.NewRequest(t, provider.TaskMetadata, 1)); err != nil {
		t.Fatal(err)
	}
	w := s.Wire()
	if len(w) != 1 {
		t.Fatalf("got %d requests at the configured server", len(w))
	}
	for _, bad := range []string{"sk-from-env", "ambient-account", "OpenAI-Organization", "OpenAI-Project"} {
		if bytes.Contains(bytes.ToLower(w[0]), bytes.ToLower([]byte(bad))) {
			t.Errorf("%q from the environment reached the wire:\n%s", bad, w[0])
		}
	}
}

func TestOllamaDefaults(t *testing.T) {
	p, err := openai.New(openai.Options{Name: "ollama"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "ollama" || p.Capabilities().MaxItemsPerRequest != 1 || p.Capabilities().ImageCost != nil {
		t.Fatalf("ollama defaults: name %q caps %+v", p.Name(), p.Capabilities())
	}
	if openai.OllamaBaseURL != "http://localhost:11434/v1" {
		t.Fatal(openai.OllamaBaseURL)
	}
	// A keyless server gets no Authorization header at all.
	s := wiretest.New(t, wiretest.OpenAI, wiretest.Options{Key: "unused-by-ollama"})
	p, err = openai.New(openai.Options{Name: "ollama", BaseURL: s.BaseURL()})
	if err != nil {
		t.Fatal(err)
	}
	req := providertest.NewRequest(t, provider.TaskMetadata, 1)
	req.MaxOutputTokens = 700
	_, err = p.Generate(t.Context(), req)
	if provider.Classify(err) != provider.Unauthenticated {
		t.Fatalf("server requiring a key: got %v", err)
	}
	if w := s.Wire(); len(w) != 1 || bytes.Contains(w[0], []byte("Authorization")) {
		t.Fatalf("keyless provider sent an Authorization header:\n%s", w[0])
	}
	if !bytes.Contains(s.Wire()[0], []byte(`"max_tokens":700`)) || bytes.Contains(s.Wire()[0], []byte(`"max_completion_tokens"`)) {
		t.Fatal("compatible servers get max_tokens, not max_completion_tokens")
	}
}

func TestAudioOnlyForAudioModels(t *testing.T) {
	s := wiretest.NewOpenAI(t)
	p, err := openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL(), Model: "gpt-4o-audio-preview"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Capabilities().Audio {
		t.Fatal("audio model does not declare audio")
	}
	req := &provider.Request{Instructions: "Describe the clip.", Parts: []provider.Part{
		{Item: 0, MIMEType: "audio/wav", Data: []byte("RIFF\x24\x00\x00\x00WAVEfmt ")}}}
	if _, err := p.Generate(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(s.Wire()[0], []byte(`"input_audio"`)) || !bytes.Contains(s.Wire()[0], []byte(`"format":"wav"`)) {
		t.Fatalf("audio not sent as input_audio:\n%s", s.Wire()[0])
	}
	req.Parts[0].MIMEType = "audio/flac"
	if _, err := p.Generate(t.Context(), req); provider.Classify(err) != provider.Unsupported {
		t.Fatalf("flac: got %v, want unsupported", err)
	}
}

func TestKeyEchoedByServerIsRedacted(t *testing.T) {
	key := "sk-echo-0123456789abcdef"
	s := wiretest.New(t, wiretest.OpenAI, wiretest.Options{Key: key, Respond: func(*wiretest.Request) providertest.Outcome {
		return providertest.Outcome{Fault: provider.InvalidRequest}
	}})
	p, _ := openai.New(openai.Options{APIKey: key, BaseURL: s.BaseURL()})
	// A wrong key makes the server answer 401; an echo of the configured
	// key in any message must be redacted.
	p2, _ := openai.New(openai.Options{APIKey: key + "x", BaseURL: s.BaseURL()})
	for _, pp := range []*openai.Provider{p, p2} {
		_, err := pp.Generate(t.Context(), providertest.NewRequest(t, provider.TaskMetadata, 1))
		if err == nil || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "base64") {
			t.Fatalf("unsafe or missing error: %v", err)
		}
	}
}

func TestCostRules(t *testing.T) {
	cases := []struct {
		model string
		w, h  int
		d     provider.Detail
		want  int
	}{
		{"gpt-4o", 1024, 1024, provider.DetailHigh, 765},
		{"gpt-4o", 2048, 4096, provider.DetailHigh, 1105},
		{"gpt-4o", 4000, 3000, provider.DetailLow, 85},
		{"gpt-4.1", 1024, 1024, provider.DetailAuto, 1024},
		{"gpt-4.1", 1800, 2400, provider.DetailAuto, 1452},
		{"gpt-4.1-mini", 1024, 1024, provider.DetailAuto, 1659},
	}
	for _, c := range cases {
		if got := openai.CostFor(c.model).Tokens(c.w, c.h, c.d); got != c.want {
			t.Errorf("%s %dx%d %s: %d tokens, want %d", c.model, c.w, c.h, c.d, got, c.want)
		}
	}
}
