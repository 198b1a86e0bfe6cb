package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/picfre/picfre/errcode"
)

// --file-timeout: a provider that never answers fails each file with
// deadline_exceeded when its limit passes, and the run ends (exit 1)
// with a record for every file.
func TestFileTimeoutFlag(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers; the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release) // before Close, which waits for the handlers
	for _, cmd := range []string{"tag", "prompt"} {
		t.Run(cmd, func(t *testing.T) {
			out, errw, code := runCLI(t, nil, cmd, "--provider", "openai", "--base-url", srv.URL+"/v1", "--api-key", "sk-test",
				"--file-timeout", "1s", "../../testdata/samples/coffee.png", "../../testdata/samples/rocket.jpg")
			if code != exitFailed {
				t.Fatalf("exit %d, stderr %s", code, errw)
			}
			recs := decodeJSONL(t, out)
			if len(recs) != 2 {
				t.Fatalf("%d records, want 2", len(recs))
			}
			for _, r := range recs {
				if r.Error == nil || r.Error.Code != errcode.DeadlineExceeded {
					t.Errorf("%s: error %+v, want deadline_exceeded", r.File, r.Error)
				}
			}
		})
	}
	if _, _, code := runCLI(t, nil, "tag", "--file-timeout", "soon", "x.png"); code != exitUsage {
		t.Fatalf("--file-timeout soon: exit %d, want usage", code)
	}
}
