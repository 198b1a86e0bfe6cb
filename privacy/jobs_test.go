package privacy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/store"
)

// jobStore is an in-memory JobStore.
type jobStore struct {
	mu     sync.Mutex
	jobs   map[string][]privacy.ExportJob
	erased []string
	err    error
}

func (s *jobStore) ExportJobs(_ context.Context, account string) ([]privacy.ExportJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs[account], s.err
}

func (s *jobStore) EraseAccount(_ context.Context, account string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	n := len(s.jobs[account])
	delete(s.jobs, account)
	s.erased = append(s.erased, account)
	return n, nil
}

var jobTime = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func janeJobs() map[string][]privacy.ExportJob {
	return map[string][]privacy.ExportJob{"jane": {
		{ID: "job_b", State: "running", Created: jobTime.Add(time.Hour), Files: []privacy.ExportJobFile{
			{Name: "b.jpg", State: "done", Credits: 1, ResultHeldUntil: jobTime.Add(25 * time.Hour)},
			{Name: "c.jpg", State: "queued"},
		}},
		{ID: "job_a", State: "done", Created: jobTime, Finished: jobTime.Add(time.Minute), Files: []privacy.ExportJobFile{
			{Name: "a.jpg", State: "failed", Code: "unsupported_media"},
		}},
	}}
}

func TestExportAndEraseJobs(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return jobTime.Add(2 * time.Hour) }
	db := store.Memory(store.Options{Ledger: metering.Options{Clock: clock}})
	defer db.Close()
	js := &jobStore{jobs: janeJobs()}
	subj := &privacy.Subjects{Contacts: db.Contacts(), Ledger: db.Ledger(), Jobs: js, Clock: clock,
		Retention: retention.Policy{UsageMonths: 2}}

	x, err := subj.Export(ctx, "jane")
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Jobs) != 2 || x.Jobs[0].ID != "job_b" || len(x.Jobs[1].Files) != 1 || x.Jobs[1].Files[0].Code != "unsupported_media" {
		t.Fatalf("jobs %+v", x.Jobs)
	}
	wantUntil := time.Date(2026, 5, 11, 0, 0, 0, 0, time.UTC) // 10 March + 2 months, whole day
	if !x.Jobs[1].KeptUntil.Equal(wantUntil) {
		t.Errorf("kept until %v, want %v", x.Jobs[1].KeptUntil, wantUntil)
	}
	kinds := map[retention.Kind]privacy.Retained{}
	for _, r := range x.Retained {
		kinds[r.Kind] = r
	}
	if r := kinds[retention.KindJob]; r.Count != 2 || r.Until == nil || !r.Until.Equal(wantUntil) || !strings.Contains(r.Reason, "2 calendar months") {
		t.Errorf("job statement %+v", r)
	}
	if r := kinds[retention.KindResult]; r.Count != 1 || r.Until == nil || !r.Until.Equal(jobTime.Add(25*time.Hour)) {
		t.Errorf("result statement %+v", r)
	}
	if x.NotStored[0].Kind != retention.KindContent || !strings.Contains(x.NotStored[0].Reason, "until they are processed") {
		t.Errorf("not stored %+v", x.NotStored)
	}
	raw, _ := json.Marshal(x)
	if !strings.Contains(string(raw), `"jobs":[{"id":"job_b"`) || !strings.Contains(string(raw), `"result_held_until"`) {
		t.Errorf("json %s", raw)
	}

	// A legal hold refuses the erasure before any job is touched.
	if err := db.Ledger().SetLegalHold(ctx, "jane", true); err != nil {
		t.Fatal(err)
	}
	if _, err := subj.Erase(ctx, "jane"); !errors.Is(err, metering.ErrLegalHold) || len(js.erased) != 0 {
		t.Fatalf("held: %v, erased %v", err, js.erased)
	}
	if err := db.Ledger().SetLegalHold(ctx, "jane", false); err != nil {
		t.Fatal(err)
	}
	rep, err := subj.Erase(ctx, "jane")
	if err != nil || rep.Deleted[retention.KindJob] != 2 || len(js.erased) != 1 {
		t.Fatalf("erase %+v %v", rep, err)
	}
	if x, err = subj.Export(ctx, "jane"); err != nil || len(x.Jobs) != 0 {
		t.Fatalf("after erasure %+v %v", x.Jobs, err)
	}

	// A job store's failure is the request's, with a code.
	js.err = errors.New("database gone")
	if _, err := subj.Export(ctx, "jane"); errcode.Of(err) != errcode.Unavailable {
		t.Errorf("export: %v", err)
	}
	if _, err := subj.Erase(ctx, "jane"); errcode.Of(err) != errcode.Unavailable {
		t.Errorf("erase: %v", err)
	}
}

func TestExportWithoutJobs(t *testing.T) {
	subj := &privacy.Subjects{Contacts: contactstore.NewMemory()}
	x, err := subj.Export(context.Background(), "jane")
	if err != nil || x.Jobs == nil || len(x.Jobs) != 0 || strings.Contains(x.NotStored[0].Reason, "job") {
		t.Fatalf("%+v %v", x, err)
	}
}

func ExampleJobStore() {
	ctx := context.Background()
	clock := func() time.Time { return jobTime.Add(2 * time.Hour) }
	jobs := &jobStore{jobs: janeJobs()} // in a service: a *jobs.Service
	subjects := &privacy.Subjects{Contacts: contactstore.NewMemory(), Jobs: jobs, Clock: clock}
	x, _ := subjects.Export(ctx, "jane")
	for _, j := range x.Jobs {
		fmt.Println(j.ID, j.State, len(j.Files), "files, kept until", j.KeptUntil.Format(time.DateOnly))
	}
	for _, r := range x.Retained {
		fmt.Println("kept:", r.Kind, r.Count, r.Until.Format(time.DateTime))
	}
	report, _ := subjects.Erase(ctx, "jane")
	fmt.Println("jobs erased:", report.Deleted[retention.KindJob])
	// Output:
	// job_b running 2 files, kept until 2026-06-11
	// job_a done 1 files, kept until 2026-06-11
	// kept: job 2 2026-06-11 00:00:00
	// kept: result 1 2026-03-11 13:00:00
	// jobs erased: 2
}
