package webapp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/picfre/picfre/webapp"
)

func TestHandlerHeaders(t *testing.T) {
	srv := httptest.NewServer(webapp.Handler())
	defer srv.Close()
	for _, tc := range []struct {
		path, wantType, wantBody string
	}{
		{"/", "text/html; charset=utf-8", `<script type="module" src="app.js">`},
		{"/app.js", "text/javascript; charset=utf-8", `import { api, APIError } from "./api.js";`},
		{"/api.js", "text/javascript; charset=utf-8", "export const api"},
		{"/app.css", "text/css; charset=utf-8", ":focus-visible"},
	} {
		res, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", tc.path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Type"); got != tc.wantType {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, tc.wantType)
		}
		if !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("GET %s: body lacks %q", tc.path, tc.wantBody)
		}
		for k, want := range map[string]string{
			"Content-Security-Policy": webapp.ContentSecurityPolicy,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-cache",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", tc.path, k, got, want)
			}
		}
	}
}

func TestHandlerRefusesOtherMethods(t *testing.T) {
	srv := httptest.NewServer(webapp.Handler())
	defer srv.Close()
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		req, _ := http.NewRequest(m, srv.URL+"/", strings.NewReader("x"))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s /: status %d, want 405", m, res.StatusCode)
		}
		if got := res.Header.Get("Allow"); got != "GET, HEAD" {
			t.Errorf("%s /: Allow %q", m, got)
		}
		if got := res.Header.Get("Content-Security-Policy"); got != webapp.ContentSecurityPolicy {
			t.Errorf("%s /: no CSP on the 405", m)
		}
	}
	res, err := http.Head(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("HEAD /: status %d, want 200", res.StatusCode)
	}
}

func TestHandlerUnknownPath(t *testing.T) {
	srv := httptest.NewServer(webapp.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/nothing-here.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", res.StatusCode)
	}
}

// The policy forbids inline scripts, inline styles and inline handlers, and
// loads from other origins: the files must need none of them.
func TestStaticFilesFitThePolicy(t *testing.T) {
	h := webapp.Handler()
	get := func(path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	html := get("/")
	for _, tag := range regexp.MustCompile(`<script\b[^>]*>([^<]*)</script>`).FindAllStringSubmatch(html, -1) {
		if !strings.Contains(tag[0], ` src="`) || strings.TrimSpace(tag[1]) != "" {
			t.Errorf("index.html has an inline script: %q", tag[0])
		}
	}
	for _, b := range []struct {
		what string
		re   *regexp.Regexp
	}{
		{"a style element", regexp.MustCompile(`<style[\s>]`)},
		{"a style attribute", regexp.MustCompile(`\sstyle=`)},
		{"an inline handler", regexp.MustCompile(`\son[a-z]+=`)},
		{"a javascript: URL", regexp.MustCompile(`(?i)javascript:`)},
		{"another origin", regexp.MustCompile(`(?i)(src|href)="(https?:)?//`)},
	} {
		if m := b.re.FindString(html); m != "" {
			t.Errorf("index.html has %s: %q", b.what, m)
		}
	}
	for _, path := range []string{"/app.js", "/api.js", "/app.css"} {
		src := get(path)
		for _, b := range []struct {
			what string
			re   *regexp.Regexp
		}{
			{"another origin", regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/`)},
			{"eval", regexp.MustCompile(`\beval\(|new Function\(`)},
			{"innerHTML", regexp.MustCompile(`\.innerHTML\s*=|insertAdjacentHTML`)},
			{"a style attribute written as HTML", regexp.MustCompile(`setAttribute\("style"`)},
			{"an @import", regexp.MustCompile(`@import`)},
		} {
			if m := b.re.FindString(src); m != "" {
				t.Errorf("%s has %s: %q", path, b.what, m)
			}
		}
	}
}

// Every form control in the page has a label.
func TestControlsAreLabelled(t *testing.T) {
	rec := httptest.NewRecorder()
	webapp.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	html := rec.Body.String()
	ids := regexp.MustCompile(`<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(ids) < 10 {
		t.Fatalf("found %d controls; the page has more", len(ids))
	}
	for _, m := range ids {
		if !strings.Contains(html, `for="`+m[1]+`"`) {
			t.Errorf("control #%s has no <label for>", m[1])
		}
	}
	// Controls without an id are the template's, labelled by app.js.
	if n := len(regexp.MustCompile(`<(?:input|select|textarea)\b`).FindAllString(html, -1)); n-len(ids) > 4 {
		t.Errorf("%d controls have no id", n-len(ids))
	}
}
