package jobs_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
)

func TestSubmitWorkResults(t *testing.T) {
	for _, sealed := range []bool{true, false} {
		t.Run(map[bool]string{true: "sealed", false: "clear"}[sealed], func(t *testing.T) {
			var keys []jobs.Key
			if sealed {
				keys = []jobs.Key{testKey}
			}
			e := newEnv(t, envOptions{keys: keys})
			ctx := context.Background()
			e.topUp(t, "alice", 100)
			j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 12))
			if err != nil {
				t.Fatal(err)
			}
			if j.Total != 12 || len(j.Files) != 12 {
				t.Fatalf("job %+v", j.Counts)
			}
			j = wait(t, e.svc, "alice", j.ID)
			if j.State != jobs.StateDone || j.Done != 12 {
				t.Fatalf("job %s %+v", j.State, j.Counts)
			}
			var names []string
			for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{Consume: true}) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Err != nil || r.Title == "" || len(r.Keywords) == 0 {
					t.Fatalf("result %+v", r)
				}
				names = append(names, r.File)
			}
			if len(names) != 12 || !slices.IsSorted(names) {
				t.Fatalf("results in order: %v", names)
			}
			b, err := e.ledger.Balance(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if b.Credits != 100-12 {
				t.Fatalf("balance %+v, want 88", b)
			}
			// Consumed: a second read has no answers left.
			for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{}) {
				if err != nil {
					t.Fatal(err)
				}
				if !errors.Is(r.Err, jobs.ErrResultGone) {
					t.Fatalf("after consume: %+v", r)
				}
			}
		})
	}
}

func TestOtherAccountSeesNothing(t *testing.T) {
	e := newEnv(t, envOptions{keys: []jobs.Key{testKey}})
	ctx := context.Background()
	e.topUp(t, "alice", 10)
	j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	wait(t, e.svc, "alice", j.ID)
	if _, err := e.svc.Job(ctx, "mallory", j.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Job: %v", err)
	}
	if _, err := e.svc.Cancel(ctx, "mallory", j.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Cancel: %v", err)
	}
	if err := e.svc.Delete(ctx, "mallory", j.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Delete: %v", err)
	}
	for r, err := range e.svc.Results(ctx, "mallory", j.ID, jobs.ResultOptions{Consume: true}) {
		if r != nil || !errors.Is(err, jobs.ErrNotFound) || errcode.Of(err) != errcode.NotFound {
			t.Errorf("Results: %v %v", r, err)
		}
	}
	for _, err := range e.svc.Watch(ctx, "mallory", j.ID) {
		if !errors.Is(err, jobs.ErrNotFound) {
			t.Errorf("Watch: %v", err)
		}
	}
	if list, err := e.svc.Jobs(ctx, "mallory"); err != nil || len(list) != 0 {
		t.Errorf("Jobs: %v %v", list, err)
	}
	// alice still has every result.
	n := 0
	for r, err := range e.svc.Results(ctx, "alice", j.ID, jobs.ResultOptions{}) {
		if err != nil || r.Err != nil {
			t.Fatal(err, r)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("alice's results: %d", n)
	}
}
