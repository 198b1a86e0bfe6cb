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
	p     *fake.Provider
	tasks []provider.Task
}

func (h *harness) MakeProvider(context.Context) (provider.Provider, error) {
	h.p = fake.New(fake.Options{Capabilities: provider.Capabilities{MaxItemsPerRequest: 4, Tasks: h.tasks}})
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

// TestConformanceOneTask runs the suite against providers that declare
// one task only: the other task's behaviour is skipped and the
// declaration checked instead.
func TestConformanceOneTask(t *testing.T) {
	for _, task := range []provider.Task{provider.TaskMetadata, provider.TaskPrompt} {
		t.Run(string(task), func(t *testing.T) {
			providertest.RunConformanceTests(t, func(*testing.T) providertest.Harness {
				return &harness{tasks: []provider.Task{task}}
			})
		})
	}
}

func TestUndeclaredTaskIsUnsupported(t *testing.T) {
	p := fake.New(fake.Options{Capabilities: provider.Capabilities{Tasks: []provider.Task{provider.TaskMetadata}}})
	_, err := p.Generate(t.Context(), providertest.NewRequest(t, provider.TaskPrompt, 1))
	if provider.Classify(err) != provider.Unsupported || p.Calls() != 0 {
		t.Fatalf("prompt to a metadata-only fake: %v after %d calls", err, p.Calls())
	}
	if _, err := p.Generate(t.Context(), providertest.NewRequest(t, provider.TaskMetadata, 1)); err != nil {
		t.Fatalf("metadata to a metadata-only fake: %v", err)
	}
}

// TestAnswerFollowsSpec: the unscripted answer has the fields and limits
// the Spec asks for.
func TestAnswerFollowsSpec(t *testing.T) {
	req := providertest.NewRequest(t, provider.TaskMetadata, 1)
	req.Spec.MaxTitle, req.Spec.MaxDescription, req.Spec.SecondLanguage, req.Spec.Media = 6, 9, "de", provider.MediaAudio
	var v struct {
		Title          string   `json:"title"`
		Description    string   `json:"description"`
		Keywords       []string `json:"keywords"`
		KeywordsSecond []string `json:"keywords_second"`
		Genre          string   `json:"genre"`
		Mood           string   `json:"mood"`
		Instruments    []string `json:"instruments"`
	}
	if err := json.Unmarshal([]byte(fake.Answer(req)), &v); err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(v.Title)); n == 0 || n > 6 {
		t.Errorf("title %q over 6 characters", v.Title)
	}
	if n := len([]rune(v.Description)); n == 0 || n > 9 {
		t.Errorf("description %q over 9 characters", v.Description)
	}
	if len(v.KeywordsSecond) != len(v.Keywords) || v.Genre == "" || v.Mood == "" || len(v.Instruments) == 0 {
		t.Errorf("answer lacks second-language or audio fields: %+v", v)
	}
	req.Spec.SecondLanguage, req.Spec.Media = "", provider.MediaImage
	var m map[string]any
	_ = json.Unmarshal([]byte(fake.Answer(req)), &m)
	for _, k := range []string{"keywords_second", "genre", "mood", "instruments"} {
		if _, ok := m[k]; ok {
			t.Errorf("%q in an image answer without a second language: %v", k, m)
		}
	}
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
