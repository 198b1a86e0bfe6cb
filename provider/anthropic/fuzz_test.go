package anthropic

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
	f.Add(429, "7", []byte(`{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}`))
	f.Add(400, "", []byte(`{"type":"error","error":{"type":"rate_limit_error","message":"rate limited"}}`))
	f.Add(500, "Wed, 21 Oct 2015 07:28:00 GMT", []byte("<html>502</html>"))
	f.Add(401, "-1", []byte(`{"error":{"message":"bad key sk-fuzz-key-123456"}}`))
	p, err := New(Options{APIKey: "sk-fuzz-key-123456", BaseURL: "http://127.0.0.1:1"})
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
