package anthropic_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/anthropic"
	"github.com/picfre/picfre/provider/providertest"
)

func TestForcedToolAndPackingOnTheWire(t *testing.T) {
	s := wiretest.NewAnthropic(t)
	p, err := newProvider(s)
	if err != nil {
		t.Fatal(err)
	}
	req := providertest.NewRequest(t, provider.TaskMetadata, 3)
	resp, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Wire()) != 1 {
		t.Fatalf("3 items took %d requests", len(s.Wire()))
	}
	w := s.Wire()[0]
	if !bytes.Contains(w, []byte(`"tool_choice":{"name":"picfre_metadata","type":"tool"}`)) {
		t.Fatalf("tool use is not forced:\n%s", w)
	}
	if !bytes.Contains(w, []byte(`"max_tokens":2048`)) {
		t.Fatal("no default max_tokens")
	}
	got := s.Requests()[0]
	if len(got.Images()) != 3 || got.SchemaName != "picfre_metadata" {
		t.Fatalf("server saw %d images, tool %q", len(got.Images()), got.SchemaName)
	}
	var v struct{ Items []map[string]any }
	if err := json.Unmarshal([]byte(resp.Text), &v); err != nil || len(v.Items) != 3 {
		t.Fatalf("tool input not returned as text: %v %s", err, resp.Text)
	}
}

func TestNoAudioOrVideo(t *testing.T) {
	s := wiretest.NewAnthropic(t)
	p, _ := newProvider(s)
	for _, mt := range []string{"video/mp4", "audio/mpeg", "image/tiff"} {
		_, err := p.Generate(t.Context(), &provider.Request{Parts: []provider.Part{{MIMEType: mt, Data: []byte{1, 2, 3}}}})
		if provider.Classify(err) != provider.Unsupported {
			t.Errorf("%s: got %v, want unsupported", mt, err)
		}
	}
	if len(s.Wire()) != 0 {
		t.Fatal("unsupported content reached the wire")
	}
}

func TestAmbientEnvironmentIsIgnored(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-env-aaaaaaaa")
	t.Setenv("ANTHROPIC_AUTH_TOKEN", "env-token-bbbbbbbb")
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("ANTHROPIC_CUSTOM_HEADERS", "anthropic-workspace-id: ambient-workspace")
	s := wiretest.NewAnthropic(t)
	p, err := newProvider(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Generate(t.Context(), providertest.NewRequest(t, provider.TaskMetadata, 1)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"env-aaaa", "env-token", "ambient-workspace", "Authorization"} {
		if bytes.Contains(s.Wire()[0], []byte(bad)) {
			t.Errorf("%q from the environment reached the wire", bad)
		}
	}
}

func TestNeedsKey(t *testing.T) {
	if _, err := anthropic.New(anthropic.Options{}); err == nil {
		t.Fatal("New without a key succeeded")
	}
}
