package httpapi

import "net/http"

// routes registers every endpoint. The OpenAPI document lists exactly
// these (TestRoutesMatchDocument).
func (h *Handler) routes() {
	// No authentication.
	h.handle("GET /v1/openapi.json", h.openAPI, public)
	h.handle("POST /v1/session", h.signIn, public)
	h.handle("POST /v1/payments/webhook", h.webhook, public)

	// Jobs (jobs.go, events.go, results.go).
	h.handle("POST /v1/jobs", h.createJob, upload)
	h.handle("GET /v1/jobs", h.listJobs, 0)
	h.handle("GET /v1/jobs/{id}", h.getJob, 0)
	h.handle("DELETE /v1/jobs/{id}", h.deleteJob, 0)
	h.handle("POST /v1/jobs/{id}/cancel", h.cancelJob, 0)
	h.handle("GET /v1/jobs/{id}/events", h.jobEvents, 0)
	h.handle("GET /v1/jobs/{id}/results", h.jobResults, 0)
	h.handle("GET /v1/jobs/{id}/results.csv", h.jobResultsCSV, 0)
	h.handle("GET /v1/jobs/{id}/files/{index}/xmp", h.fileXMP, 0)

	// Account, estimate, rendering (account.go, estimate.go, render.go).
	h.handle("DELETE /v1/session", h.signOut, 0)
	h.handle("GET /v1/account", h.account, 0)
	h.handle("GET /v1/account/history", h.history, 0)
	h.handle("GET /v1/agencies", h.agencies, 0)
	h.handle("POST /v1/estimate", h.estimate, 0)
	h.handle("POST /v1/render/csv", h.renderCSV, 0)
	h.handle("POST /v1/render/xmp", h.renderXMP, 0)
	h.handle("POST /v1/render/jpeg", h.renderJPEG, upload)

	// Data-subject rights (privacy.go).
	h.handle("GET /v1/privacy/export", h.privacyExport, 0)
	h.handle("PATCH /v1/privacy/contact", h.privacyCorrect, 0)
	h.handle("PUT /v1/privacy/consent", h.privacyConsent, 0)
	h.handle("POST /v1/privacy/age", h.privacyAge, 0)
	h.handle("POST /v1/privacy/erase", h.privacyErase, 0)
}

// Route flags.
const (
	public = 1 << iota // no authentication
	upload             // a streamed upload: the upload rate limit and size bounds
)

// handle registers one route. The skeleton only records it; the middleware
// (authentication, rate limits, body bounds) is built around fn here.
func (h *Handler) handle(pattern string, fn func(http.ResponseWriter, *http.Request), flags int) {
	h.mux.HandleFunc(pattern, fn)
}
