package gemini_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/gemini"
	"github.com/picfre/picfre/provider/providertest"
)

func TestMediaResolutionAndPackingOnTheWire(t *testing.T) {
	s := wiretest.NewGemini(t)
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
	if len(s.Wire()) != 1 {
		t.Fatalf("3 items took %d requests, want 1", len(s.Wire()))
	}
	got := s.Requests()[0]
	if got.MediaResolution != "MEDIA_RESOLUTION_LOW" {
		t.Fatalf("mediaResolution on the wire: %q", got.MediaResolution)
	}
	if len(got.Images()) != 3 || got.Model != gemini.DefaultModel || got.Path != "/v1beta/models/gemini-2.5-flash:generateContent" {
		t.Fatalf("request: %d images, model %q, path %q", len(got.Images()), got.Model, got.Path)
	}
	if !bytes.Contains(s.Wire()[0], []byte(`"responseMimeType":"application/json"`)) {
		t.Fatal("no JSON response MIME type on the wire")
	}
	var v struct{ Items []map[string]any }
	if err := json.Unmarshal([]byte(resp.Text), &v); err != nil || len(v.Items) != 3 {
		t.Fatalf("want 3 answers: %v %s", err, resp.Text)
	}
}

func TestVideoAndAudioGoInline(t *testing.T) {
	s := wiretest.NewGemini(t)
	p, _ := newProvider(s)
	req := &provider.Request{Instructions: "Describe.", Parts: []provider.Part{
		{MIMEType: "video/mp4", Data: []byte("\x00\x00\x00\x18ftypmp42")},
		{MIMEType: "audio/wav", Data: []byte("RIFF\x24\x00\x00\x00WAVE")},
	}}
	if _, err := p.Generate(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	m := s.Requests()[0].Media
	if len(m) != 2 || m[0].MIMEType != "video/mp4" || m[1].MIMEType != "audio/wav" {
		t.Fatalf("media on the wire: %+v", m)
	}
}

// TestQuotaKinds checks the two 429s Google sends: a per-minute quota is
// a rate limit with the RetryInfo hint; a per-day quota is exhausted,
// although it carries a RetryInfo too.
func TestQuotaKinds(t *testing.T) {
	s := wiretest.NewGemini(t)
	p, _ := newProvider(s)
	s.Enqueue(providertest.Outcome{Fault: provider.RateLimited, RetryAfter: 17 * time.Second})
	_, err := p.Generate(t.Context(), providertest.NewRequest(t, provider.TaskMetadata, 1))
	if provider.Classify(err) != provider.RateLimited || retryHint(err) != 17*time.Second {
		t.Fatalf("per-minute quota: %v", err)
	}
	s.Enqueue(providertest.Outcome{Fault: provider.QuotaExhausted})
	_, err = p.Generate(t.Context(), providertest.NewRequest(t, provider.TaskMetadata, 1))
	if provider.Classify(err) != provider.QuotaExhausted {
		t.Fatalf("daily quota: %v", err)
	}
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.StatusCode != http.StatusTooManyRequests || !strings.Contains(pe.Message, "RESOURCE_EXHAUSTED") {
		t.Fatalf("daily quota error lacks status or message: %#v", err)
	}
}

func TestAmbientEnvironmentIsIgnored(t *testing.T) {
	t.Setenv("GOOGLE_API_KEY", "env-key-aaaaaaaa")
	t.Setenv("GEMINI_API_KEY", "env-key-bbbbbbbb")
	t.Setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
	t.Setenv("GOOGLE_CLOUD_PROJECT", "ambient-project")
	t.Setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1/")
	s := wiretest.NewGemini(t)
	p, err := newProvider(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Generate(t.Context(), providertest.NewRequest(t, provider.TaskMetadata, 1)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"env-key", "ambient-project"} {
		if bytes.Contains(s.Wire()[0], []byte(bad)) {
			t.Errorf("%q from the environment reached the wire", bad)
		}
	}
}

func TestNeedsKey(t *testing.T) {
	if _, err := gemini.New(gemini.Options{}); err == nil {
		t.Fatal("New without a key succeeded")
	}
}

// retryHint returns the server's retry hint carried by err, or 0.
func retryHint(err error) time.Duration {
	var pe *provider.Error
	if errors.As(err, &pe) {
		return pe.RetryAfter
	}
	return 0
}
