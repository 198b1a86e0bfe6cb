package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/stock"
)

// upload posts n photos as account c and returns the job.
func upload(t *testing.T, c *client, n int, options string) *jobs.Job {
	t.Helper()
	f := newForm()
	if options != "" {
		f.options(options)
	}
	for i := range n {
		f.file(fmt.Sprintf("photo-%02d.jpg", i), photo(t, i))
	}
	r := c.do(t, "POST", "/v1/jobs", f)
	r.want(t, http.StatusCreated, "")
	var j jobs.Job
	r.decode(t, &j)
	if len(j.Files) != n {
		t.Fatalf("job with %d files, want %d", len(j.Files), n)
	}
	return &j
}

type resultJSON struct {
	Index    int      `json:"index"`
	File     string   `json:"file"`
	Title    string   `json:"title"`
	Keywords []string `json:"keywords"`
	Error    *struct {
		Code string `json:"code"`
	} `json:"error"`
}

func results(t *testing.T, c *client, id, query string) []resultJSON {
	t.Helper()
	var out struct{ Results []resultJSON }
	r := c.do(t, "GET", "/v1/jobs/"+id+"/results"+query, nil)
	r.want(t, http.StatusOK, "")
	r.decode(t, &out)
	return out.Results
}

func TestUploadToResults(t *testing.T) {
	api := newTestAPI(t)
	j := upload(t, api.a, 3, `{"agency":"adobe","max_keywords":20}`)
	if j.State != jobs.StateQueued || j.Total != 3 {
		t.Fatalf("job %+v", j)
	}
	done := api.a.waitFinal(t, j.ID)
	if done.Done != 3 || done.State != jobs.StateDone {
		t.Fatalf("final job %+v", done)
	}
	var list struct{ Jobs []jobs.Job }
	api.a.do(t, "GET", "/v1/jobs", nil).decode(t, &list)
	if len(list.Jobs) != 1 || list.Jobs[0].ID != j.ID || list.Jobs[0].Files != nil {
		t.Fatalf("list %+v", list)
	}
	rs := results(t, api.a, j.ID, "?wait=true")
	if len(rs) != 3 {
		t.Fatalf("%d results", len(rs))
	}
	for i, r := range rs {
		if r.Index != i || r.File != fmt.Sprintf("photo-%02d.jpg", i) || r.Title == "" || len(r.Keywords) == 0 || len(r.Keywords) > 20 || r.Error != nil {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	// Nothing left in the spool once every file is done.
	if objs := api.spoolObjects(t); len(objs) != 0 {
		t.Errorf("spool holds %v", objs)
	}
}

// Results carry each file's index, also among files of the same name
// and while the job runs; the XMP of a file is that file's.
func TestResultsDuplicateNames(t *testing.T) {
	api := newTestAPI(t)
	f := newForm()
	const n = 5
	for i := range n {
		f.file("same.jpg", photo(t, i))
	}
	r := api.a.do(t, "POST", "/v1/jobs", f)
	r.want(t, http.StatusCreated, "")
	var j jobs.Job
	r.decode(t, &j)
	// While the files settle: each result's index is its file's.
	for {
		prev := -1
		for _, res := range results(t, api.a, j.ID, "") {
			if res.Index <= prev || res.Index >= n || res.File != "same.jpg" || res.Title == "" {
				t.Fatalf("result %+v after index %d", res, prev)
			}
			prev = res.Index
		}
		var cur jobs.Job
		api.a.do(t, "GET", "/v1/jobs/"+j.ID, nil).decode(t, &cur)
		if !cur.Finished.IsZero() {
			break
		}
	}
	rs := results(t, api.a, j.ID, "?wait=true")
	if len(rs) != n {
		t.Fatalf("%d results", len(rs))
	}
	for i, res := range rs {
		if res.Index != i {
			t.Fatalf("result %d has index %d", i, res.Index)
		}
		x := api.a.do(t, "GET", fmt.Sprintf("/v1/jobs/%s/files/%d/xmp", j.ID, i), nil)
		x.want(t, http.StatusOK, "")
		m, err := stock.ReadXMP(x.body)
		if err != nil {
			t.Fatal(err)
		}
		if m.Title != res.Title {
			t.Errorf("file %d: XMP title %q, result's %q", i, m.Title, res.Title)
		}
	}
}

func TestResultsCSVAndXMP(t *testing.T) {
	api := newTestAPI(t)
	j := upload(t, api.a, 2, "")
	api.a.waitFinal(t, j.ID)
	rs := results(t, api.a, j.ID, "")
	for _, agency := range []string{"adobe", "shutterstock"} {
		r := api.a.do(t, "GET", "/v1/jobs/"+j.ID+"/results.csv?agency="+agency, nil)
		r.want(t, http.StatusOK, "")
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", agency, ct)
		}
		if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="picfre-`+agency+`.csv"` {
			t.Errorf("%s: Content-Disposition %q", agency, cd)
		}
		// The rows: one per result, the files in order.
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\xef\xbb\xbf")))).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", agency, err)
		}
		if len(rows) != 1+len(rs) {
			t.Fatalf("%s: %d rows for %d results:\n%s", agency, len(rows), len(rs), r.body)
		}
		for i, res := range rs {
			if rows[1+i][0] != res.File {
				t.Errorf("%s row %d: file %q, want %q", agency, i, rows[1+i][0], res.File)
			}
			if !slices.Contains(rows[1+i], res.Title) {
				t.Errorf("%s row %d: no title %q in %v", agency, i, res.Title, rows[1+i])
			}
		}
	}
	// Unknown agency, agency without CSV, none: 400.
	api.a.do(t, "GET", "/v1/jobs/"+j.ID+"/results.csv?agency=nope", nil).want(t, http.StatusBadRequest, "invalid_argument")
	api.a.do(t, "GET", "/v1/jobs/"+j.ID+"/results.csv?agency=getty", nil).want(t, http.StatusBadRequest, "invalid_argument")
	api.a.invalid().do(t, "GET", "/v1/jobs/"+j.ID+"/results.csv", nil).want(t, http.StatusBadRequest, "invalid_argument")

	// XMP of file 1.
	r := api.a.do(t, "GET", "/v1/jobs/"+j.ID+"/files/1/xmp", nil)
	r.want(t, http.StatusOK, "")
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="1.xmp"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	m, err := stock.ReadXMP(r.body)
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != rs[1].Title || !slices.Equal(m.Keywords, rs[1].Keywords) {
		t.Errorf("XMP %+v, want %+v", m, rs[1])
	}
	api.a.do(t, "GET", "/v1/jobs/"+j.ID+"/files/7/xmp", nil).want(t, http.StatusNotFound, "not_found")

	// Consume: the CSV takes the results, then they are gone.
	api.a.do(t, "GET", "/v1/jobs/"+j.ID+"/results.csv?agency=adobe&consume=true", nil).want(t, http.StatusOK, "")
	for _, res := range results(t, api.a, j.ID, "") {
		if res.Error == nil || res.Error.Code != "not_found" || res.Title != "" {
			t.Errorf("after consume: %+v", res)
		}
	}
	api.a.do(t, "GET", "/v1/jobs/"+j.ID+"/files/0/xmp", nil).want(t, http.StatusNotFound, "not_found")
}

func TestResultsConsume(t *testing.T) {
	api := newTestAPI(t)
	j := upload(t, api.a, 2, "")
	first := results(t, api.a, j.ID, "?wait=true&consume=true")
	if len(first) != 2 || first[0].Title == "" {
		t.Fatalf("results %+v", first)
	}
	for _, res := range results(t, api.a, j.ID, "") {
		if res.Error == nil || res.Error.Code != "not_found" {
			t.Errorf("after consume: %+v", res)
		}
	}
	api.a.invalid().do(t, "GET", "/v1/jobs/"+j.ID+"/results?wait=maybe", nil).want(t, http.StatusBadRequest, "invalid_argument")
}

func TestEvents(t *testing.T) {
	api := newTestAPI(t)
	j := upload(t, api.a, 3, "")
	r := api.a.do(t, "GET", "/v1/jobs/"+j.ID+"/events", nil)
	r.want(t, http.StatusOK, "")
	if ct := r.header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	var events []jobs.Event
	var names []string
	for block := range strings.SplitSeq(strings.TrimSpace(string(r.body)), "\n\n") {
		var ev jobs.Event
		var name, id string
		for line := range strings.SplitSeq(block, "\n") {
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "id: "):
				id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil {
					t.Fatal(err)
				}
			}
		}
		if name == "" {
			continue // a keep-alive comment
		}
		if id != fmt.Sprint(len(events)+1) {
			t.Errorf("event %d has id %q", len(events)+1, id)
		}
		events, names = append(events, ev), append(names, name)
	}
	if len(events) < 2 {
		t.Fatalf("%d events:\n%s", len(events), r.body)
	}
	last := events[len(events)-1]
	if names[len(names)-1] != "done" || !last.Final || last.Done != 3 {
		t.Fatalf("last event %s %+v", names[len(names)-1], last)
	}
	for _, n := range names[:len(names)-1] {
		if n != "progress" {
			t.Errorf("event %q before the last", n)
		}
	}
	var got jobs.Job
	api.a.do(t, "GET", "/v1/jobs/"+j.ID, nil).decode(t, &got)
	if got.State != last.State || got.Counts != last.Counts {
		t.Errorf("GET job %+v, last event %+v", got, last)
	}
	api.a.do(t, "GET", "/v1/jobs/nope/events", nil).want(t, http.StatusNotFound, "not_found")
}

func TestCancelAndDelete(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1)) // nothing is worked: the job stays queued
	j := upload(t, api.a, 2, "")
	r := api.a.do(t, "POST", "/v1/jobs/"+j.ID+"/cancel", nil)
	r.want(t, http.StatusOK, "")
	var c jobs.Job
	r.decode(t, &c)
	if c.State != jobs.StateCanceled || c.Canceled != 2 {
		t.Fatalf("canceled job %+v", c)
	}
	if objs := api.spoolObjects(t); len(objs) != 0 {
		t.Errorf("spool after cancel holds %v", objs)
	}
	j2 := upload(t, api.a, 1, "")
	api.a.do(t, "DELETE", "/v1/jobs/"+j2.ID, nil).want(t, http.StatusNoContent, "")
	api.a.do(t, "GET", "/v1/jobs/"+j2.ID, nil).want(t, http.StatusNotFound, "not_found")
	api.a.do(t, "DELETE", "/v1/jobs/"+j2.ID, nil).want(t, http.StatusNotFound, "not_found")
	if objs := api.spoolObjects(t); len(objs) != 0 {
		t.Errorf("spool after delete holds %v", objs)
	}
}

// jpegHead is n bytes that sniff as a JPEG (its first three bytes) and
// are not one.
func jpegHead(n int) []byte {
	return append([]byte{0xff, 0xd8, 0xff}, bytes.Repeat([]byte{0}, n-3)...)
}

// noUpload asserts that the spool is empty and no job is uploading.
func noUpload(t *testing.T, api *testAPI) {
	t.Helper()
	if objs := api.spoolObjects(t); len(objs) != 0 {
		t.Errorf("spool holds %v", objs)
	}
	for _, acct := range []string{accountA, accountB} {
		list, err := api.svc.Jobs(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range list {
			if j.State == jobs.StateUploading {
				t.Errorf("job %s still uploading", j.ID)
			}
		}
	}
}

func TestUploadLimits(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) {
		c.MaxFiles, c.MaxFileBytes, c.MaxRequestBytes = 3, 1500, 3500
		c.RequestsPerMinute, c.UploadsPerMinute = -1, -1 // more uploads than a minute allows
	}))
	big := bytes.Repeat(photo(t, 1), 3) // over 1500 bytes
	if len(big) <= 1500 || len(photo(t, 1)) > 1000 {
		t.Fatalf("photo sizes %d, %d", len(photo(t, 1)), len(big))
	}
	cases := []struct {
		name   string
		form   *form
		mode   func(*client) *client
		status int
		code   string
	}{
		{"file too large", newForm().file("a.jpg", photo(t, 1)).file("b.jpg", big), (*client).unchecked, 413, "too_large"},
		{"request too large", newForm().file("a.jpg", photo(t, 1)).file("b.jpg", jpegHead(1400)).
			file("c.jpg", jpegHead(1400)), (*client).unchecked, 413, "too_large"},
		{"too many files", newForm().file("a.jpg", photo(t, 1)).file("b.jpg", photo(t, 2)).file("c.jpg", photo(t, 3)).file("d.jpg", photo(t, 4)), (*client).unchecked, 413, "too_large"},
		{"options after a file", newForm().file("a.jpg", photo(t, 1)).options(`{}`), (*client).unchecked, 400, "invalid_argument"},
		{"unknown option", newForm().options(`{"colour":"red"}`).file("a.jpg", photo(t, 1)), (*client).invalid, 400, "invalid_argument"},
		{"no file", newForm().options(`{}`), (*client).invalid, 400, "invalid_argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.mode(api.a).do(t, "POST", "/v1/jobs", tc.form).want(t, tc.status, tc.code)
			noUpload(t, api)
		})
	}
	// A file whose content is of a type the service does not take fails
	// the request, wherever it comes; the message names its position,
	// not its name; nothing of the files before it is kept.
	for _, tc := range []struct {
		name string
		form *form
		want string
	}{
		{"unsupported first", newForm().file("secret-notes.txt", []byte("plain text, not media")), "file 1: type not supported"},
		{"unsupported third", newForm().options(`{}`).file("a.jpg", photo(t, 1)).file("b.jpg", photo(t, 2)).
			file("secret-notes.jpg", []byte("%PDF-1.7 a document")), "file 3: type not supported"},
		{"unsupported after an empty file", newForm().file("empty.jpg", []byte{}).file("setup.exe", []byte("MZ\x90\x00")), "file 2: type not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := api.a.do(t, "POST", "/v1/jobs", tc.form)
			r.want(t, http.StatusUnsupportedMediaType, "unsupported_media")
			var e struct{ Error struct{ Message string } }
			r.decode(t, &e)
			if e.Error.Message != tc.want || strings.Contains(string(r.body), "secret") {
				t.Errorf("message %q, want %q", e.Error.Message, tc.want)
			}
			noUpload(t, api)
		})
	}
	t.Run("empty file", func(t *testing.T) {
		// Not a type refused: the job takes it and fails it alone.
		r := api.a.do(t, "POST", "/v1/jobs", newForm().file("a.jpg", photo(t, 1)).file("empty.jpg", []byte{}))
		r.want(t, http.StatusCreated, "")
		var j jobs.Job
		r.decode(t, &j)
		if len(j.Files) != 2 || j.Files[1].State != jobs.FileFailed || j.Files[1].Code != "invalid_media" {
			t.Fatalf("job %+v", j)
		}
		api.a.do(t, "DELETE", "/v1/jobs/"+j.ID, nil).want(t, http.StatusNoContent, "")
		noUpload(t, api)
	})
	t.Run("not multipart", func(t *testing.T) {
		api.a.invalid().do(t, "POST", "/v1/jobs", `{"file":"x"}`).want(t, 415, "unsupported_media")
		noUpload(t, api)
	})
	t.Run("insufficient credits", func(t *testing.T) {
		poor := newTestAPI(t, withWorkers(-1), withCredits(-1))
		poor.a.do(t, "POST", "/v1/jobs", newForm().file("a.jpg", photo(t, 1))).want(t, 402, "insufficient_credits")
		noUpload(t, poor)
	})
}
