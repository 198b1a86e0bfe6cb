package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/stock"
)

// errNotServed answers a route whose part the Config leaves out (no
// Ledger, no Subjects, no Payments, no *Tokens): the same 404 as an
// unknown route.
var errNotServed = errcode.New(errcode.NotFound, "not found")

// jsonLimit is the bound of a JSON request body.
func (h *Handler) jsonLimit() int64 {
	if h.cfg.MaxJSONBytes > 0 {
		return h.cfg.MaxJSONBytes
	}
	return DefaultMaxJSONBytes
}

// fileCount is the most files (or items) one request may name.
func (h *Handler) fileCount() int {
	if h.cfg.MaxFiles > 0 {
		return h.cfg.MaxFiles
	}
	return jobs.DefaultMaxFiles
}

// accountAnswer is the JSON of GET /v1/account.
type accountAnswer struct {
	Account    string         `json:"account"`
	Balance    *balanceAnswer `json:"balance,omitempty"`
	SingleUser bool           `json:"single_user"`
}

// balanceAnswer is an account's balance. Owed is what refunds and lost
// disputes could not take back because the credits were already spent;
// while it is above zero the account is blocked from new work (Blocked)
// until a top-up settles it.
type balanceAnswer struct {
	Credits   int64 `json:"credits"`
	Held      int64 `json:"held"`
	Available int64 `json:"available"`
	Owed      int64 `json:"owed"`
	Blocked   bool  `json:"blocked"`
}

// account serves GET /v1/account.
func (h *Handler) account(w http.ResponseWriter, r *http.Request) {
	a := accountAnswer{Account: accountOf(r)}
	_, a.SingleUser = h.cfg.Auth.(*singleUser)
	if h.cfg.Ledger != nil {
		b, err := h.cfg.Ledger.Balance(r.Context(), a.Account)
		if err != nil {
			writeError(w, err)
			return
		}
		a.Balance = &balanceAnswer{Credits: b.Credits, Held: b.Held, Available: b.Available,
			Owed: b.Owed, Blocked: b.Owed > 0}
	}
	writeJSON(w, http.StatusOK, a)
}

// entryAnswer is one ledger entry of GET /v1/account/history.
type entryAnswer struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Credits   int64     `json:"credits"`
	Time      time.Time `json:"time"`
	File      string    `json:"file,omitempty"`
	Reference string    `json:"reference,omitempty"`
	Note      string    `json:"note,omitempty"`
}

// The notes of the summaries retention leaves in a history.
const (
	notePurgedUsage  = "usage records deleted after their retention period, summed"
	notePurgedTopUps = "top-ups deleted after their retention period, summed"
)

// entryOf maps a ledger entry to the API's: the kinds are topup, usage,
// refund and adjustment; the summaries of purged records appear as a
// usage or a top-up entry with a note and a fixed id.
func entryOf(e metering.Entry) entryAnswer {
	a := entryAnswer{ID: strconv.FormatInt(e.Seq, 10), Credits: e.Credits, Time: e.Time.UTC(),
		Reference: e.Ref, Note: e.Reason}
	switch e.Kind {
	case metering.KindTopUp:
		a.Kind = "topup"
	case metering.KindUsage:
		a.Kind = "usage"
		if e.Usage != nil {
			a.File = e.Usage.File
		}
	case metering.KindRefund:
		a.Kind = "refund"
	case metering.KindPurged:
		a.ID, a.Kind, a.Note = "purged_usage", "usage", notePurgedUsage
	case metering.KindPurgedTopUps:
		a.ID, a.Kind, a.Note = "purged_topups", "topup", notePurgedTopUps
	default: // metering.KindAdjust, and any kind a later ledger adds
		a.Kind = "adjustment"
	}
	return a
}

// history serves GET /v1/account/history: the ledger's entries in the
// order it recorded them.
func (h *Handler) history(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Ledger == nil {
		writeError(w, errNotServed)
		return
	}
	hist, err := h.cfg.Ledger.History(r.Context(), accountOf(r))
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]entryAnswer, 0, len(hist))
	for _, e := range hist {
		out = append(out, entryOf(e))
	}
	writeJSON(w, http.StatusOK, struct {
		Entries []entryAnswer `json:"entries"`
	}{out})
}

// agencyAnswer is one agency of GET /v1/agencies: its limits (zero: no
// limit) and categories.
type agencyAnswer struct {
	Name           string           `json:"name"`
	DisplayName    string           `json:"display_name"`
	TitleMax       int              `json:"title_max"`
	DescriptionMax int              `json:"description_max"`
	KeywordsMin    int              `json:"keywords_min"`
	KeywordsMax    int              `json:"keywords_max"`
	KeywordMaxLen  int              `json:"keyword_max_len"`
	TopKeywords    int              `json:"top_keywords"`
	CSV            bool             `json:"csv"`
	Categories     []categoryAnswer `json:"categories"`
}

type categoryAnswer struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// agencies serves GET /v1/agencies.
func (h *Handler) agencies(w http.ResponseWriter, r *http.Request) {
	ps := stock.Profiles()
	out := make([]agencyAnswer, 0, len(ps))
	for _, p := range ps {
		a := agencyAnswer{Name: p.Name, DisplayName: p.DisplayName, TitleMax: p.TitleMax,
			DescriptionMax: p.DescriptionMax, KeywordsMin: p.KeywordsMin, KeywordsMax: p.KeywordsMax,
			KeywordMaxLen: p.KeywordMaxLen, TopKeywords: p.TopKeywords, CSV: p.CSV != nil,
			Categories: make([]categoryAnswer, 0, len(p.Categories))}
		for _, c := range p.Categories {
			a.Categories = append(a.Categories, categoryAnswer{Code: c.Code, Name: c.Name})
		}
		out = append(out, a)
	}
	writeJSON(w, http.StatusOK, struct {
		Agencies []agencyAnswer `json:"agencies"`
	}{out})
}
