// Package httpapi is picfre's HTTP API for custom frontends: an
// http.Handler over the job service (package jobs), the credit ledger
// and the data-subject rights (privacy.Subjects), versioned under /v1,
// with its OpenAPI 3.1 document at /v1/openapi.json (OpenAPI returns the
// same bytes). Every answer the package's tests receive is validated
// against that document.
//
// # Endpoints
//
//   - Jobs: POST /v1/jobs uploads a job as one multipart/form-data request
//     (an optional "options" part first, then "file" parts), each file's
//     type sniffed from its first bytes — one the service does not take
//     fails the whole request, 415 unsupported_media — and the file
//     streamed into the spool as it arrives, never held whole in memory;
//     GET /v1/jobs and /v1/jobs/{id} report state and counts; GET
//     /v1/jobs/{id}/events streams progress as Server-Sent Events; GET
//     /v1/jobs/{id}/results gives the results as JSON (consume=true
//     deletes each from the server once sent), results.csv as an agency's
//     upload CSV, files/{index}/xmp as an XMP sidecar; POST .../cancel and
//     DELETE end a job and delete its content and results now.
//   - Estimates and renderings that keep nothing: POST /v1/estimate
//     prices files from what a browser knows before uploading (kind,
//     size, running time); POST /v1/render/csv, /render/xmp and
//     /render/jpeg turn metadata the user edited into an agency's CSV, a
//     sidecar or a JPEG with the metadata embedded.
//   - Account: GET /v1/account (balance), /v1/account/history,
//     /v1/agencies (each agency's limits, for warnings while editing).
//   - Data-subject rights: GET /v1/privacy/export (a JSON download), PATCH
//     /v1/privacy/contact, PUT /v1/privacy/consent, POST /v1/privacy/age
//     (the age screen at sign-up), POST /v1/privacy/erase.
//   - Credits: GET /v1/credits/packs lists the packs Config.Payments sells;
//     POST /v1/credits/checkout {"pack"} opens the processor's hosted
//     checkout for the authenticated account and answers {"id","url"}, the
//     page to send the buyer to (return URLs from Config.PublicURL, or from a
//     trusted Origin, never from the Host header). POST /v1/payments/webhook
//     is the processor's webhook (Config.Payments' ServeHTTP),
//     unauthenticated: the processor signs its requests. The balance shows
//     owed credits (a refund or dispute after the credits were spent), and
//     blocked while any are owed.
//
// Errors are {"error":{"code","message"}} with the SDK's codes
// (errcode) and the status Code.HTTPStatus gives; messages never hold a
// request body, a file name, a token or an address, and internal
// failures say only their code.
//
// # Authentication and tenants
//
// Authentication is the embedder's: an Authenticator maps a request to an
// account (a session cookie, a JWT). Tokens authenticates API tokens
// (Authorization: Bearer, or the picfre_session cookie that POST
// /v1/session sets) over a TokenStore such as (*store.Accounts), which
// keeps only each token's hash. SingleUser serves one account to
// requests from the loopback only, with a loopback Host, so that neither
// another machine nor a web page using DNS rebinding reaches it.
//
// Every route is scoped to the authenticated account: another account's
// job ids answer exactly as ids that do not exist (404 not_found), and
// job ids are 128 random bits.
//
// # Hardening
//
// State-changing browser requests from other origins are refused
// (http.CrossOriginProtection; Config.TrustedOrigins adds origins);
// every answer carries a Content-Security-Policy that allows nothing,
// nosniff, no referrer and no caching; each account's uploads and
// requests are rate limited (429 rate_limited with Retry-After); JSON
// bodies, uploads, each uploaded file and the number of files are
// bounded (413 too_large); uploaded names are records, never paths. The
// server's own timeouts and header limits are the embedder's
// http.Server's: `picfre serve` shows a setting.
//
// # Concurrency
//
// A Handler is safe for concurrent use.
package httpapi
