// Package httpapi is picfre's HTTP API for custom frontends: an
// http.Handler over the job service, the credit ledger and the
// data-subject rights, versioned under /v1, with an OpenAPI 3.1 document at
// /v1/openapi.json.
package httpapi
