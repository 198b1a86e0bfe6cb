// Command service is a small HTTP service over picfre, the shape an
// embedder starts from: upload a file to be tagged and billed, read the
// balance, export and erase an account's data, with picfre's error codes
// as HTTP statuses.
//
//	go run ./examples/service -db sqlite:service.db
//	curl -H 'X-Account: acct-1' --data-binary @photo.jpg 'localhost:8081/tag?name=photo.jpg'
//
// The account comes from a header here; a real service authenticates its
// users first. The offline provider answers, so nothing leaves the
// machine; put provider.Resilient over a real one for production.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/provider/local"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/store"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	dsn := flag.String("db", "sqlite:service.db", "database: sqlite:PATH or a postgres:// URL")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	policy := retention.Policy{} // usage records three months, top-ups kept
	db, err := store.Open(ctx, *dsn, store.Options{Ledger: metering.Options{RefuseBefore: policy.Cutoff}})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	svc := &service{
		tagger: picfre.New(local.New(local.Options{}), picfre.Config{
			Meter:  db.Ledger(),
			Pricer: metering.Pricing{Rates: []metering.Rate{{Base: 1}}},
		}),
		ledger:   db.Ledger(),
		subjects: &privacy.Subjects{Ledger: db.Ledger(), Contacts: db.Contacts(), Retention: policy},
	}
	srv := &http.Server{Addr: *addr, Handler: svc.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("listening on http://%s", *addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// maxUpload bounds an upload; picfre refuses larger files anyway.
const maxUpload = 100 << 20

// service is the handlers over the pipeline, the ledger and the
// data-subject requests.
type service struct {
	tagger   picfre.Tagger
	ledger   *metering.Ledger
	subjects *privacy.Subjects
}

func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /tag", s.tag)
	mux.HandleFunc("GET /balance", s.balance)
	mux.HandleFunc("GET /export", s.export)
	mux.HandleFunc("POST /erase", s.erase)
	return mux
}

// tag tags the request body, billed to the account: a Result as JSON.
func (s *service) tag(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpload))
	if err != nil {
		writeError(w, errcode.Errorf(errcode.TooLarge, "upload is larger than %d bytes", maxUpload))
		return
	}
	// The name is for the account's records; picfre never sends it on.
	res, err := s.tagger.Tag(r.Context(), picfre.Bytes(r.URL.Query().Get("name"), data),
		picfre.Options{Account: r.Header.Get("X-Account"), Agency: r.URL.Query().Get("agency")})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *service) balance(w http.ResponseWriter, r *http.Request) {
	b, err := s.ledger.Balance(r.Context(), r.Header.Get("X-Account"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *service) export(w http.ResponseWriter, r *http.Request) {
	x, err := s.subjects.Export(r.Context(), r.Header.Get("X-Account"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

func (s *service) erase(w http.ResponseWriter, r *http.Request) {
	rep, err := s.subjects.Erase(r.Context(), r.Header.Get("X-Account"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// writeError answers with the error's code, its HTTP status and its
// message, which picfre keeps free of secrets, content and names.
func writeError(w http.ResponseWriter, err error) {
	code := errcode.Of(err)
	type body struct {
		Code    errcode.Code `json:"code"`
		Message string       `json:"message"`
	}
	writeJSON(w, code.HTTPStatus(), struct {
		Error body `json:"error"`
	}{body{code, err.Error()}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
