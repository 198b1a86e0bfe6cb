package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/provider/local"
	"github.com/picfre/picfre/store"
)

func TestService(t *testing.T) {
	db := store.Memory(store.Options{})
	t.Cleanup(func() { db.Close() })
	svc := &service{
		tagger:   picfre.New(local.New(local.Options{}), picfre.Config{Meter: db.Ledger(), Pricer: metering.Pricing{Rates: []metering.Rate{{Base: 1}}}}),
		ledger:   db.Ledger(),
		subjects: &privacy.Subjects{Ledger: db.Ledger(), Contacts: db.Contacts()},
	}
	srv := httptest.NewServer(svc.routes())
	defer srv.Close()
	if _, err := db.Ledger().TopUp(t.Context(), metering.TopUp{Account: "acct-1", Credits: 2, PaymentRef: "pay-1"}); err != nil {
		t.Fatal(err)
	}
	photo, err := os.ReadFile("../../testdata/samples/coffee.png")
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, account string, body []byte) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Account", account)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	status, body := do("POST", "/tag?name=holiday.png", "acct-1", photo)
	var res picfre.Result
	if err := json.Unmarshal([]byte(body), &res); err != nil || status != 200 || res.Title == "" || res.Usage.Credits != 1 || res.File != "holiday.png" {
		t.Fatalf("tag: %d %s (%v)", status, body, err)
	}
	for _, tc := range []struct {
		name, path, account string
		body                []byte
		status              int
		code                string
	}{
		{"not an image", "/tag?name=notes.txt", "acct-1", []byte("just some text"), 415, "unsupported_media"},
		{"no credits", "/tag?name=x.png", "acct-2", photo, 402, "insufficient_credits"},
		{"no account", "/tag?name=x.png", "", photo, 400, "invalid_argument"},
		{"unknown agency", "/tag?name=x.png&agency=nope", "acct-1", photo, 400, "invalid_argument"},
	} {
		status, body := do("POST", tc.path, tc.account, tc.body)
		if status != tc.status || !strings.Contains(body, `"code":"`+tc.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
	}
	// The same photo under another name is the same charge.
	if status, body := do("POST", "/tag?name=renamed.png", "acct-1", photo); status != 200 || !strings.Contains(body, `"replayed":true`) {
		t.Errorf("re-upload: %d %s", status, body)
	}
	if status, body := do("GET", "/balance", "acct-1", nil); status != 200 || !strings.Contains(body, `"Credits":1`) {
		t.Errorf("balance: %d %s", status, body)
	}
	if status, body := do("GET", "/export", "acct-1", nil); status != 200 || !strings.Contains(body, `"file":"holiday.png"`) {
		t.Errorf("export: %d %s", status, body)
	}
	if status, body := do("POST", "/erase", "acct-1", nil); status != 200 {
		t.Errorf("erase: %d %s", status, body)
	}
	if status, body := do("GET", "/export", "acct-1", nil); status != 200 || strings.Contains(body, "holiday.png") {
		t.Errorf("export after erase: %d %s", status, body)
	}
}
