package fake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/provider/providertest"
)

type harness struct {
	p *fake.Provider
}

func (h *harness) MakeProvider(context.Context) (provider.Provider, error) {
	h.p = fake.New(fake.Options{Capabilities: provider.Capabilities{MaxItemsPerRequest: 4}})
	return h.p, nil
}
func (h *harness) Close()         {}
func (h *harness) Secret() string { return "" }
func (h *harness) Enqueue(o providertest.Outcome) {
	h.p.Enqueue(fake.Step{Text: o.Text, Usage: o.Usage, Fault: o.Fault, RetryAfter: o.RetryAfter, Delay: o.Delay})
}

// Wire serialises each recorded request as JSON, the fake's "wire".
func (h *harness) Wire() [][]byte {
	var out [][]byte
	for _, r := range h.p.Requests() {
		b, err := json.Marshal(r)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}

func TestConformance(t *testing.T) {
	providertest.RunConformanceTests(t, func(*testing.T) providertest.Harness { return &harness{} })
}

func TestDeterministicAndContentDependent(t *testing.T) {
	p := fake.New(fake.Options{})
	a := providertest.NewRequest(t, provider.TaskMetadata, 1)
	r1, err := p.Generate(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := p.Generate(t.Context(), a)
	if r1.Text != r2.Text {
		t.Fatalf("same request, different answers:\n%s\n%s", r1.Text, r2.Text)
	}
	b := providertest.NewRequest(t, provider.TaskMetadata, 1)
	b.Parts[1].Data = bytes.Repeat([]byte{1}, 100)
	r3, _ := p.Generate(t.Context(), b)
	if r3.Text == r1.Text {
		t.Fatal("different content got the same answer")
	}
	if p.Calls() != 3 {
		t.Fatalf("Calls() = %d, want 3", p.Calls())
	}
}

func TestRespondOverridesDefault(t *testing.T) {
	p := fake.New(fake.Options{Respond: func(*provider.Request) fake.Step {
		return fake.Step{Fault: provider.Unavailable}
	}})
	p.Enqueue(fake.Step{Text: `{"prompt":"x"}`})
	if _, err := p.Generate(t.Context(), providertest.NewRequest(t, provider.TaskPrompt, 1)); err != nil {
		t.Fatalf("scripted step should win over Respond: %v", err)
	}
	_, err := p.Generate(t.Context(), providertest.NewRequest(t, provider.TaskPrompt, 1))
	if provider.Classify(err) != provider.Unavailable {
		t.Fatalf("Respond fault: got %v", err)
	}
}
