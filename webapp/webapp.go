// Package webapp is picfre's reference web app: static files embedded in
// the binary, served with a strict Content-Security-Policy, talking to the
// HTTP API (package httpapi) under /v1 of the same origin.
package webapp

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the web app at "/". Mount the API at "/v1/" beside it.
func Handler() http.Handler {
	sub, _ := fs.Sub(static, "static")
	return http.FileServerFS(sub)
}
