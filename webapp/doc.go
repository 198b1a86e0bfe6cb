// Package webapp is picfre's reference web app: static files embedded in
// the binary (go:embed), served with a strict Content-Security-Policy,
// talking to the HTTP API (package httpapi) under /v1 of the same origin.
//
// # What a contributor can do
//
// Sign in with an API token (or nothing, in single-user mode); choose the
// agency, the task, the language and the number of keywords; drop files
// or a folder, or choose them; see the estimate in credits and the balance
// before starting; follow the upload and each file's progress (Server-Sent
// Events); edit the results in a grid — title, description, keywords
// added, deleted and reordered — with the agency's limits shown as
// warnings; download each agency's upload CSV, XMP sidecars and JPEGs with
// the metadata embedded, all made from what was edited; see the balance
// and the history; export and erase their data and set their consent.
//
// # What stays where
//
// Thumbnails are object URLs of the local files: no image is uploaded or
// kept for them. Results are fetched with consume=true, so the server
// deletes each one as it hands it over, and the page keeps them in memory
// only. The downloads are rendered statelessly by /v1/render/*.
//
// # Building and security
//
// The app is plain JavaScript modules, HTML and CSS: no build step, no
// framework, no third-party script, style or font. It sets no inline
// script, style or handler, so it runs under ContentSecurityPolicy. Every
// control is labelled; progress goes to a polite live region and errors to
// an alert, with the API's message.
//
// # Mounting
//
//	mux := http.NewServeMux()
//	mux.Handle("/v1/", api) // an *httpapi.Handler
//	mux.Handle("/", webapp.Handler())
//
// The browser test (browser_test.go) drives the app in Debian's chromium
// through chromedp against the real API, job service and ledger.
package webapp
