package httpapi

import "net/http"

// Stubs of the jobs endpoints; each goes when its file implements it.

func (h *Handler) jobEvents(w http.ResponseWriter, r *http.Request)     { panic(errNotImplemented) }
func (h *Handler) jobResults(w http.ResponseWriter, r *http.Request)    { panic(errNotImplemented) }
func (h *Handler) jobResultsCSV(w http.ResponseWriter, r *http.Request) { panic(errNotImplemented) }
func (h *Handler) fileXMP(w http.ResponseWriter, r *http.Request)       { panic(errNotImplemented) }
