package httpapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/jobs"
)

// FuzzUpload sends arbitrary multipart bodies, boundaries, part names
// and file names to POST /v1/jobs: the answer is never a panic or a 5xx,
// it validates against the document, and the spool holds no object of
// an upload that was not committed.
func FuzzUpload(f *testing.F) {
	api := newTestAPI(f, withWorkers(-1), withCredits(1<<40), withConfig(func(c *httpapi.Config) {
		c.RequestsPerMinute, c.UploadsPerMinute = -1, -1
		c.MaxFiles, c.MaxFileBytes = 4, 4096
	}))
	good := newForm().options(`{"agency":"adobe"}`).file("a.jpg", photo(f, 1))
	f.Add(good.bytes(), good.w.Boundary(), "file", "b.jpg", photo(f, 2), true)
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc"), "x", "file", "", []byte{}, true)
	f.Add([]byte{}, "b", "options", "", []byte(`{"task":"prompt"}`), false)
	f.Add([]byte("\r\n--b--\r\n"), "b", "file", "../\x00\xff", photo(f, 3), false)
	f.Fuzz(func(t *testing.T, raw []byte, boundary, field, filename string, content []byte, rawOnly bool) {
		body := raw
		if !rawOnly {
			var b bytes.Buffer
			b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"")
			if filename != "" {
				b.WriteString("; filename=\"" + filename + "\"")
			}
			b.WriteString("\r\n\r\n")
			b.Write(content)
			b.WriteString("\r\n--" + boundary + "\r\n")
			b.Write(raw)
			body = b.Bytes()
		}
		ctype := "multipart/form-data; boundary=" + boundary
		for _, c := range []byte(ctype) {
			if c < 0x20 || c == 0x7f {
				return // not a header value a client can send
			}
		}
		r := api.a.unchecked().do(t, "POST", "/v1/jobs", rawBody{body, ctype})
		if r.status >= 500 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if r.status != http.StatusCreated && r.code(t) == "" {
			t.Fatalf("status %d without an error code: %s", r.status, r.body)
		}
		// Every object left in the spool is a committed job's.
		for _, key := range api.spoolObjects(t) {
			id, _, _ := strings.Cut(key, "/")
			j, err := api.svc.Job(t.Context(), accountA, id)
			if err != nil {
				t.Fatalf("spool object %q of no job: %v", key, err)
			}
			if j.State == jobs.StateUploading {
				t.Fatalf("spool object %q of an uncommitted upload", key)
			}
		}
	})
}
