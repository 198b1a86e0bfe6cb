package httpapi

import "net/http"

// Stubs of the account, rendering and privacy endpoints; each goes when
// its file implements it.

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request)         { panic(errNotImplemented) }
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request)        { panic(errNotImplemented) }
func (h *Handler) webhook(w http.ResponseWriter, r *http.Request)        { panic(errNotImplemented) }
func (h *Handler) account(w http.ResponseWriter, r *http.Request)        { panic(errNotImplemented) }
func (h *Handler) history(w http.ResponseWriter, r *http.Request)        { panic(errNotImplemented) }
func (h *Handler) agencies(w http.ResponseWriter, r *http.Request)       { panic(errNotImplemented) }
func (h *Handler) estimate(w http.ResponseWriter, r *http.Request)       { panic(errNotImplemented) }
func (h *Handler) renderCSV(w http.ResponseWriter, r *http.Request)      { panic(errNotImplemented) }
func (h *Handler) renderXMP(w http.ResponseWriter, r *http.Request)      { panic(errNotImplemented) }
func (h *Handler) renderJPEG(w http.ResponseWriter, r *http.Request)     { panic(errNotImplemented) }
func (h *Handler) privacyExport(w http.ResponseWriter, r *http.Request)  { panic(errNotImplemented) }
func (h *Handler) privacyCorrect(w http.ResponseWriter, r *http.Request) { panic(errNotImplemented) }
func (h *Handler) privacyConsent(w http.ResponseWriter, r *http.Request) { panic(errNotImplemented) }
func (h *Handler) privacyAge(w http.ResponseWriter, r *http.Request)     { panic(errNotImplemented) }
func (h *Handler) privacyErase(w http.ResponseWriter, r *http.Request)   { panic(errNotImplemented) }
