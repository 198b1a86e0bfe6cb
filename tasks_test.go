package picfre_test

import (
	"errors"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// TestUndeclaredTaskIsRefusedBeforeCharging: a provider that declares
// the metadata task only gets no prompt request, and nothing is held or
// charged for one; the metadata task still works.
func TestUndeclaredTaskIsRefusedBeforeCharging(t *testing.T) {
	p := fake.New(fake.Options{Capabilities: provider.Capabilities{Tasks: []provider.Task{provider.TaskMetadata}}})
	rec := newRecorder()
	pl := picfre.New(p, picfre.Config{Meter: rec, Pricer: flat(1)})
	const file = "testdata/samples/coffee.png"
	prompt := picfre.Options{Task: picfre.TaskPrompt, Account: "a"}

	_, err := pl.Tag(t.Context(), picfre.File(file), prompt)
	if !errors.Is(err, errcode.InvalidArgument) {
		t.Errorf("Tag: got %v, want invalid_argument", err)
	}
	if want := "provider fake does not do the prompt task"; err == nil || err.Error() != want {
		t.Errorf("Tag: message %q, want %q", err, want)
	}
	emitted := 0
	err = pl.TagAll(t.Context(), func(yield func(picfre.Media) bool) { yield(picfre.File(file)) }, prompt,
		func(*picfre.Result) error { emitted++; return nil })
	if !errors.Is(err, errcode.InvalidArgument) || emitted != 0 {
		t.Errorf("TagAll: got %v after %d results, want invalid_argument before any", err, emitted)
	}
	if _, err := pl.Estimate(t.Context(), picfre.File(file), prompt); !errors.Is(err, errcode.InvalidArgument) {
		t.Errorf("Estimate: got %v, want invalid_argument", err)
	}
	if p.Calls() != 0 || rec.authCalls != 0 {
		t.Fatalf("refused task reached the provider %d times and the meter %d times", p.Calls(), rec.authCalls)
	}

	if _, err := pl.Tag(t.Context(), picfre.File(file), picfre.Options{Account: "a"}); err != nil {
		t.Fatalf("metadata on a metadata-only provider: %v", err)
	}
	if captures, _ := rec.settledOnce(t); captures != 1 || p.Calls() != 1 {
		t.Fatalf("metadata: %d captures, %d calls; want 1 and 1", captures, p.Calls())
	}
}
