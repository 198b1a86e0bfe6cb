package wiretest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/providertest"
)

func do(t *testing.T, method, url string, h http.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if h != nil {
		r.Header = h
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

type fileAnswer struct {
	Name, URI, State, MIMEType, DisplayName, SizeBytes string
}

func decodeFile(t *testing.T, b []byte) fileAnswer {
	t.Helper()
	var f fileAnswer
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return f
}

// TestFilesProtocol walks the Files API the way genai does: a resumable
// upload in two chunks, files.get until ACTIVE, a generateContent that
// references the file, and a delete.
func TestFilesProtocol(t *testing.T) {
	s := New(t, Gemini, Options{ProcessingPolls: 1})
	key := http.Header{"X-Goog-Api-Key": {s.Secret()}}
	start := http.Header{
		"X-Goog-Api-Key": {s.Secret()}, "Content-Type": {"application/json"},
		"X-Goog-Upload-Protocol": {"resumable"}, "X-Goog-Upload-Command": {"start"},
		"X-Goog-Upload-Header-Content-Type": {"video/mp4"}, "X-Goog-Upload-Header-Content-Length": {"8388618"},
	}
	// Without the key: refused like any call.
	resp, _ := do(t, http.MethodPost, s.URL+"/upload/v1beta/files", http.Header{"X-Goog-Upload-Protocol": {"resumable"}, "X-Goog-Upload-Command": {"start"}}, []byte(`{}`))
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("start without key: %d", resp.StatusCode)
	}
	resp, _ = do(t, http.MethodPost, s.URL+"/upload/v1beta/files", start, []byte(`{"file":{"displayName":"picfre-media","mimeType":"video/mp4"}}`))
	up := resp.Header.Get("X-Goog-Upload-URL")
	if resp.StatusCode != 200 || resp.Header.Get("X-Goog-Upload-Status") != "active" || !strings.Contains(up, "upload_id=") {
		t.Fatalf("start: %d %v", resp.StatusCode, resp.Header)
	}
	data := bytes.Repeat([]byte("0123456789"), (8<<20)/10+2)[:8<<20+10]
	chunk := func(cmd, off string, b []byte) (*http.Response, []byte) {
		return do(t, http.MethodPost, up, http.Header{"X-Goog-Upload-Command": {cmd}, "X-Goog-Upload-Offset": {off}}, b)
	}
	if resp, _ := chunk("upload", "0", data[:8<<20]); resp.StatusCode != 200 || resp.Header.Get("X-Goog-Upload-Status") != "active" {
		t.Fatalf("chunk 1: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body := chunk("upload, finalize", "8388608", data[8<<20:])
	if resp.StatusCode != 200 || resp.Header.Get("X-Goog-Upload-Status") != "final" {
		t.Fatalf("finalize: %d %s", resp.StatusCode, body)
	}
	var fin struct{ File fileAnswer }
	if err := json.Unmarshal(body, &fin); err != nil {
		t.Fatal(err)
	}
	f := fin.File
	if f.State != "PROCESSING" || f.DisplayName != "picfre-media" || f.SizeBytes != "8388618" || !strings.HasPrefix(f.Name, "files/") {
		t.Fatalf("file: %+v", f)
	}
	if got := s.Files(); len(got) != 1 || !bytes.Equal(got[0].Data, data) {
		t.Fatalf("stored: %d files", len(got))
	}
	gen := func() (*http.Response, []byte) {
		b := `{"contents":[{"role":"user","parts":[{"text":"Describe."},{"fileData":{"mimeType":"video/mp4","fileUri":"` + f.URI + `"}}]}]}`
		return do(t, http.MethodPost, s.URL+"/v1beta/models/gemini-2.5-flash:generateContent", key, []byte(b))
	}
	if resp, body := gen(); resp.StatusCode != 400 || !strings.Contains(string(body), "FAILED_PRECONDITION") {
		t.Fatalf("generate before ACTIVE: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{"PROCESSING", "ACTIVE", "ACTIVE"} {
		resp, body := do(t, http.MethodGet, s.URL+"/v1beta/"+f.Name, key, nil)
		if resp.StatusCode != 200 || decodeFile(t, body).State != want {
			t.Fatalf("get: %d %s, want %s", resp.StatusCode, body, want)
		}
	}
	if resp, body := gen(); resp.StatusCode != 200 {
		t.Fatalf("generate: %d %s", resp.StatusCode, body)
	}
	reqs := s.Requests()
	if m := reqs[len(reqs)-1].Media; len(m) != 1 || m[0].FileURI != f.URI || !bytes.Equal(m[0].Data, data) {
		t.Fatal("generateContent did not resolve the file")
	}
	if resp, _ := do(t, http.MethodDelete, s.URL+"/v1beta/"+f.Name, key, nil); resp.StatusCode != 200 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if len(s.Files()) != 0 || len(s.Uploads()) != 1 {
		t.Fatal("file not deleted")
	}
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		if resp, body := do(t, m, s.URL+"/v1beta/"+f.Name, key, nil); resp.StatusCode != 403 || !strings.Contains(string(body), "may not exist") {
			t.Fatalf("%s after delete: %d %s", m, resp.StatusCode, body)
		}
	}
	if resp, body := gen(); resp.StatusCode != 403 || !strings.Contains(string(body), "PERMISSION_DENIED") {
		t.Fatalf("generate after delete: %d %s", resp.StatusCode, body)
	}
}

func TestUploadRejectsBadChunks(t *testing.T) {
	s := NewGemini(t)
	start := http.Header{"X-Goog-Api-Key": {s.Secret()}, "X-Goog-Upload-Protocol": {"resumable"},
		"X-Goog-Upload-Command": {"start"}, "X-Goog-Upload-Header-Content-Type": {"image/png"}, "X-Goog-Upload-Header-Content-Length": {"5"}}
	begin := func() string {
		resp, _ := do(t, http.MethodPost, s.URL+"/upload/v1beta/files", start, nil)
		return resp.Header.Get("X-Goog-Upload-URL")
	}
	cases := []struct {
		name, cmd, off string
		body           string
	}{
		{"wrong offset", "upload, finalize", "3", "hello"},
		{"unaligned chunk", "upload", "0", "hel"},
		{"size mismatch", "upload, finalize", "0", "hello!"},
	}
	for _, c := range cases {
		resp, _ := do(t, http.MethodPost, begin(), http.Header{"X-Goog-Upload-Command": {c.cmd}, "X-Goog-Upload-Offset": {c.off}}, []byte(c.body))
		if resp.StatusCode != 400 || resp.Header.Get("X-Goog-Upload-Status") != "final" {
			t.Errorf("%s: %d %v", c.name, resp.StatusCode, resp.Header)
		}
	}
	if resp, _ := do(t, http.MethodPost, s.URL+"/upload/v1beta/files?upload_id=nope", http.Header{"X-Goog-Upload-Command": {"upload, finalize"}, "X-Goog-Upload-Offset": {"0"}}, []byte("x")); resp.StatusCode != 404 {
		t.Errorf("unknown session: %d", resp.StatusCode)
	}
	// An image is ACTIVE at once.
	resp, body := do(t, http.MethodPost, begin(), http.Header{"X-Goog-Upload-Command": {"upload, finalize"}, "X-Goog-Upload-Offset": {"0"}}, []byte("hello"))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"state":"ACTIVE"`) {
		t.Fatalf("image: %d %s", resp.StatusCode, body)
	}
	if len(s.Files()) != 1 {
		t.Fatalf("%d files stored, want only the good one", len(s.Files()))
	}
	// Scripted faults hit Files API calls, not generateContent.
	s.EnqueueFiles(providertest.Outcome{Fault: provider.RateLimited})
	if resp, _ := do(t, http.MethodPost, s.URL+"/upload/v1beta/files", start, nil); resp.StatusCode != 429 {
		t.Fatalf("scripted fault: %d", resp.StatusCode)
	}
}
