package httpapi_test

// The test harness every httpapi test uses: a real job service (an SQLite
// file, a file:// spool, the fake provider billed through a real
// ledger), the API over it on a loopback server, and clients that
// validate every request they send and every answer they get against
// the OpenAPI document the server serves.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/store"
)

// The two accounts of every test API, with their tokens.
const (
	accountA = "acct_a"
	accountB = "acct_b"
	tokenA   = "pfr_test_token_a"
	tokenB   = "pfr_test_token_b"
)

// apiOptions tune newTestAPI.
type apiOptions struct {
	workers  int                   // the service's workers (2 when zero; negative: none)
	credits  int64                 // each account's top-up (1000 when zero; negative: none)
	config   func(*httpapi.Config) // changes to the API's Config before New
	jobs     func(*jobs.Config)    // changes to the service's Config before Open
	lifetime time.Duration
}

type apiOption func(*apiOptions)

// withConfig changes the API's Config.
func withConfig(f func(*httpapi.Config)) apiOption {
	return func(o *apiOptions) { o.config = f }
}

// withWorkers sets the service's workers (negative: none, so that jobs
// stay queued).
func withWorkers(n int) apiOption { return func(o *apiOptions) { o.workers = n } }

// withCredits sets each account's credits (negative: none at all).
func withCredits(n int64) apiOption { return func(o *apiOptions) { o.credits = n } }

// testAPI is one API over one service, served on the loopback.
type testAPI struct {
	srv    *httptest.Server
	svc    *jobs.Service
	spool  *blob.Bucket
	db     *store.DB
	ledger *metering.Ledger
	fake   *fake.Provider
	cfg    httpapi.Config
	doc    *openapi3.T
	router routers.Router

	a, b, anon *client
}

// client sends requests as one account (or none) and validates them.
type client struct {
	api   *testAPI
	token string
	mode  reqMode
}

type reqMode int

const (
	checked   reqMode = iota // the request must be valid, and the answer
	invalid                  // the request must be one the document refuses; the answer is still validated
	unchecked                // the request is not validated (one the document cannot tell from a good one); the answer is
)

// invalid returns c for a request the document must refuse.
func (c *client) invalid() *client { d := *c; d.mode = invalid; return &d }

// unchecked returns c for a request the document cannot judge (a body
// over a limit, a part out of order): only the answer is validated.
func (c *client) unchecked() *client { d := *c; d.mode = unchecked; return &d }

// registerDecoders teaches kin-openapi the media types it has no decoder
// of its own for: it keeps them as strings, which the document describes
// them as. kin-openapi's registry is process-wide, hence the Once.
var registerDecoders sync.Once

func newTestAPI(t testing.TB, opts ...apiOption) *testAPI {
	t.Helper()
	registerDecoders.Do(func() {
		for _, ct := range []string{"text/event-stream", "application/rdf+xml", "image/jpeg"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
		}
	})
	var o apiOptions
	for _, f := range opts {
		f(&o)
	}
	if o.workers == 0 {
		o.workers = 2
	}
	if o.credits == 0 {
		o.credits = 1000
	}
	ctx := context.Background()
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "picfre.db")
	api := &testAPI{}
	var err error
	api.db, err = store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.db.Close() })
	api.ledger = api.db.Ledger()
	api.spool, err = blob.OpenBucket(ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "spool"))+"?create_dir=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.spool.Close() })
	api.fake = fake.New(fake.Options{})
	pricing := metering.Pricing{Rates: []metering.Rate{{Base: 1}}}
	pl := picfre.New(api.fake, picfre.Config{Meter: api.ledger, Pricer: pricing})
	jc := jobs.Config{
		Tagger: pl, Spool: api.spool, Ledger: api.ledger, Pricer: pricing,
		Workers: o.workers, PollInterval: 20 * time.Millisecond, ResultLifetime: o.lifetime,
	}
	if o.jobs != nil {
		o.jobs(&jc)
	}
	api.svc, err = jobs.Open(ctx, dsn, jc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.svc.Close(context.Background()) })
	if o.credits > 0 {
		for _, acct := range []string{accountA, accountB} {
			if _, err := api.ledger.TopUp(ctx, metering.TopUp{Account: acct, Credits: o.credits, PaymentRef: "pay-" + acct}); err != nil {
				t.Fatal(err)
			}
		}
	}
	subjects := &privacy.Subjects{Contacts: api.db.Contacts(), Ledger: api.ledger, Jobs: api.svc}
	tokens := map[string]string{tokenA: accountA, tokenB: accountB}
	api.cfg = httpapi.Config{
		Jobs:      api.svc,
		Auth:      httpapi.AuthenticatorFunc(func(r *http.Request) (string, error) { return mapAuth(tokens, r) }),
		Ledger:    api.ledger,
		Pricer:    pricing,
		Estimator: pl,
		Subjects:  subjects,
	}
	if o.config != nil {
		o.config(&api.cfg)
	}
	h, err := httpapi.New(api.cfg)
	if err != nil {
		t.Fatal(err)
	}
	api.srv = httptest.NewServer(h)
	t.Cleanup(api.srv.Close)
	api.a = &client{api: api, token: tokenA}
	api.b = &client{api: api, token: tokenB}
	api.anon = &client{api: api}
	api.loadDocument(t)
	return api
}

// mapAuth authenticates by a bearer token or the session cookie, from
// a map of tokens to accounts: the tests' Authenticator.
func mapAuth(tokens map[string]string, r *http.Request) (string, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		if c, err := r.Cookie("picfre_session"); err == nil {
			tok = c.Value
		}
	}
	if acct, ok := tokens[tok]; ok && tok != "" {
		return acct, nil
	}
	return "", errUnauth
}

var errUnauth = errcode.New(errcode.Unauthenticated, "test: no such token")

// loadDocument fetches the served document and builds the router the
// validation matches requests with.
func (api *testAPI) loadDocument(t testing.TB) {
	t.Helper()
	res, err := api.srv.Client().Get(api.srv.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json: %d %v", res.StatusCode, err)
	}
	if !bytes.Equal(body, httpapi.OpenAPI()) {
		t.Fatal("the served document is not OpenAPI()")
	}
	loader := openapi3.NewLoader()
	api.doc, err = loader.LoadFromData(body)
	if err != nil {
		t.Fatalf("loading the document: %v", err)
	}
	if err := api.doc.Validate(loader.Context); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	api.router, err = legacy.NewRouter(api.doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
}

// resp is one answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// decode decodes the answer's JSON into v.
func (r *resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// errorBody is the API's error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// code returns an error answer's code ("" for an answer that is not one).
func (r *resp) code(t testing.TB) string {
	t.Helper()
	var e errorBody
	if json.Unmarshal(r.body, &e) != nil {
		return ""
	}
	return e.Error.Code
}

// want fails the test unless the answer has status (and, for an error,
// code).
func (r *resp) want(t testing.TB, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if code != "" {
		if got := r.code(t); got != code {
			t.Fatalf("code %q, want %q: %s", got, code, r.body)
		}
	}
}

// do sends one request and returns the answer. body is nil, a []byte,
// a string or a *form (multipart); headers are name, value pairs. The
// request is validated against the document (c.mode), and so is the
// answer: its status among the operation's, its headers and its body;
// an answer to a request no operation matches must be the Error schema.
// Every answer must carry the security headers.
func (c *client) do(t testing.TB, method, path string, body any, headers ...string) *resp {
	t.Helper()
	var data []byte
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		data, ctype = b, "application/json"
	case string:
		data, ctype = []byte(b), "application/json"
	case *form:
		data, ctype = b.bytes(), b.contentType()
	case rawBody:
		data, ctype = b.data, b.ctype
	default:
		t.Fatalf("do: body of type %T", body)
	}
	newReq := func() *http.Request {
		var rd io.Reader = http.NoBody
		if data != nil {
			rd = bytes.NewReader(data)
		}
		req, err := http.NewRequest(method, c.api.srv.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		if len(headers)%2 != 0 {
			t.Fatal("do: headers are name, value pairs")
		}
		for i := 0; i < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return req
	}

	// The request, as the document sees it.
	vreq := newReq()
	route, params, routeErr := c.api.router.FindRoute(vreq)
	var input *openapi3filter.RequestValidationInput
	if routeErr == nil {
		input = &openapi3filter.RequestValidationInput{
			Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: checkCredentials},
		}
		err := openapi3filter.ValidateRequest(context.Background(), input)
		switch c.mode {
		case checked:
			if err != nil {
				t.Fatalf("%s %s: the request does not validate: %v", method, path, err)
			}
		case invalid:
			if err == nil {
				t.Fatalf("%s %s: the document takes a request the test means to be invalid", method, path)
			}
		}
	} else if c.mode == checked {
		t.Fatalf("%s %s: no operation of the document matches: %v", method, path, routeErr)
	}

	// The request, sent.
	res, err := c.api.srv.Client().Do(newReq())
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	rbody, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	r := &resp{status: res.StatusCode, header: res.Header, body: rbody}

	// The answer, validated.
	for name, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	} {
		if got := res.Header.Get(name); got != want {
			t.Fatalf("%s %s: %s is %q, want %q", method, path, name, got, want)
		}
	}
	if input != nil {
		// A fresh input: the request's own body was consumed above.
		input.Request = newReq()
		err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: input,
			Status:                 r.status,
			Header:                 r.header,
			Body:                   io.NopCloser(bytes.NewReader(rbody)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		})
		if err != nil {
			t.Fatalf("%s %s: the answer %d does not validate: %v\n%s", method, path, r.status, err, clip(rbody))
		}
	} else {
		c.api.mustBeError(t, r)
	}
	return r
}

// mustBeError fails the test unless r is a JSON error answer as the
// document's Error schema describes it.
func (api *testAPI) mustBeError(t testing.TB, r *resp) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error answer of type %q: %s", ct, clip(r.body))
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("error answer is not JSON: %s", clip(r.body))
	}
	ref := api.doc.Components.Schemas["Error"]
	if ref == nil || ref.Value == nil {
		t.Fatal("the document has no Error schema")
	}
	if err := ref.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		t.Fatalf("error answer does not match Error: %v\n%s", err, clip(r.body))
	}
}

// checkCredentials is the document's security as kin-openapi checks it:
// a bearer token, or the session cookie, is present.
func checkCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearer":
		if strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
			return nil
		}
	case "cookie":
		if _, err := req.Cookie("picfre_session"); err == nil {
			return nil
		}
	}
	return in.NewError(nil)
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// rawBody is a body of any bytes and content type.
type rawBody struct {
	data  []byte
	ctype string
}

// form is a multipart body under construction.
type form struct {
	buf bytes.Buffer
	w   *multipart.Writer
}

func newForm() *form {
	f := &form{}
	f.w = multipart.NewWriter(&f.buf)
	return f
}

// options adds an options part with the JSON s.
func (f *form) options(s string) *form { return f.jsonPart("options", s) }

// jsonPart adds a part name of type application/json holding s.
func (f *form) jsonPart(name, s string) *form {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+name+`"`)
	h.Set("Content-Type", "application/json")
	pw, err := f.w.CreatePart(h)
	if err != nil {
		panic(err)
	}
	_, _ = io.WriteString(pw, s)
	return f
}

// file adds a file part.
func (f *form) file(name string, content []byte) *form {
	return f.part("file", name, content)
}

// part adds a part with any field name and file name ("" for none).
func (f *form) part(field, filename string, content []byte) *form {
	h := textproto.MIMEHeader{}
	if filename == "" {
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, field))
	} else {
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
		h.Set("Content-Type", "application/octet-stream")
	}
	pw, err := f.w.CreatePart(h)
	if err != nil {
		panic(err)
	}
	_, _ = pw.Write(content)
	return f
}

func (f *form) bytes() []byte {
	_ = f.w.Close()
	return f.buf.Bytes()
}

func (f *form) contentType() string { return f.w.FormDataContentType() }

// photo is testenv.Photo: a small JPEG of its own for every i.
func photo(t testing.TB, i int) []byte { return testenv.Photo(t, i) }

// spoolObjects lists the keys of every object in the spool.
func (api *testAPI) spoolObjects(t testing.TB) []string {
	t.Helper()
	var keys []string
	it := api.spool.List(nil)
	for {
		obj, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
}

// waitFinal polls the job through the API until it is final.
func (c *client) waitFinal(t testing.TB, id string) *jobs.Job {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var j jobs.Job
		c.do(t, "GET", "/v1/jobs/"+id, nil).decode(t, &j)
		if !j.Finished.IsZero() {
			return &j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not final after a minute: %+v", id, j)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline, not synchronisation by sleep
	}
}
