package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/picfre/picfre/errcode"
)

// SessionCookie is the name of the session cookie POST /v1/session sets:
// it holds the API token, HttpOnly, SameSite=Strict, Path=/v1, Secure
// when the sign-in came over TLS.
const SessionCookie = "picfre_session"

// maxTokenLen bounds a token a request may carry; longer ones are refused
// without asking the store.
const maxTokenLen = 512

// errNoToken is the answer to a request without a token the
// service accepts: no token, a malformed one or an unknown one alike.
var errNoToken = errcode.New(errcode.Unauthenticated, "authentication required: a valid API token (Authorization: Bearer) or session")

// TokenStore finds the account an API token belongs to:
// (*store.Accounts) in the reference server. AccountForToken returns an
// error with code errcode.Unauthenticated for a token it does not know
// (or one revoked), any other coded error when it cannot answer. A
// store should look tokens up by a hash of the token (SHA-256), so that
// neither the stored value nor the time a lookup takes gives the secret
// away. It must be safe for concurrent use.
type TokenStore interface {
	AccountForToken(ctx context.Context, token string) (account string, err error)
}

// Tokens is an Authenticator of API tokens, sent as
// "Authorization: Bearer <token>" or in the session cookie SessionCookie
// (see POST /v1/session, which only a Handler whose Config.Auth is a
// *Tokens serves). The header wins when a request has both. Set Store
// before first use; a Tokens is then safe for concurrent use.
type Tokens struct {
	Store TokenStore
}

var _ Authenticator = (*Tokens)(nil)

// Authenticate returns the account of the request's token. A request
// without a token, with a malformed one, or with one the store does not
// know gets an error with code errcode.Unauthenticated whose message
// never holds the token; a store that cannot answer gives its own code
// (errcode.Unavailable, say).
func (t *Tokens) Authenticate(r *http.Request) (string, error) {
	token, ok := requestToken(r)
	if !ok {
		return "", errNoToken
	}
	return t.lookup(r.Context(), token)
}

// lookup asks the store for token's account.
func (t *Tokens) lookup(ctx context.Context, token string) (string, error) {
	if t == nil || t.Store == nil {
		return "", errcode.New(errcode.Internal, "httpapi: Tokens without a Store")
	}
	if !validToken(token) {
		return "", errNoToken
	}
	account, err := t.Store.AccountForToken(ctx, token)
	switch {
	case err == nil && account != "":
		return account, nil
	case err == nil, errcode.Of(err) == errcode.Unauthenticated:
		return "", errNoToken
	default:
		// The store's message is not passed on: it might quote what it
		// was asked.
		code := errcode.Of(err)
		if code == errcode.Internal || !code.Valid() {
			code = errcode.Unavailable
		}
		return "", errcode.New(code, "httpapi: the token store cannot answer")
	}
}

// requestToken returns the token of the Authorization header or, without
// that header, of the session cookie.
func requestToken(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, found := strings.Cut(h, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") {
			return "", false
		}
		token = strings.TrimSpace(token)
		return token, token != ""
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// validToken reports whether s can be a token at all: 1 to maxTokenLen
// visible ASCII characters, none of them a cookie's separators.
func validToken(s string) bool {
	if s == "" || len(s) > maxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == ';' || c == ',' || c == '\\' {
			return false
		}
	}
	return true
}

// singleUser is the Authenticator of SingleUser.
type singleUser struct{ account string }

// SingleUser returns the Authenticator of a single-user server bound to
// the loopback interface, such as `picfre serve` without accounts: every
// request is for account, provided it comes from a loopback address
// (127.0.0.0/8, ::1) and names a loopback host in its Host header
// ("localhost", a loopback IP, any port). The Host check keeps out pages
// on other sites that reach the loopback server through DNS rebinding: a
// request for "evil.example" that resolves to 127.0.0.1 is refused with
// errcode.PermissionDenied, as is one from any other address.
//
// It is no substitute for binding the listener to loopback only: it is
// the second lock on that door.
func SingleUser(account string) Authenticator { return &singleUser{account: account} }

var errNotLoopback = errcode.New(errcode.PermissionDenied, "this single-user server answers only requests to and from the loopback interface")

// Authenticate returns the account when the request is from and to the
// loopback interface.
func (s *singleUser) Authenticate(r *http.Request) (string, error) {
	if !loopbackRemote(r.RemoteAddr) || !loopbackHost(r.Host) {
		return "", errNotLoopback
	}
	if s.account == "" {
		return "", errcode.New(errcode.Internal, "httpapi: SingleUser without an account")
	}
	return s.account, nil
}

// loopbackRemote reports whether addr ("ip:port", as in
// http.Request.RemoteAddr) is a loopback address.
func loopbackRemote(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// loopbackHost reports whether a Host header names the loopback
// interface: "localhost" or a loopback IP, with or without a port.
func loopbackHost(host string) bool {
	if host == "" {
		return false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// sessionRequest is the body of POST /v1/session.
type sessionRequest struct {
	Token string `json:"token"`
}

// sessionCookie returns the session cookie for value; an empty value
// and maxAge -1 clear it.
func sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: value, Path: "/v1", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
}

// signIn serves POST /v1/session: it checks the token and sets it as the
// session cookie. Only a Handler authenticating with *Tokens has it.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	tokens, ok := h.cfg.Auth.(*Tokens)
	if !ok {
		writeError(w, errNotServed)
		return
	}
	var req sessionRequest
	if err := decodeJSON(w, r, h.jsonLimit(), &req); err != nil {
		writeError(w, err)
		return
	}
	if _, err := tokens.lookup(r.Context(), req.Token); err != nil {
		writeError(w, err)
		return
	}
	http.SetCookie(w, sessionCookie(r, req.Token, 0))
	w.WriteHeader(http.StatusNoContent)
}

// signOut serves DELETE /v1/session: it clears the session cookie. The
// token itself stays valid (revoke it with `picfre accounts`).
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, sessionCookie(r, "", -1))
	w.WriteHeader(http.StatusNoContent)
}
