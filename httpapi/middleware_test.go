package httpapi_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/internal/testenv"
)

// tableRoutes parses routes.go's routeTable: the "METHOD /path" patterns
// New registers.
func tableRoutes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var pats []string
	ast.Inspect(f, func(n ast.Node) bool {
		fd, ok := n.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "routeTable" {
			return true
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok || len(cl.Elts) != 3 {
				return true
			}
			lit, ok := cl.Elts[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			p, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			pats = append(pats, p)
			return false
		})
		return false
	})
	if len(pats) == 0 {
		t.Fatal("no routes found in routes.go's routeTable")
	}
	return pats
}

// docRoutes is the document's operations as "METHOD /path".
func docRoutes(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for p, item := range d.Paths {
		for m := range item {
			switch m {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				ops = append(ops, strings.ToUpper(m)+" "+p)
			}
		}
	}
	return ops
}

func TestRoutesMatchDocument(t *testing.T) {
	routes := tableRoutes(t)
	ops := docRoutes(t, httpapi.OpenAPI())
	for _, r := range routes {
		if slices.Contains(ops, r) {
			continue
		}
		t.Errorf("route %s is not in the document", r)
	}
	for _, op := range ops {
		if !slices.Contains(routes, op) {
			t.Errorf("the document's %s is not a route", op)
		}
	}
	seen := map[string]bool{}
	for _, r := range routes {
		if seen[r] {
			t.Errorf("route %s registered twice", r)
		}
		seen[r] = true
	}
}

func TestOpenAPIDocument(t *testing.T) {
	a, b := httpapi.OpenAPI(), httpapi.OpenAPI()
	if a == nil || !bytes.Equal(a, b) {
		t.Fatal("OpenAPI is nil or not deterministic")
	}
	var d struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title, Version string
		} `json:"info"`
		Security   []map[string][]string `json:"security"`
		Components struct {
			Schemas         map[string]json.RawMessage `json:"schemas"`
			SecuritySchemes map[string]struct {
				Type, Scheme, In, Name string
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(a, &d); err != nil {
		t.Fatal(err)
	}
	if d.OpenAPI != "3.1.0" || d.Info.Title != "picfre" || d.Info.Version != "1" {
		t.Errorf("openapi %q, info %+v", d.OpenAPI, d.Info)
	}
	if len(d.Security) != 2 || d.Security[0]["bearer"] == nil || d.Security[1]["cookie"] == nil {
		t.Errorf("security %v", d.Security)
	}
	if s := d.Components.SecuritySchemes["bearer"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("bearer scheme %+v", s)
	}
	if s := d.Components.SecuritySchemes["cookie"]; s.Type != "apiKey" || s.In != "cookie" || s.Name != "picfre_session" {
		t.Errorf("cookie scheme %+v", s)
	}
	for _, name := range []string{"Error", "JobOptions", "Job", "File", "Event", "Result"} {
		if d.Components.Schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
	// Served as it is, and validated by the harness like any answer.
	api := newTestAPI(t, withWorkers(-1))
	r := api.anon.do(t, "GET", "/v1/openapi.json", nil)
	r.want(t, http.StatusOK, "")
	if !bytes.Equal(r.body, a) {
		t.Error("GET /v1/openapi.json is not OpenAPI()")
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	r := api.a.unchecked().do(t, "GET", "/v1/nothing", nil)
	r.want(t, http.StatusNotFound, "not_found")
	r = api.anon.unchecked().do(t, "GET", "/elsewhere", nil)
	r.want(t, http.StatusNotFound, "not_found")

	r = api.a.unchecked().do(t, "PUT", "/v1/jobs", nil)
	r.want(t, http.StatusMethodNotAllowed, "invalid_argument")
	allow := r.header.Get("Allow")
	for _, m := range []string{"GET", "POST"} {
		if !strings.Contains(allow, m) {
			t.Errorf("Allow %q lacks %s", allow, m)
		}
	}
	// The same without credentials: a wrong method is told before
	// authentication, and says nothing of any account.
	api.anon.unchecked().do(t, "PATCH", "/v1/jobs/x", nil).want(t, http.StatusMethodNotAllowed, "invalid_argument")
}

func TestUnauthenticated(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	for _, c := range []*client{api.anon, {api: api, token: "pfr_wrong"}} {
		var r *resp
		if c.token == "" {
			r = c.invalid().do(t, "GET", "/v1/jobs", nil) // the document requires credentials
		} else {
			r = c.do(t, "GET", "/v1/jobs", nil) // a wrong token is a well-formed request
		}
		r.want(t, http.StatusUnauthorized, "unauthenticated")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
		}
		if strings.Contains(string(r.body), "pfr_") || strings.Contains(string(r.body), "test:") {
			t.Errorf("the answer repeats the token or the authenticator's words: %s", r.body)
		}
	}
	// The session cookie authenticates too.
	r := api.anon.do(t, "GET", "/v1/jobs", nil, "Cookie", "picfre_session="+tokenA)
	r.want(t, http.StatusOK, "")
}

func TestCrossOrigin(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) {
		c.TrustedOrigins = []string{"https://app.example.com"}
	}))
	body := newForm().file("a.jpg", photo(t, 1))
	// A browser's cross-site POST is refused before anything is read.
	r := api.a.do(t, "POST", "/v1/jobs", body, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	r.want(t, http.StatusForbidden, "permission_denied")
	// Safe methods pass.
	api.a.do(t, "GET", "/v1/jobs", nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example").want(t, http.StatusOK, "")
	// So does a trusted origin, and a same-origin request.
	api.a.do(t, "POST", "/v1/jobs", newForm().file("a.jpg", photo(t, 1)), "Origin", "https://app.example.com", "Sec-Fetch-Site", "cross-site").want(t, http.StatusCreated, "")
	api.a.do(t, "POST", "/v1/jobs", newForm().file("a.jpg", photo(t, 2)), "Sec-Fetch-Site", "same-origin").want(t, http.StatusCreated, "")

	if _, err := httpapi.New(httpapi.Config{Jobs: api.svc, Auth: api.cfg.Auth, TrustedOrigins: []string{"not an origin"}}); errcode.Of(err) != errcode.InvalidArgument {
		t.Errorf("New with a bad origin: %v", err)
	}
}

// clock is a settable clock for the rate limits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestRateLimits(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)}
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) {
		c.Now = clk.now
		c.RequestsPerMinute, c.RequestBurst = 60, 3
		c.UploadsPerMinute, c.UploadBurst = 6, 1
	}))
	for range 3 {
		api.a.do(t, "GET", "/v1/jobs", nil).want(t, http.StatusOK, "")
	}
	r := api.a.do(t, "GET", "/v1/jobs", nil)
	r.want(t, http.StatusTooManyRequests, "rate_limited")
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1 (one request a second)", got)
	}
	// Another account has its own bucket.
	api.b.do(t, "GET", "/v1/jobs", nil).want(t, http.StatusOK, "")
	// A second later there is a token again.
	clk.add(time.Second)
	api.a.do(t, "GET", "/v1/jobs", nil).want(t, http.StatusOK, "")

	// Uploads: one, then 429 with the wait until the next (10 s).
	clk.add(time.Minute)
	api.a.do(t, "POST", "/v1/jobs", newForm().file("a.jpg", photo(t, 1))).want(t, http.StatusCreated, "")
	r = api.a.do(t, "POST", "/v1/jobs", newForm().file("b.jpg", photo(t, 2)))
	r.want(t, http.StatusTooManyRequests, "rate_limited")
	if got := r.header.Get("Retry-After"); got != "10" {
		t.Errorf("upload Retry-After %q, want 10", got)
	}
	// The refused upload left nothing behind.
	var list struct{ Jobs []json.RawMessage }
	api.a.do(t, "GET", "/v1/jobs", nil).decode(t, &list)
	if len(list.Jobs) != 1 {
		t.Errorf("%d jobs after one upload and one refused", len(list.Jobs))
	}
	clk.add(10 * time.Second)
	api.a.do(t, "POST", "/v1/jobs", newForm().file("b.jpg", photo(t, 2))).want(t, http.StatusCreated, "")
}

func TestRecoverAndLog(t *testing.T) {
	var buf testenv.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) {
		inner := c.Auth
		c.Logger = logger
		c.Auth = httpapi.AuthenticatorFunc(func(r *http.Request) (string, error) {
			if r.Header.Get("X-Panic") != "" {
				panic("secret detail pfr_leak " + r.Header.Get("X-Panic"))
			}
			return inner.Authenticate(r)
		})
	}))
	r := api.a.do(t, "GET", "/v1/jobs", nil, "X-Panic", "name.jpg")
	r.want(t, http.StatusInternalServerError, "internal")
	if strings.Contains(string(r.body), "secret") {
		t.Errorf("the panic reached the client: %s", r.body)
	}
	api.a.do(t, "GET", "/v1/jobs/nope", nil).want(t, http.StatusNotFound, "not_found")

	out := buf.String()
	for _, leak := range []string{"secret", "pfr_", "name.jpg", accountA, "nope"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log holds %q:\n%s", leak, out)
		}
	}
	var found bool
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["route"] == "GET /v1/jobs/{id}" && rec["status"] == float64(404) && rec["code"] == "not_found" && rec["method"] == "GET" {
			if _, ok := rec["duration"]; ok {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no record of the 404 with route, status, code and duration:\n%s", out)
	}
	if !strings.Contains(out, `"status":500`) || !strings.Contains(out, "panicked") {
		t.Errorf("no record of the panic:\n%s", out)
	}
}
