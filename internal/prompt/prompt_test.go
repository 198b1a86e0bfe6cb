package prompt

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/picfre/picfre/internal/answer"
	"github.com/picfre/picfre/provider"
)

func TestSchemaIsStrict(t *testing.T) {
	for _, task := range []provider.Task{provider.TaskMetadata, provider.TaskPrompt} {
		for _, n := range []int{1, 3} {
			raw := Schema(provider.Spec{Task: task, Items: n})
			var v map[string]any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			checkStrict(t, v)
			if n > 1 {
				props := v["properties"].(map[string]any)
				if _, ok := props[provider.ItemsKey]; !ok {
					t.Errorf("%s x%d: no %q property", task, n, provider.ItemsKey)
				}
			}
		}
	}
}

// checkStrict walks a schema and asserts OpenAI strict-mode rules on every
// object: additionalProperties false and every property required.
func checkStrict(t *testing.T, v map[string]any) {
	t.Helper()
	if v["type"] == "object" {
		if v["additionalProperties"] != false {
			t.Errorf("object without additionalProperties:false: %v", v)
		}
		props, _ := v["properties"].(map[string]any)
		req, _ := v["required"].([]any)
		if len(req) != len(props) {
			t.Errorf("required %v does not list every property of %v", req, props)
		}
		for _, p := range props {
			checkStrict(t, p.(map[string]any))
		}
	}
	if it, ok := v["items"].(map[string]any); ok {
		checkStrict(t, it)
	}
}

func TestInstructions(t *testing.T) {
	generic := Instructions(provider.Spec{Task: provider.TaskMetadata, Items: 4, Language: "de", MinKeywords: 7, MaxKeywords: 30, MaxTitle: 60}, "")
	for _, want := range []string{"7 to 30 keywords", "at most 60 characters", `"de"`, "4 images", "JSON only"} {
		if !strings.Contains(generic, want) {
			t.Errorf("instructions lack %q:\n%s", want, generic)
		}
	}
	// With guidance (agency and user rules), the limits come from it
	// alone, so the two texts cannot contradict each other.
	guided := Instructions(provider.Spec{Task: provider.TaskMetadata, Items: 1, MinKeywords: 7, MaxKeywords: 30}, "Give 7 to 49 keywords.")
	if !strings.Contains(guided, "Give 7 to 49 keywords.") || strings.Contains(guided, "7 to 30") || strings.Contains(guided, "images, each") {
		t.Errorf("guided instructions: %s", guided)
	}
	p := Instructions(provider.Spec{Task: provider.TaskPrompt, Items: 1}, "")
	if !strings.Contains(p, "text-to-image") || strings.Contains(p, "images, each") {
		t.Errorf("prompt instructions: %s", p)
	}
}

// TestSchemaFollowsSpec: the second language and the audio fields are
// asked for exactly when the Spec says so, and with both the metadata
// schema has every field the pipeline decodes (answer.Metadata), and no
// other.
func TestSchemaFollowsSpec(t *testing.T) {
	props := func(s provider.Spec) []string {
		t.Helper()
		var v struct {
			Required   []string       `json:"required"`
			Properties map[string]any `json:"properties"`
		}
		if err := json.Unmarshal(Schema(s), &v); err != nil {
			t.Fatal(err)
		}
		if len(v.Required) != len(v.Properties) {
			t.Fatalf("required %v, properties %v", v.Required, v.Properties)
		}
		slices.Sort(v.Required)
		return v.Required
	}
	base := []string{"categories", "description", "keywords", "title"}
	tests := []struct {
		spec provider.Spec
		want []string
	}{
		{provider.Spec{Task: provider.TaskMetadata, Items: 1}, base},
		{provider.Spec{Task: provider.TaskMetadata, Items: 1, Media: provider.MediaVideo}, base},
		{provider.Spec{Task: provider.TaskMetadata, Items: 1, SecondLanguage: "de"}, []string{"categories", "description", "keywords", "keywords_second", "title"}},
		{provider.Spec{Task: provider.TaskMetadata, Items: 1, Media: provider.MediaAudio},
			[]string{"categories", "description", "genre", "instruments", "keywords", "mood", "title"}},
		{provider.Spec{Task: provider.TaskPrompt, Items: 1, SecondLanguage: "de", Media: provider.MediaAudio}, []string{"prompt"}},
	}
	for _, tt := range tests {
		if got := props(tt.spec); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: schema fields %v, want %v", tt.spec, got, tt.want)
		}
	}
	all := props(provider.Spec{Task: provider.TaskMetadata, Items: 1, SecondLanguage: "de", Media: provider.MediaAudio})
	var decoded []string
	for f := range reflect.TypeFor[answer.Metadata]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		decoded = append(decoded, name)
	}
	slices.Sort(decoded)
	if !slices.Equal(all, decoded) {
		t.Errorf("schema fields %v, answer.Metadata decodes %v", all, decoded)
	}
	for _, tt := range []struct {
		spec provider.Spec
		want string
	}{
		{provider.Spec{Task: provider.TaskMetadata, Items: 1, Media: provider.MediaVideo}, "stock footage"},
		{provider.Spec{Task: provider.TaskMetadata, Items: 1, Media: provider.MediaAudio}, "genre, mood and instruments"},
		{provider.Spec{Task: provider.TaskMetadata, Items: 1, SecondLanguage: "de"}, `"de", in the same order, under "keywords_second"`},
		{provider.Spec{Task: provider.TaskMetadata, Items: 1, MaxDescription: 120}, "at most 120 characters"},
	} {
		if got := Instructions(tt.spec, ""); !strings.Contains(got, tt.want) {
			t.Errorf("%+v: instructions lack %q:\n%s", tt.spec, tt.want, got)
		}
	}
}
