package provider_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// TestDocumentedAnswerShapes sends the answer shapes the package
// documentation describes ("The answer", "What the pipeline accepts,
// tolerates and repairs") through the pipeline, so that the text cannot
// drift from what the pipeline does.
func TestDocumentedAnswerShapes(t *testing.T) {
	kw := `["kite","red","hill","sky","summer","wind","grass","flying","toy","outdoors"]`
	item := `{"title":"Red kite","description":"A red kite.","keywords":` + kw + `,"categories":["Nature"]}`
	files := []string{"../testdata/samples/coffee.png", "../testdata/samples/brick.png"}
	tests := []struct {
		name    string
		items   int
		answers []string
		code    errcode.Code // "" for success
		calls   int
	}{
		{"one object", 1, []string{item}, "", 1},
		{"code fence and prose", 1, []string{"Here you are:\n```json\n" + item + "\n```\nAnything else?"}, "", 1},
		{"one-element array", 1, []string{"[" + item + "]"}, "", 1},
		{"items envelope for one", 1, []string{`{"items":[` + item + `]}`}, "", 1},
		{"unknown field ignored", 1, []string{strings.Replace(item, `"title"`, `"confidence":0.9,"title"`, 1)}, "", 1},
		{"items envelope", 2, []string{`{"items":[` + item + "," + item + `]}`}, "", 1},
		{"bare array of items", 2, []string{"[" + item + "," + item + "]"}, "", 1},
		{"no JSON, repaired", 1, []string{"Sorry, I cannot help.", item}, "", 2},
		{"wrong count, repaired", 2, []string{`{"items":[` + item + `]}`, `{"items":[` + item + "," + item + `]}`}, "", 2},
		{"no JSON twice", 1, []string{"no", "still no"}, errcode.BadOutput, 2},
		{"keywords as one string", 1, []string{strings.Replace(item, kw, `"kite, red, hill"`, 1)}, errcode.BadOutput, 1},
		{"empty title", 1, []string{strings.Replace(item, `"Red kite"`, `"  "`, 1)}, errcode.BadOutput, 1},
		{"too few keywords after normalization", 1, []string{strings.Replace(item, kw, `["kite","Kite","KITE"]`, 1)}, errcode.BadOutput, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fake.New(fake.Options{Capabilities: provider.Capabilities{MaxItemsPerRequest: tt.items}})
			for _, a := range tt.answers {
				p.Enqueue(fake.Step{Text: a})
			}
			pl := picfre.New(p, picfre.Config{})
			var got []errcode.Code
			err := pl.TagAll(t.Context(), func(yield func(picfre.Media) bool) {
				for _, f := range files[:tt.items] {
					if !yield(picfre.File(f)) {
						return
					}
				}
			}, picfre.Options{}, func(r *picfre.Result) error {
				got = append(got, errcode.Of(r.Err))
				if r.Err == nil && (r.Title != "Red kite" || len(r.Keywords) < 10) {
					t.Errorf("result %q with %d keywords", r.Title, len(r.Keywords))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Repeat([]errcode.Code{tt.code}, tt.items)
			if !slices.Equal(got, want) || p.Calls() != tt.calls {
				t.Fatalf("codes %v after %d calls, want %v after %d", got, p.Calls(), want, tt.calls)
			}
		})
	}
}
