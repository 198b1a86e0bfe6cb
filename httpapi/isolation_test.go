package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/metering"
)

// tenants is a test API as the isolation tests use it: the two accounts'
// clients and what identifies each account (its id and token).
type tenants struct {
	api                *testAPI
	a, b               *client
	accountA, accountB string
	tokenA, tokenB     string
	sessions           bool           // POST /v1/session is served (Auth is a *Tokens)
	proc               *fakeProcessor // the API's payment processor
}

// mapTenants is the test API with its map authenticator.
func mapTenants(t *testing.T) *tenants {
	proc := newFakeProcessor()
	api := newTestAPI(t, withPayments(proc))
	return &tenants{api: api, a: api.a, b: api.b, accountA: accountA, accountB: accountB, tokenA: tokenA, tokenB: tokenB, proc: proc}
}

// realTenants is the test API behind the real authenticator:
// httpapi.Tokens over store.Accounts on the API's SQLite file, with two
// accounts it created and a token of each that it issued.
func realTenants(t *testing.T) *tenants {
	t.Helper()
	ctx := context.Background()
	proc := newFakeProcessor()
	base := newTestAPI(t, withPayments(proc))
	accounts := base.db.Accounts()
	tn := &tenants{sessions: true, proc: proc}
	for _, who := range []struct{ id, token *string }{{&tn.accountA, &tn.tokenA}, {&tn.accountB, &tn.tokenB}} {
		acct, err := accounts.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := accounts.NewToken(ctx, acct.ID, "isolation test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := base.ledger.TopUp(ctx, metering.TopUp{Account: acct.ID, Credits: 1000, PaymentRef: "pay-" + acct.ID}); err != nil {
			t.Fatal(err)
		}
		*who.id, *who.token = acct.ID, secret
	}
	if tn.accountA == tn.accountB || tn.tokenA == tn.tokenB {
		t.Fatal("store.Accounts gave the two accounts the same id or token")
	}
	cfg := base.cfg
	cfg.Auth = &httpapi.Tokens{Store: accounts}
	h, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api := *base
	api.cfg, api.srv = cfg, httptest.NewServer(h)
	t.Cleanup(api.srv.Close)
	api.a, api.b, api.anon = &client{api: &api, token: tn.tokenA}, &client{api: &api, token: tn.tokenB}, &client{api: &api}
	// The map's tokens mean nothing to this API.
	(&client{api: &api, token: tokenA}).do(t, "GET", "/v1/account", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	tn.api, tn.a, tn.b = &api, api.a, api.b
	return tn
}

// eachAuthenticator runs test once with the map authenticator and once
// with the real one.
func eachAuthenticator(t *testing.T, test func(t *testing.T, tn *tenants)) {
	t.Run("map", func(t *testing.T) { test(t, mapTenants(t)) })
	t.Run("tokens", func(t *testing.T) { test(t, realTenants(t)) })
}

// TestTenantIsolation: account B, given account A's job id (and file
// index), gets exactly the answer an unknown id gets, on every job route;
// A's job is untouched afterwards.
func TestTenantIsolation(t *testing.T) {
	eachAuthenticator(t, testTenantIsolation)
}

func testTenantIsolation(t *testing.T, tn *tenants) {
	j := upload(t, tn.a, 2, "")
	tn.a.waitFinal(t, j.ID)
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
			theirs := tn.b.do(t, rt.method, strings.Replace(rt.path, "{id}", j.ID, 1), nil)
			none := tn.b.do(t, rt.method, strings.Replace(rt.path, "{id}", unknown, 1), nil)
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
	tn.b.do(t, "GET", "/v1/jobs", nil).decode(t, &list)
	if len(list.Jobs) != 0 {
		t.Errorf("B lists %v", list.Jobs)
	}
	// A's job and results are as they were.
	rs := results(t, tn.a, j.ID, "")
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

// TestTenantIsolationAccountRoutes: after account A has a job, a
// contact and a consent, nothing account B can reach on any of the
// other routes shows any of it, and B's erasure leaves A's data alone.
func TestTenantIsolationAccountRoutes(t *testing.T) {
	eachAuthenticator(t, testTenantIsolationAccountRoutes)
}

func testTenantIsolationAccountRoutes(t *testing.T, tn *tenants) {
	j := upload(t, tn.a, 2, "")
	tn.a.waitFinal(t, j.ID)
	const email = "alice.secret@example.com"
	tn.a.do(t, "PATCH", "/v1/privacy/contact", `{"email":"`+email+`","country":"DE"}`).want(t, http.StatusOK, "")
	tn.a.do(t, "PUT", "/v1/privacy/consent", `{"ad_user_data":"granted","ad_personalization":"granted","opted_out":false}`).want(t, http.StatusOK, "")
	var aAccount struct {
		Balance struct{ Credits int64 }
	}
	tn.a.do(t, "GET", "/v1/account", nil).decode(t, &aAccount)

	secrets := []string{j.ID, email, "photo-", tn.accountA, tn.tokenA}
	session, signOut := 404, 204 // Auth is not a *Tokens: no session to start
	if tn.sessions {
		session = 204
	}
	meta := `{"file":"b.jpg","title":"B's own","description":"d","keywords":["k"]}`
	calls := []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/v1/account", nil, 200},
		{"GET", "/v1/account/history", nil, 200},
		{"GET", "/v1/agencies", nil, 200},
		{"POST", "/v1/estimate", `{"files":[{"name":"b.jpg","kind":"image","width":60,"height":40}]}`, 200},
		{"POST", "/v1/render/csv?agency=adobe", `{"items":[` + meta + `]}`, 200},
		{"POST", "/v1/render/xmp", meta, 200},
		{"POST", "/v1/render/jpeg", jpegForm(meta, photo(t, 9), "b.jpg"), 200},
		{"GET", "/v1/privacy/export", nil, 200},
		{"PATCH", "/v1/privacy/contact", `{"country":"FR"}`, 200},
		{"PUT", "/v1/privacy/consent", `{"ad_user_data":"denied","ad_personalization":"denied","opted_out":true}`, 200},
		{"POST", "/v1/privacy/age", `{"birth_date":"2001-04-05"}`, 200},
		{"GET", "/v1/jobs", nil, 200},
		{"POST", "/v1/jobs", newForm().file("b.jpg", photo(t, 8)), 201},
		{"POST", "/v1/session", `{"token":"` + tn.tokenB + `"}`, session},
		{"DELETE", "/v1/session", nil, signOut},
		{"GET", "/v1/credits/packs", nil, 200},
		{"POST", "/v1/credits/checkout", `{"pack":"starter"}`, 200},
		{"POST", "/v1/payments/webhook", `{}`, 200}, // the processor's own answer
		{"GET", "/v1/openapi.json", nil, 200},
		{"POST", "/v1/privacy/erase", `{"confirm":"erase"}`, 200},
	}
	covered := map[string]bool{}
	for _, c := range calls {
		p, _, _ := strings.Cut(c.path, "?")
		covered[c.method+" "+p] = true
		r := tn.b.do(t, c.method, c.path, c.body)
		if r.status != c.status {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.status, clip(r.body))
			continue
		}
		for _, s := range secrets {
			if bytes.Contains(r.body, []byte(s)) {
				t.Errorf("%s %s as B shows A's %q: %s", c.method, c.path, s, clip(r.body))
			}
		}
	}
	for _, r := range tableRoutes(t) {
		if !strings.Contains(r, "{id}") && !covered[r] {
			t.Errorf("route %s is not covered", r)
		}
	}
	// B's checkout was for B.
	if reqs := tn.proc.requests(); len(reqs) != 1 || reqs[0].Account != tn.accountB {
		t.Errorf("checkouts %+v", reqs)
	}
	// A's job, results, contact and balance are as they were.
	if rs := results(t, tn.a, j.ID, ""); len(rs) != 2 || rs[0].Title == "" {
		t.Errorf("A's results after B's erasure: %+v", rs)
	}
	r := tn.a.do(t, "GET", "/v1/privacy/export", nil)
	if !bytes.Contains(r.body, []byte(`"email_sha256"`)) || !bytes.Contains(r.body, []byte(`"country":"DE"`)) || !bytes.Contains(r.body, []byte(j.ID)) {
		t.Errorf("A's export lost A's data: %s", clip(r.body))
	}
	var after struct {
		Balance struct{ Credits int64 }
	}
	tn.a.do(t, "GET", "/v1/account", nil).decode(t, &after)
	if after.Balance.Credits != aAccount.Balance.Credits {
		t.Errorf("A's credits %d, were %d", after.Balance.Credits, aAccount.Balance.Credits)
	}
}
