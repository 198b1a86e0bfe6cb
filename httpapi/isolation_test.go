package httpapi_test

import (
	"bytes"
	"encoding/base32"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/picfre/picfre/httpapi"
)

// TestTenantIsolation: account B, given account A's job id (and file
// index), gets exactly the answer an unknown id gets, on every job route;
// A's job is untouched afterwards.
func TestTenantIsolation(t *testing.T) {
	api := newTestAPI(t)
	j := upload(t, api.a, 2, "")
	api.a.waitFinal(t, j.ID)
	unknown := "job_" + strings.Repeat("a", len(j.ID)-len("job_"))
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	if raw, err := enc.DecodeString(strings.ToUpper(strings.TrimPrefix(j.ID, "job_"))); err != nil || len(raw) < 16 {
		t.Errorf("job id %q does not hold 128 random bits", j.ID)
	}

	routes := []struct{ method, path string }{
		{"GET", "/v1/jobs/{id}"},
		{"GET", "/v1/jobs/{id}/events"},
		{"GET", "/v1/jobs/{id}/results"},
		{"GET", "/v1/jobs/{id}/results?consume=true"},
		{"GET", "/v1/jobs/{id}/results.csv?agency=adobe&consume=true"},
		{"GET", "/v1/jobs/{id}/files/0/xmp"},
		{"POST", "/v1/jobs/{id}/cancel"},
		{"DELETE", "/v1/jobs/{id}"},
	}
	covered := map[string]bool{}
	for _, rt := range routes {
		p := rt.path
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		covered[rt.method+" "+strings.Replace(p, "/0/", "/{index}/", 1)] = true
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			theirs := api.b.do(t, rt.method, strings.Replace(rt.path, "{id}", j.ID, 1), nil)
			none := api.b.do(t, rt.method, strings.Replace(rt.path, "{id}", unknown, 1), nil)
			theirs.want(t, http.StatusNotFound, "not_found")
			if !bytes.Equal(theirs.body, none.body) || theirs.status != none.status {
				t.Errorf("another account's id answers %d %s, an unknown one %d %s", theirs.status, theirs.body, none.status, none.body)
			}
		})
	}
	// Every job route with an id is in the table.
	for _, r := range tableRoutes(t) {
		if strings.Contains(r, "{id}") && !covered[r] {
			t.Errorf("route %s is not covered", r)
		}
	}
	// B's list shows nothing of A's.
	var list struct{ Jobs []struct{ ID string } }
	api.b.do(t, "GET", "/v1/jobs", nil).decode(t, &list)
	if len(list.Jobs) != 0 {
		t.Errorf("B lists %v", list.Jobs)
	}
	// A's job and results are as they were.
	rs := results(t, api.a, j.ID, "")
	if len(rs) != 2 || rs[0].Title == "" || rs[1].Title == "" {
		t.Errorf("A's results after B's tries: %+v", rs)
	}
}

// TestHostileUpload: inputs meant to break the upload get typed answers
// and leave nothing behind.
func TestHostileUpload(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))

	// A huge header: the server's own bound answers (431) before the
	// API sees the request, so it is sent outside the harness.
	hf := newForm().file("a.jpg", photo(t, 1))
	req, err := http.NewRequest("POST", api.srv.URL+"/v1/jobs", bytes.NewReader(hf.bytes()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", hf.contentType())
	req.Header.Set("Authorization", "Bearer "+tokenA)
	req.Header.Set("X-Huge", strings.Repeat("h", 2<<20))
	if res, err := api.srv.Client().Do(req); err == nil {
		_ = res.Body.Close()
		if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("huge header: %d", res.StatusCode)
		}
	}
	noUpload(t, api)

	// 10k parts without files.
	f := newForm()
	for range 10000 {
		f.part("junk", "", []byte("x"))
	}
	api.a.unchecked().do(t, "POST", "/v1/jobs", f).want(t, http.StatusBadRequest, "invalid_argument")
	noUpload(t, api)

	// 10k empty file parts: the count bound (the service's MaxFiles is
	// above; Config.MaxFiles is not set, so the jobs default applies) —
	// each is recorded as an invalid file, nothing is spooled.
	api2 := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.MaxFiles = 50 }))
	f = newForm()
	for i := range 10000 {
		f.part("file", "f"+string(rune('a'+i%26))+".jpg", nil)
	}
	api2.a.unchecked().do(t, "POST", "/v1/jobs", f).want(t, http.StatusRequestEntityTooLarge, "too_large")
	noUpload(t, api2)

	// A part without a filename.
	api.a.unchecked().do(t, "POST", "/v1/jobs", newForm().part("file", "", photo(t, 1))).want(t, http.StatusBadRequest, "invalid_argument")
	noUpload(t, api)

	// Names with ../, NUL and bytes that are not UTF-8: kept as record
	// names only; the spool names objects by job and index.
	for _, name := range []string{"../../etc/passwd", "a\x00b.jpg", "\xff\xfe.jpg", `..\..\x.jpg`} {
		r := api.a.unchecked().do(t, "POST", "/v1/jobs", newForm().file(name, photo(t, 2)))
		if r.status != http.StatusCreated && r.status != http.StatusBadRequest {
			t.Errorf("name %q: %d %s", name, r.status, r.body)
		}
		if r.status == http.StatusCreated {
			for _, key := range api.spoolObjects(t) {
				if strings.Contains(key, "..") || strings.Contains(key, "passwd") || !utf8.ValidString(key) {
					t.Errorf("spool key %q from name %q", key, name)
				}
			}
		}
	}
}
