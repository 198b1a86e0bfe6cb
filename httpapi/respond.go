package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/picfre/picfre/errcode"
)

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    errcode.Code `json:"code"`
	Message string       `json:"message"`
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v) // the client went away; nothing to tell it
}

// writeError answers err with its code's status and the error body. The
// message is the code's own description for internal errors, so that no
// detail of a bug, a driver or a path reaches a client; for the others it
// is the error's message, which the packages keep free of content, names
// and secrets.
func writeError(w http.ResponseWriter, err error) {
	code := errcode.Of(err)
	msg := err.Error()
	if code == errcode.Internal || code == errcode.Unavailable || code == errcode.BillingFailure {
		msg = code.Error()
	}
	if code == errcode.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="picfre"`)
	}
	writeJSON(w, code.HTTPStatus(), errorBody{Error: errorDetail{Code: code, Message: msg}})
}

// decodeJSON reads the request's JSON body into v: at most max bytes
// (413 too_large beyond), no unknown fields, one value (400
// invalid_argument otherwise).
func decodeJSON(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	body := http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errcode.Errorf(errcode.TooLarge, "request body over %d bytes", max)
		}
		if errors.Is(err, io.EOF) {
			return errcode.Errorf(errcode.InvalidArgument, "empty request body")
		}
		return errcode.Errorf(errcode.InvalidArgument, "request body is not the JSON expected")
	}
	if dec.More() {
		return errcode.Errorf(errcode.InvalidArgument, "request body holds more than one JSON value")
	}
	return nil
}

type accountKey struct{}

// withAccount returns ctx carrying the authenticated account.
func withAccount(ctx context.Context, account string) context.Context {
	return context.WithValue(ctx, accountKey{}, account)
}

// accountOf returns the request's authenticated account ("" on a public
// route).
func accountOf(r *http.Request) string {
	a, _ := r.Context().Value(accountKey{}).(string)
	return a
}
