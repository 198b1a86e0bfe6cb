package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/jobs"
)

// runJob submits n photos for account through the Go API and waits until
// the job is final: usage records and a job record to look at.
func (api *testAPI) runJob(t *testing.T, account string, n int) *jobs.Job {
	t.Helper()
	ctx := context.Background()
	media := make([]picfre.Media, n)
	for i := range media {
		media[i] = picfre.Bytes(fmt.Sprintf("photo-%d.jpg", i), photo(t, 1000+i+len(account)*100))
	}
	j, err := api.svc.Submit(ctx, account, picfre.Options{}, slices.Values(media))
	if err != nil {
		t.Fatal(err)
	}
	for ev, err := range api.svc.Watch(ctx, account, j.ID) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Final {
			break
		}
	}
	j, err = api.svc.Job(ctx, account, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Done != n {
		t.Fatalf("job %+v: want %d done", j, n)
	}
	return j
}

type accountJSON struct {
	Account string `json:"account"`
	Balance *struct {
		Credits, Held, Available int64
	} `json:"balance"`
	SingleUser bool `json:"single_user"`
}

type entryJSON struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Credits   int64  `json:"credits"`
	File      string `json:"file"`
	Reference string `json:"reference"`
	Note      string `json:"note"`
}

func TestAccountAndHistory(t *testing.T) {
	api := newTestAPI(t)
	var a accountJSON
	api.a.do(t, "GET", "/v1/account", nil).decode(t, &a)
	if a.Account != accountA || a.Balance == nil || a.Balance.Credits != 1000 || a.Balance.Available != 1000 || a.SingleUser {
		t.Fatalf("account %+v", a)
	}

	api.runJob(t, accountA, 2)
	api.a.do(t, "GET", "/v1/account", nil).decode(t, &a)
	if a.Balance.Credits != 998 || a.Balance.Held != 0 || a.Balance.Available != 998 {
		t.Fatalf("balance after 2 files: %+v", *a.Balance)
	}
	var h struct {
		Entries []entryJSON `json:"entries"`
	}
	api.a.do(t, "GET", "/v1/account/history", nil).decode(t, &h)
	if len(h.Entries) != 3 {
		t.Fatalf("history %+v", h.Entries)
	}
	if e := h.Entries[0]; e.Kind != "topup" || e.Credits != 1000 || e.Reference == "" {
		t.Fatalf("first entry %+v", e)
	}
	files := []string{}
	ids := map[string]bool{}
	for _, e := range h.Entries {
		ids[e.ID] = true
		if e.Kind == "usage" {
			if e.Credits != -1 {
				t.Fatalf("usage entry %+v", e)
			}
			files = append(files, e.File)
		}
	}
	slices.Sort(files)
	if !slices.Equal(files, []string{"photo-0.jpg", "photo-1.jpg"}) || len(ids) != 3 {
		t.Fatalf("usage files %v, ids %v", files, ids)
	}

	// B sees none of it.
	api.b.do(t, "GET", "/v1/account/history", nil).decode(t, &h)
	if len(h.Entries) != 1 || h.Entries[0].Kind != "topup" {
		t.Fatalf("B's history %+v", h.Entries)
	}
}

func TestAccountWithoutLedger(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.Ledger = nil }))
	var a accountJSON
	r := api.a.do(t, "GET", "/v1/account", nil)
	r.decode(t, &a)
	if a.Account != accountA || a.Balance != nil || strings.Contains(string(r.body), "balance") {
		t.Fatalf("account without ledger: %s", r.body)
	}
	api.a.do(t, "GET", "/v1/account/history", nil).want(t, http.StatusNotFound, "not_found")
}

func TestAgencies(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	var ans struct {
		Agencies []struct {
			Name        string `json:"name"`
			DisplayName string `json:"display_name"`
			TitleMax    int    `json:"title_max"`
			KeywordsMax int    `json:"keywords_max"`
			TopKeywords int    `json:"top_keywords"`
			CSV         bool   `json:"csv"`
			Categories  []struct{ Code, Name string }
		} `json:"agencies"`
	}
	api.a.do(t, "GET", "/v1/agencies", nil).decode(t, &ans)
	byName := map[string]int{}
	for i, a := range ans.Agencies {
		byName[a.Name] = i
	}
	i, ok := byName["adobe"]
	if !ok {
		t.Fatalf("no adobe in %+v", ans.Agencies)
	}
	adobe := ans.Agencies[i]
	if adobe.DisplayName != "Adobe Stock" || !adobe.CSV || adobe.TitleMax == 0 || adobe.KeywordsMax == 0 || adobe.TopKeywords != 10 || len(adobe.Categories) < 20 {
		t.Fatalf("adobe %+v", adobe)
	}
	noCSV := 0
	for _, a := range ans.Agencies {
		if !a.CSV {
			noCSV++
		}
	}
	if noCSV == 0 || len(ans.Agencies) < 5 {
		t.Fatalf("agencies %+v: want some without a CSV", ans.Agencies)
	}
}

type estimateJSON struct {
	Files []struct {
		Name        string `json:"name"`
		Credits     int64  `json:"credits"`
		InputTokens int64  `json:"input_tokens"`
	} `json:"files"`
	Credits     int64  `json:"credits"`
	InputTokens int64  `json:"input_tokens"`
	Available   *int64 `json:"available"`
	Enough      *bool  `json:"enough"`
}

func TestEstimate(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	var e estimateJSON
	api.a.do(t, "POST", "/v1/estimate", `{"options":{"task":"metadata","agency":"adobe"},"files":[
		{"name":"a.jpg","kind":"image","width":6000,"height":4000},
		{"name":"b.jpg","kind":"image","width":800,"height":600},
		{"name":"<script>.mp4","kind":"video","duration_seconds":12.5},
		{"name":"c.jpg","kind":"image"}]}`).decode(t, &e)
	if len(e.Files) != 4 || e.Credits != 4 || e.Available == nil || *e.Available != 1000 || e.Enough == nil || !*e.Enough {
		t.Fatalf("estimate %+v", e)
	}
	if e.Files[0].Name != "a.jpg" || e.Files[2].Name != "<script>.mp4" {
		t.Fatalf("names not echoed: %+v", e.Files)
	}
	if e.Files[0].InputTokens <= 0 || e.Files[1].InputTokens <= 0 || e.Files[2].InputTokens != 0 || e.Files[3].InputTokens != 0 {
		t.Fatalf("tokens %+v: want some for the sized images only", e.Files)
	}
	if e.Files[0].InputTokens < e.Files[1].InputTokens {
		t.Fatalf("a 24 MP image estimated below a 0.5 MP one: %+v", e.Files)
	}
	if e.InputTokens != e.Files[0].InputTokens+e.Files[1].InputTokens {
		t.Fatalf("sum %d of %+v", e.InputTokens, e.Files)
	}
	// Nothing was charged or held.
	var a accountJSON
	api.a.do(t, "GET", "/v1/account", nil).decode(t, &a)
	if a.Balance.Credits != 1000 || a.Balance.Held != 0 {
		t.Fatalf("balance after an estimate %+v", *a.Balance)
	}
}

func TestEstimateNotEnough(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withCredits(-1))
	var e estimateJSON
	api.a.do(t, "POST", "/v1/estimate", `{"files":[{"name":"a.jpg","kind":"image","width":60,"height":40}]}`).decode(t, &e)
	if e.Credits != 1 || e.Available == nil || *e.Available != 0 || e.Enough == nil || *e.Enough {
		t.Fatalf("estimate without credits %+v", e)
	}
}

func TestEstimateWithoutLedgerOrEstimator(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.Ledger, c.Estimator = nil, nil }))
	var e estimateJSON
	r := api.a.do(t, "POST", "/v1/estimate", `{"files":[{"name":"a.jpg","kind":"image","width":60,"height":40}]}`)
	r.decode(t, &e)
	if e.Credits != 1 || e.InputTokens != 0 || e.Available != nil || e.Enough != nil {
		t.Fatalf("estimate %s", r.body)
	}
}

func TestEstimateHostile(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.MaxFiles = 3; c.MaxJSONBytes = 4096 }))
	four := `{"files":[` + strings.Repeat(`{"name":"a.jpg","kind":"image"},`, 3) + `{"name":"a.jpg","kind":"image"}]}`
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
		unchecked  bool // the document cannot tell it from a good request
	}{
		{"bad JSON", `{"files":[`, 400, "invalid_argument", false},
		{"not an object", `[]`, 400, "invalid_argument", false},
		{"two values", `{"files":[]} {"files":[]}`, 400, "invalid_argument", true},
		{"unknown field", `{"files":[],"admin":true}`, 400, "invalid_argument", false},
		{"unknown file field", `{"files":[{"name":"a","kind":"image","path":"/etc"}]}`, 400, "invalid_argument", false},
		{"unknown option", `{"options":{"budget":1},"files":[]}`, 400, "invalid_argument", false},
		{"bad task", `{"options":{"task":"steal"},"files":[]}`, 400, "invalid_argument", false},
		{"unknown agency", `{"options":{"agency":"nosuch"},"files":[]}`, 400, "invalid_argument", true},
		{"negative keywords", `{"options":{"max_keywords":-1},"files":[]}`, 400, "invalid_argument", true},
		{"bad kind", `{"files":[{"name":"a","kind":"text"}]}`, 400, "invalid_argument", false},
		{"negative width", `{"files":[{"name":"a","kind":"image","width":-1,"height":5}]}`, 400, "invalid_argument", false},
		{"huge size", `{"files":[{"name":"a","kind":"image","width":100000,"height":100000}]}`, 413, "too_large", true},
		{"negative duration", `{"files":[{"name":"a","kind":"video","duration_seconds":-3}]}`, 400, "invalid_argument", false},
		{"endless duration", `{"files":[{"name":"a","kind":"video","duration_seconds":1e300}]}`, 400, "invalid_argument", false},
		{"too many files", four, 413, "too_large", true},
		{"over-size body", `{"files":[{"name":"` + strings.Repeat("x", 5000) + `","kind":"image"}]}`, 413, "too_large", false},
		{"empty body", ``, 400, "invalid_argument", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := api.a.invalid()
			if tc.unchecked {
				c = api.a.unchecked()
			}
			c.do(t, "POST", "/v1/estimate", tc.body).want(t, tc.status, tc.code)
		})
	}
}
