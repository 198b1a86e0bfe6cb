package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
)

// Each result carries its file's position in the job, the order it was
// added in, also when several files have the same name and when the
// results are read while the job runs.
func TestResultsIndex(t *testing.T) {
	e := newEnv(t, envOptions{keys: []jobs.Key{testKey}})
	ctx := context.Background()
	e.topUp(t, "alice", 100)
	names := []string{"dup.jpg", "dup.jpg", "other.jpg", "dup.jpg", "dup.jpg", "dup.jpg"}
	const bad = 3 // not a photo: fails with unsupported_media
	media := func(yield func(picfre.Media) bool) {
		for i, n := range names {
			b := photo(t, i)
			if i == bad {
				b = exeBytes()
			}
			if !yield(picfre.Bytes(n, b)) {
				return
			}
		}
	}
	j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, media)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range j.Files {
		if f.Index != i || f.Name != names[i] {
			t.Fatalf("file %d: %+v", i, f)
		}
	}
	check := func(when string, r *jobs.Result, prev int) {
		t.Helper()
		if r.Index <= prev || r.Index >= len(names) || r.File != names[r.Index] {
			t.Fatalf("%s: result with index %d (previous %d), file %q", when, r.Index, prev, r.File)
		}
		if r.Index == bad {
			if errcode.Of(r.Err) != errcode.UnsupportedMedia {
				t.Fatalf("%s: file %d: %v, want unsupported_media", when, r.Index, r.Err)
			}
		} else if r.Err != nil || r.Title == "" {
			t.Fatalf("%s: file %d: %v %q", when, r.Index, r.Err, r.Title)
		}
	}
	// While the job runs: the files settled so far, each with its index.
	for {
		prev := -1
		for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			check("running", r, prev)
			prev = r.Index
		}
		cur, err := e.svc.Job(ctx, "alice", j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !cur.Finished.IsZero() {
			break
		}
	}
	// Once final: every file, in order, once; consumed as handed over.
	var got []int
	for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{Wait: true, Consume: true}) {
		if err != nil {
			t.Fatal(err)
		}
		check("final", r, len(got)-1)
		got = append(got, r.Index)
	}
	if len(got) != len(names) {
		t.Fatalf("indexes %v, want 0..%d", got, len(names)-1)
	}
	// A result no longer held keeps its index.
	i := 0
	for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Index != i || r.File != names[i] || (i != bad && !errors.Is(r.Err, jobs.ErrResultGone)) {
			t.Fatalf("after consume, result %d: index %d, %q, %v", i, r.Index, r.File, r.Err)
		}
		i++
	}
	if i != len(names) {
		t.Fatalf("%d results after consume", i)
	}
}

func TestResultJSON(t *testing.T) {
	in := jobs.Result{Index: 7, Result: picfre.Result{File: "a\xffb.jpg", Title: "A title", Keywords: []string{"x", "y"},
		Err: errcode.New(errcode.UnsupportedMedia, "no")}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		Index int    `json:"index"`
		File  string `json:"file"`
	}
	if err := json.Unmarshal(b, &head); err != nil || head.Index != 7 {
		t.Fatalf("%s: %v %+v", b, err, head)
	}
	var out jobs.Result
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Index != 7 || out.File != in.File || out.Title != in.Title || len(out.Keywords) != 2 ||
		errcode.Of(out.Err) != errcode.UnsupportedMedia {
		t.Fatalf("round trip of %s: %+v", b, out)
	}
	// The zero result too; one without an index is refused.
	b, err = json.Marshal(&jobs.Result{})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Index != 0 {
		t.Fatalf("zero result %s: %v %+v", b, err, out)
	}
	for _, bad := range []string{`{"file":"a.jpg"}`, `{"index":-1,"file":"a.jpg"}`, `{"index":"1"}`, `[]`, `{"index":1,"file":3}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
