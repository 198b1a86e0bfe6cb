package httpapi

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/payments"
)

// packs serves GET /v1/credits/packs: the processor's packs, in its
// order.
func (h *Handler) packs(w http.ResponseWriter, r *http.Request) {
	p := h.cfg.Payments
	if p == nil {
		writeError(w, errNotServed)
		return
	}
	ps := p.Packs()
	if ps == nil {
		ps = []payments.Pack{} // [], not null
	}
	writeJSON(w, http.StatusOK, struct {
		Packs []payments.Pack `json:"packs"`
	}{ps})
}

// The errors of POST /v1/credits/checkout. Neither repeats what the
// client sent.
var (
	errUnknownPack = errcode.New(errcode.InvalidArgument, "no such pack")
	errNoReturnURL = errcode.New(errcode.InvalidArgument,
		"no return address for the checkout: the server has no public URL and the request's origin is not trusted")
)

// checkout serves POST /v1/credits/checkout {"pack"}: a hosted checkout
// page selling the pack to the authenticated account, answered as
// {"id","url"}. The buyer returns to returnURL with checkout=success or
// checkout=cancel in the query.
func (h *Handler) checkout(w http.ResponseWriter, r *http.Request) {
	p := h.cfg.Payments
	if p == nil {
		writeError(w, errNotServed)
		return
	}
	var req struct {
		Pack string `json:"pack"`
	}
	if err := decodeJSON(w, r, h.jsonLimit(), &req); err != nil {
		writeError(w, err)
		return
	}
	if !slices.ContainsFunc(p.Packs(), func(k payments.Pack) bool { return k.Name == req.Pack }) {
		writeError(w, errUnknownPack)
		return
	}
	base, ok := h.returnURL(r)
	if !ok {
		writeError(w, errNoReturnURL)
		return
	}
	c, err := p.Checkout(r.Context(), payments.CheckoutRequest{
		Account:    accountOf(r),
		Pack:       req.Pack,
		SuccessURL: withQuery(base, "checkout", "success"),
		CancelURL:  withQuery(base, "checkout", "cancel"),
	})
	if err != nil {
		writeError(w, errcode.WrapIfNone(errcode.Unavailable, err))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}{c.ID, c.URL})
}

// returnURL is where a buyer comes back to after the processor's page:
// Config.PublicURL when set; otherwise the request's Origin header, but
// only when it is one of Config.TrustedOrigins. It is never built from
// the Host header, which any client sets as it likes.
func (h *Handler) returnURL(r *http.Request) (*url.URL, bool) {
	if h.publicURL != nil {
		u := *h.publicURL
		return &u, true
	}
	o := r.Header.Get("Origin")
	if o == "" || !slices.Contains(h.cfg.TrustedOrigins, o) {
		return nil, false
	}
	u, err := url.Parse(o + "/")
	if err != nil {
		return nil, false
	}
	return u, true
}

// withQuery returns u with name=value added to its query.
func withQuery(u *url.URL, name, value string) string {
	v := *u
	q := v.Query()
	q.Set(name, value)
	v.RawQuery = q.Encode()
	return v.String()
}

// parsePublicURL checks Config.PublicURL: an absolute http(s) URL with
// a host and no user, query or fragment.
func parsePublicURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, false
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, true
}

// webhook serves POST /v1/payments/webhook with the processor's
// ServeHTTP, its body bounded like any JSON body.
func (h *Handler) webhook(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Payments == nil {
		writeError(w, errNotServed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.jsonLimit())
	h.cfg.Payments.ServeHTTP(w, r)
}
