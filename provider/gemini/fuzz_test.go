package gemini

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/picfre/picfre/provider"
)

// FuzzClassify feeds arbitrary error answers to the classifier: it must
// always return a *provider.Error with a known code and a short message
// that never contains the key.
func FuzzClassify(f *testing.F) {
	f.Add(429, "7", []byte(`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"17s"}]}}`))
	f.Add(400, "", []byte(`{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`))
	f.Add(500, "Wed, 21 Oct 2015 07:28:00 GMT", []byte("<html>502</html>"))
	f.Add(403, "", []byte(`{"error":{"code":403,"message":"You do not have permission to access the File x or it may not exist.","status":"PERMISSION_DENIED"}}`))
	f.Add(401, "-1", []byte(`{"error":{"message":"bad key sk-fuzz-key-123456"}}`))
	p, err := New(Options{APIKey: "sk-fuzz-key-123456", BaseURL: "http://127.0.0.1:1/"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		if status < 400 || status > 599 {
			status = 400 + (status%200+200)%200
		}
		err := p.classify(status, http.Header{"Retry-After": {retryAfter}}, body)
		var pe *provider.Error
		if !errors.As(err, &pe) {
			t.Fatalf("not a *provider.Error: %v", err)
		}
		if pe.Code == "" || pe.StatusCode != status || pe.RetryAfter < 0 {
			t.Fatalf("bad classification: %+v", pe)
		}
		if strings.Contains(err.Error(), "sk-fuzz-key-123456") || len(pe.Message) > 600 {
			t.Fatalf("unsafe message: %q", pe.Message)
		}
	})
}

func TestUploadHeadersNeverCarryAFileName(t *testing.T) {
	for name, want := range map[string]bool{
		"X-Goog-Upload-Protocol": true, "X-Goog-Upload-Command": true, "X-Goog-Upload-Offset": true,
		"X-Goog-Upload-Header-Content-Type": true, "X-Goog-Upload-Header-Content-Length": true,
		"X-Goog-Upload-File-Name": false, "X-Goog-User-Project": false, "X-Server-Timeout": false,
	} {
		if allowHeader(name) != want {
			t.Errorf("allowHeader(%q) = %v", name, !want)
		}
	}
}

// TestMissingFileIsNotABadKey: Google answers a reference to an expired or
// deleted upload with 403 PERMISSION_DENIED; the key is fine, so the batch
// must not stop.
func TestMissingFileIsNotABadKey(t *testing.T) {
	p, err := New(Options{APIKey: "k-123456789", BaseURL: "http://127.0.0.1:1/"})
	if err != nil {
		t.Fatal(err)
	}
	gone := []byte(`{"error":{"code":403,"message":"You do not have permission to access the File abc or it may not exist.","status":"PERMISSION_DENIED"}}`)
	if c := provider.Classify(p.classify(403, nil, gone)); c != provider.InvalidRequest {
		t.Fatalf("missing file: %s", c)
	}
	denied := []byte(`{"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}}`)
	if c := provider.Classify(p.classify(403, nil, denied)); c != provider.Unauthenticated {
		t.Fatalf("permission denied: %s", c)
	}
}
