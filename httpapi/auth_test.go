package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/httpapi"
)

// hashedTokens is a TokenStore as the reference server's is: it keeps
// SHA-256 hashes of the tokens only, and counts its lookups.
type hashedTokens struct {
	mu       sync.Mutex
	accounts map[string]string // hex SHA-256 of the token → account
	lookups  int
	fail     error // when set, every lookup fails with it
}

func newHashedTokens(tokens map[string]string) *hashedTokens {
	s := &hashedTokens{accounts: map[string]string{}}
	for tok, acct := range tokens {
		sum := sha256.Sum256([]byte(tok))
		s.accounts[hex.EncodeToString(sum[:])] = acct
	}
	return s
}

func (s *hashedTokens) AccountForToken(_ context.Context, token string) (string, error) {
	sum := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups++
	if s.fail != nil {
		return "", s.fail
	}
	acct, ok := s.accounts[hex.EncodeToString(sum[:])]
	if !ok {
		return "", errcode.New(errcode.Unauthenticated, "unknown token "+token) // a careless store
	}
	return acct, nil
}

// withTokens makes the test API authenticate with httpapi.Tokens over
// the tokens of the two accounts.
func withTokens(store *hashedTokens) apiOption {
	return withConfig(func(c *httpapi.Config) { c.Auth = &httpapi.Tokens{Store: store} })
}

func TestTokensBearer(t *testing.T) {
	store := newHashedTokens(map[string]string{tokenA: accountA, tokenB: accountB})
	api := newTestAPI(t, withTokens(store), withWorkers(-1))

	var a struct {
		Account    string `json:"account"`
		SingleUser bool   `json:"single_user"`
	}
	api.a.do(t, "GET", "/v1/account", nil).decode(t, &a)
	if a.Account != accountA || a.SingleUser {
		t.Fatalf("account %+v, want %s", a, accountA)
	}
	api.b.do(t, "GET", "/v1/account", nil).decode(t, &a)
	if a.Account != accountB {
		t.Fatalf("account %+v, want %s", a, accountB)
	}

	for _, tc := range []struct {
		name   string
		header string
	}{
		{"unknown token", "Bearer pfr_nobody"},
		{"wrong scheme", "Basic " + tokenA},
		{"empty token", "Bearer "},
		{"token with a space", "Bearer pfr x"},
		{"oversized token", "Bearer " + strings.Repeat("x", 4096)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := api.anon.unchecked().do(t, "GET", "/v1/account", nil, "Authorization", tc.header)
			r.want(t, http.StatusUnauthorized, "unauthenticated")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
			if strings.Contains(string(r.body), "pfr_") || strings.Contains(string(r.body), "nobody") {
				t.Fatalf("the error names the token: %s", r.body)
			}
		})
	}
	// No credentials at all.
	api.anon.invalid().do(t, "GET", "/v1/account", nil).want(t, http.StatusUnauthorized, "unauthenticated")

	// An oversized token is refused without asking the store.
	store.mu.Lock()
	before := store.lookups
	store.mu.Unlock()
	api.anon.unchecked().do(t, "GET", "/v1/account", nil, "Authorization", "Bearer "+strings.Repeat("y", 600)).
		want(t, http.StatusUnauthorized, "unauthenticated")
	store.mu.Lock()
	after := store.lookups
	store.mu.Unlock()
	if after != before {
		t.Fatalf("the store was asked about an oversized token")
	}
}

func TestTokensStoreDown(t *testing.T) {
	store := newHashedTokens(map[string]string{tokenA: accountA})
	store.fail = errcode.New(errcode.Unavailable, "database at 10.0.0.7 is down for "+tokenA)
	api := newTestAPI(t, withTokens(store), withWorkers(-1))
	r := api.a.do(t, "GET", "/v1/account", nil)
	r.want(t, http.StatusServiceUnavailable, "unavailable")
	if strings.Contains(string(r.body), tokenA) || strings.Contains(string(r.body), "10.0.0.7") {
		t.Fatalf("the error passes the store's words on: %s", r.body)
	}
}

func TestSessionSignInOut(t *testing.T) {
	store := newHashedTokens(map[string]string{tokenA: accountA, tokenB: accountB})
	api := newTestAPI(t, withTokens(store), withWorkers(-1))

	r := api.anon.do(t, "POST", "/v1/session", `{"token":"`+tokenA+`"}`)
	r.want(t, http.StatusNoContent, "")
	cookies := (&http.Response{Header: r.header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", r.header["Set-Cookie"])
	}
	c := cookies[0]
	if c.Name != "picfre_session" || c.Value != tokenA || c.Path != "/v1" || !c.HttpOnly ||
		c.SameSite != http.SameSiteStrictMode || c.Secure {
		t.Fatalf("cookie %+v (%s)", c, r.header.Get("Set-Cookie"))
	}

	// The cookie alone authenticates.
	var a struct {
		Account string `json:"account"`
	}
	api.anon.do(t, "GET", "/v1/account", nil, "Cookie", c.String()).decode(t, &a)
	if a.Account != accountA {
		t.Fatalf("account %q by cookie", a.Account)
	}
	// A bad cookie does not.
	api.anon.do(t, "GET", "/v1/account", nil, "Cookie", "picfre_session=pfr_forged").
		want(t, http.StatusUnauthorized, "unauthenticated")
	// The header wins over the cookie.
	api.b.do(t, "GET", "/v1/account", nil, "Cookie", c.String()).decode(t, &a)
	if a.Account != accountB {
		t.Fatalf("account %q with B's bearer and A's cookie", a.Account)
	}

	// Signing out clears the cookie.
	r = api.anon.do(t, "DELETE", "/v1/session", nil, "Cookie", c.String())
	r.want(t, http.StatusNoContent, "")
	cleared := (&http.Response{Header: r.header}).Cookies()
	if len(cleared) != 1 || cleared[0].Name != "picfre_session" || cleared[0].Value != "" || cleared[0].MaxAge >= 0 ||
		cleared[0].Path != "/v1" || !cleared[0].HttpOnly {
		t.Fatalf("sign-out cookie %v", r.header["Set-Cookie"])
	}

	// Bad sign-ins.
	api.anon.do(t, "POST", "/v1/session", `{"token":"pfr_nobody"}`).want(t, http.StatusUnauthorized, "unauthenticated")
	api.anon.invalid().do(t, "POST", "/v1/session", `{"token":""}`).want(t, http.StatusUnauthorized, "unauthenticated")
	api.anon.invalid().do(t, "POST", "/v1/session", `{"token":"`+tokenA+`","admin":true}`).want(t, http.StatusBadRequest, "invalid_argument")
	api.anon.invalid().do(t, "POST", "/v1/session", `{"token":`).want(t, http.StatusBadRequest, "invalid_argument")
	api.anon.invalid().do(t, "POST", "/v1/session", `{"token":"`+strings.Repeat("x", 2<<20)+`"}`).want(t, http.StatusRequestEntityTooLarge, "too_large")
}

// Over TLS, the session cookie is Secure.
func TestSessionCookieSecureOverTLS(t *testing.T) {
	store := newHashedTokens(map[string]string{tokenA: accountA})
	api := newTestAPI(t, withTokens(store), withWorkers(-1))
	h, err := httpapi.New(api.cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/session", strings.NewReader(`{"token":"`+tokenA+`"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", res.StatusCode)
	}
	cs := res.Cookies()
	if len(cs) != 1 || !cs[0].Secure || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie over TLS: %v", res.Header["Set-Cookie"])
	}
}

// Without *Tokens there is no sign-in.
func TestSessionNeedsTokens(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	api.anon.do(t, "POST", "/v1/session", `{"token":"`+tokenA+`"}`).want(t, http.StatusNotFound, "not_found")
}

func TestSingleUser(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.Auth = httpapi.SingleUser(accountA) }))

	var a struct {
		Account    string `json:"account"`
		SingleUser bool   `json:"single_user"`
	}
	// httptest's server is on 127.0.0.1: the Host is a loopback IP.
	api.anon.unchecked().do(t, "GET", "/v1/account", nil).decode(t, &a)
	if a.Account != accountA || !a.SingleUser {
		t.Fatalf("account %+v", a)
	}
	for _, host := range []string{"localhost", "LOCALHOST:8080", "127.0.0.1", "127.8.9.1:1", "[::1]:8080", "[::1]"} {
		if status := api.getWithHost(t, "/v1/account", host); status != http.StatusOK {
			t.Errorf("Host %q: status %d, want 200", host, status)
		}
	}
	// DNS rebinding: a page of another site whose name resolves to
	// 127.0.0.1 sends its own Host.
	for _, host := range []string{"evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.evil.example", "0.0.0.0", "[::]:80"} {
		if status := api.getWithHost(t, "/v1/account", host); status != http.StatusForbidden {
			t.Errorf("Host %q: status %d, want 403", host, status)
		}
	}

	// Another machine (RemoteAddr is the peer; it cannot be forged over
	// the loopback, so the Authenticator is asked directly).
	auth := httpapi.SingleUser(accountA)
	for _, remote := range []string{"203.0.113.5:4000", "[2001:db8::1]:4000", "10.0.0.1:80", "", "garbage"} {
		r := httptest.NewRequest("GET", "http://127.0.0.1/v1/account", nil)
		r.RemoteAddr = remote
		if acct, err := auth.Authenticate(r); errcode.Of(err) != errcode.PermissionDenied || acct != "" {
			t.Errorf("remote %q: %q, %v; want permission_denied", remote, acct, err)
		}
	}
	for _, remote := range []string{"127.0.0.1:4000", "[::1]:4000", "[::ffff:127.0.0.1]:4000"} {
		r := httptest.NewRequest("GET", "http://localhost/v1/account", nil)
		r.RemoteAddr = remote
		if acct, err := auth.Authenticate(r); err != nil || acct != accountA {
			t.Errorf("remote %q: %q, %v; want %s", remote, acct, err, accountA)
		}
	}
}

// getWithHost sends GET path with the Host header host (the client's
// own header list cannot set it) and returns the status; an error
// answer must be the document's Error.
func (api *testAPI) getWithHost(t *testing.T, path, host string) int {
	t.Helper()
	req, err := http.NewRequest("GET", api.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	res, err := api.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		api.mustBeError(t, &resp{status: res.StatusCode, header: res.Header, body: body})
		if !strings.Contains(string(body), `"permission_denied"`) {
			t.Fatalf("Host %q: %s", host, body)
		}
	}
	return res.StatusCode
}
