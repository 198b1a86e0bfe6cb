package stripemock_test

import (
	"net/http"
	"testing"

	"github.com/picfre/picfre/internal/stripemock"
)

func TestStart(t *testing.T) {
	base := stripemock.Start(t)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/v1/balance", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk_test_123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/balance: %s", resp.Status)
	}
}
