package webapp

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is the policy every answer of Handler carries. The
// app loads its own script and style only, shows images of the same origin
// and of object URLs (the thumbnails made in the browser), talks to its own
// origin only, and may not be framed.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; " +
	"base-uri 'none'; frame-ancestors 'none'"

// Handler serves the web app: index.html at "/", its script and style
// beside it. Mount the API (package httpapi) at "/v1/" of the same origin.
//
// Every answer carries ContentSecurityPolicy, X-Content-Type-Options:
// nosniff, Referrer-Policy: no-referrer and Cache-Control: no-cache (the
// browser revalidates, so a new binary's app is picked up at once). Methods
// other than GET and HEAD get 405. The handler is safe for concurrent use.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("webapp: the embedded files have no static folder") // unreachable: go:embed guarantees it
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		files.ServeHTTP(w, r)
	})
}
