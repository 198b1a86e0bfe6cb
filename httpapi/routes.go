package httpapi

import "net/http"

// route is one endpoint: its ServeMux pattern ("METHOD /path"), its
// handler method and its flags.
type route struct {
	pattern string
	fn      func(http.ResponseWriter, *http.Request)
	flags   int
}

// Route flags.
const (
	public = 1 << iota // no authentication, no per-account rate limit
	upload             // a streamed upload: the upload rate limit as well
)

// routeTable is every endpoint, in one table: New registers exactly
// these, and the OpenAPI document lists exactly these
// (TestRoutesMatchDocument).
func (h *Handler) routeTable() []route {
	return []route{
		// No authentication.
		{"GET /v1/openapi.json", h.openAPI, public},
		{"POST /v1/session", h.signIn, public},
		{"POST /v1/payments/webhook", h.webhook, public},

		// Jobs (jobs.go, events.go, results.go).
		{"POST /v1/jobs", h.createJob, upload},
		{"GET /v1/jobs", h.listJobs, 0},
		{"GET /v1/jobs/{id}", h.getJob, 0},
		{"DELETE /v1/jobs/{id}", h.deleteJob, 0},
		{"POST /v1/jobs/{id}/cancel", h.cancelJob, 0},
		{"GET /v1/jobs/{id}/events", h.jobEvents, 0},
		{"GET /v1/jobs/{id}/results", h.jobResults, 0},
		{"GET /v1/jobs/{id}/results.csv", h.jobResultsCSV, 0},
		{"GET /v1/jobs/{id}/files/{index}/xmp", h.fileXMP, 0},

		// Account, estimate, rendering (account.go, estimate.go, render.go).
		{"DELETE /v1/session", h.signOut, 0},
		{"GET /v1/account", h.account, 0},
		{"GET /v1/account/history", h.history, 0},
		{"GET /v1/agencies", h.agencies, 0},

		// Credits on sale (payments.go); a checkout calls the processor,
		// so it counts against the upload limit as well.
		{"GET /v1/credits/packs", h.packs, 0},
		{"POST /v1/credits/checkout", h.checkout, upload},
		{"POST /v1/estimate", h.estimate, 0},
		{"POST /v1/render/csv", h.renderCSV, 0},
		{"POST /v1/render/xmp", h.renderXMP, 0},
		{"POST /v1/render/jpeg", h.renderJPEG, upload},

		// Data-subject rights (privacy.go).
		{"GET /v1/privacy/export", h.privacyExport, 0},
		{"PATCH /v1/privacy/contact", h.privacyCorrect, 0},
		{"PUT /v1/privacy/consent", h.privacyConsent, 0},
		{"POST /v1/privacy/age", h.privacyAge, 0},
		{"POST /v1/privacy/erase", h.privacyErase, 0},
	}
}

// routes registers every route of routeTable on the mux, each wrapped in
// its middleware (authentication, rate limits).
func (h *Handler) routes() {
	for _, rt := range h.routeTable() {
		h.mux.Handle(rt.pattern, h.route(rt))
	}
}
