package httpapi

import (
	"net/http"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/agegate"
	"github.com/picfre/picfre/privacy/custmatch"
)

// adultAge is the age from which a person is no minor in the answer of
// POST /v1/privacy/age.
const adultAge = 18

// correctionRequest is the body of PATCH /v1/privacy/contact: a field
// absent or null is left as it is; an empty email or phone deletes it,
// an empty birth_date forgets the date and the age check.
type correctionRequest struct {
	Email             *string `json:"email"`
	Phone             *string `json:"phone"`
	Country           *string `json:"country"`
	AdUserData        *string `json:"ad_user_data"`
	AdPersonalization *string `json:"ad_personalization"`
	EEA               *bool   `json:"eea"`
	OptedOut          *bool   `json:"opted_out"`
	BirthDate         *string `json:"birth_date"`
}

// consentRequest is the body of PUT /v1/privacy/consent: all three
// fields are required.
type consentRequest struct {
	AdUserData        *string `json:"ad_user_data"`
	AdPersonalization *string `json:"ad_personalization"`
	OptedOut          *bool   `json:"opted_out"`
}

// ageAnswer is the answer of POST /v1/privacy/age.
type ageAnswer struct {
	Allowed bool `json:"allowed"`
	Minor   bool `json:"minor"`
}

// subjects returns the Config's Subjects, or writes 404 and false.
func (h *Handler) subjects(w http.ResponseWriter) (*privacy.Subjects, bool) {
	if h.cfg.Subjects == nil {
		writeError(w, errNotServed)
		return nil, false
	}
	return h.cfg.Subjects, true
}

// consentState parses one consent signal.
func consentState(field, s string) (*custmatch.ConsentState, error) {
	if s == "" {
		return nil, errcode.Errorf(errcode.InvalidArgument, "%s must be granted, denied or unspecified", field)
	}
	c, err := custmatch.ParseConsentState(s)
	if err != nil {
		return nil, errcode.Errorf(errcode.InvalidArgument, "%s must be granted, denied or unspecified", field)
	}
	return &c, nil
}

// birthDate parses a date of birth, "YYYY-MM-DD"; "" is the zero time
// when empty is true.
func birthDate(s string, empty bool) (*time.Time, error) {
	if s == "" && empty {
		return &time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, errcode.New(errcode.InvalidArgument, "birth_date must be a date, YYYY-MM-DD")
	}
	return &t, nil
}

// correction turns the request into a privacy.Correction.
func (c correctionRequest) correction() (privacy.Correction, error) {
	out := privacy.Correction{Email: c.Email, Phone: c.Phone, EEA: c.EEA, OptedOut: c.OptedOut}
	var err error
	if c.Country != nil {
		if !validCountry(*c.Country) {
			return out, errcode.New(errcode.InvalidArgument, "country must be an ISO 3166-1 alpha-2 code or empty")
		}
		out.Country = c.Country
	}
	if c.AdUserData != nil {
		if out.AdUserData, err = consentState("ad_user_data", *c.AdUserData); err != nil {
			return out, err
		}
	}
	if c.AdPersonalization != nil {
		if out.AdPersonalization, err = consentState("ad_personalization", *c.AdPersonalization); err != nil {
			return out, err
		}
	}
	if c.BirthDate != nil {
		if out.BirthDate, err = birthDate(*c.BirthDate, true); err != nil {
			return out, err
		}
	}
	return out, nil
}

// validCountry reports whether s is empty or two ASCII letters.
func validCountry(s string) bool {
	if s == "" {
		return true
	}
	if len(s) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// privacyExport serves GET /v1/privacy/export: everything held about
// the account, as a JSON download.
func (h *Handler) privacyExport(w http.ResponseWriter, r *http.Request) {
	s, ok := h.subjects(w)
	if !ok {
		return
	}
	x, err := s.Export(r.Context(), accountOf(r))
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="picfre-export.json"`)
	writeJSON(w, http.StatusOK, x)
}

// privacyCorrect serves PATCH /v1/privacy/contact.
func (h *Handler) privacyCorrect(w http.ResponseWriter, r *http.Request) {
	s, ok := h.subjects(w)
	if !ok {
		return
	}
	var req correctionRequest
	if err := decodeJSON(w, r, h.jsonLimit(), &req); err != nil {
		writeError(w, err)
		return
	}
	c, err := req.correction()
	if err != nil {
		writeError(w, err)
		return
	}
	h.correct(w, r, s, c)
}

// correct applies c and answers the contact.
func (h *Handler) correct(w http.ResponseWriter, r *http.Request, s *privacy.Subjects, c privacy.Correction) {
	contact, err := s.Correct(r.Context(), accountOf(r), c)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contact)
}

// privacyConsent serves PUT /v1/privacy/consent.
func (h *Handler) privacyConsent(w http.ResponseWriter, r *http.Request) {
	s, ok := h.subjects(w)
	if !ok {
		return
	}
	var req consentRequest
	if err := decodeJSON(w, r, h.jsonLimit(), &req); err != nil {
		writeError(w, err)
		return
	}
	if req.AdUserData == nil || req.AdPersonalization == nil || req.OptedOut == nil {
		writeError(w, errcode.New(errcode.InvalidArgument, "ad_user_data, ad_personalization and opted_out are required"))
		return
	}
	c := privacy.Correction{OptedOut: req.OptedOut}
	var err error
	if c.AdUserData, err = consentState("ad_user_data", *req.AdUserData); err != nil {
		writeError(w, err)
		return
	}
	if c.AdPersonalization, err = consentState("ad_personalization", *req.AdPersonalization); err != nil {
		writeError(w, err)
		return
	}
	h.correct(w, r, s, c)
}

// privacyAge serves POST /v1/privacy/age: the age screen. The date is
// checked against the Subjects' age gate; only an under-age date is kept,
// and an under-age account is kept off customer lists.
func (h *Handler) privacyAge(w http.ResponseWriter, r *http.Request) {
	s, ok := h.subjects(w)
	if !ok {
		return
	}
	var req struct {
		BirthDate string `json:"birth_date"`
	}
	if err := decodeJSON(w, r, h.jsonLimit(), &req); err != nil {
		writeError(w, err)
		return
	}
	birth, err := birthDate(req.BirthDate, false)
	if err != nil {
		writeError(w, err)
		return
	}
	contact, err := s.Correct(r.Context(), accountOf(r), privacy.Correction{BirthDate: birth})
	if err != nil {
		writeError(w, err)
		return
	}
	now := time.Now()
	if h.cfg.Now != nil {
		now = h.cfg.Now()
	}
	age, err := agegate.Age(*birth, now)
	if err != nil {
		writeError(w, errcode.WrapIfNone(errcode.InvalidArgument, err))
		return
	}
	writeJSON(w, http.StatusOK, ageAnswer{Allowed: contact.AgeStatus != "under_age", Minor: age < adultAge})
}

// privacyErase serves POST /v1/privacy/erase: {"confirm":"erase"}
// erases what may be erased about the account (privacy.Subjects.Erase).
func (h *Handler) privacyErase(w http.ResponseWriter, r *http.Request) {
	s, ok := h.subjects(w)
	if !ok {
		return
	}
	var req struct {
		Confirm string `json:"confirm"`
	}
	if err := decodeJSON(w, r, h.jsonLimit(), &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Confirm != "erase" {
		writeError(w, errcode.New(errcode.InvalidArgument, `confirm must be "erase"`))
		return
	}
	report, err := s.Erase(r.Context(), accountOf(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, report)
}
