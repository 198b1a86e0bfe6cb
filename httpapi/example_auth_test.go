package httpapi_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/httpapi"
)

// exampleStore is a TokenStore that keeps SHA-256 hashes of the tokens
// only, as (*store.Accounts) does.
type exampleStore map[[32]byte]string

func (s exampleStore) AccountForToken(_ context.Context, token string) (string, error) {
	if acct, ok := s[sha256.Sum256([]byte(token))]; ok {
		return acct, nil
	}
	return "", errcode.New(errcode.Unauthenticated, "unknown token")
}

// API tokens: a request carries its token as a bearer token, or in the
// session cookie POST /v1/session sets. Pass the Tokens as Config.Auth.
func ExampleTokens() {
	auth := &httpapi.Tokens{Store: exampleStore{sha256.Sum256([]byte("pfr_jane_secret")): "acct_jane"}}

	r := httptest.NewRequest("GET", "/v1/account", nil)
	r.Header.Set("Authorization", "Bearer pfr_jane_secret")
	fmt.Println(auth.Authenticate(r))

	r = httptest.NewRequest("GET", "/v1/account", nil)
	r.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: "pfr_jane_secret"})
	fmt.Println(auth.Authenticate(r))

	r = httptest.NewRequest("GET", "/v1/account", nil)
	r.Header.Set("Authorization", "Bearer pfr_guessed")
	_, err := auth.Authenticate(r)
	fmt.Println(errcode.Of(err))
	// Output:
	// acct_jane <nil>
	// acct_jane <nil>
	// unauthenticated
}

// A single-user server on the loopback interface: every request from and
// to the loopback is the one account's; a request whose Host is another
// name (DNS rebinding) is refused. Pass it as Config.Auth.
func ExampleSingleUser() {
	auth := httpapi.SingleUser("local")

	r := httptest.NewRequest("GET", "http://127.0.0.1:8080/v1/account", nil)
	r.RemoteAddr = "127.0.0.1:51234"
	fmt.Println(auth.Authenticate(r))

	r = httptest.NewRequest("GET", "http://evil.example:8080/v1/account", nil)
	r.RemoteAddr = "127.0.0.1:51235"
	_, err := auth.Authenticate(r)
	fmt.Println(errcode.Of(err))
	// Output:
	// local <nil>
	// permission_denied
}
