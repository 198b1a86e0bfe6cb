package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/privacy/custmatch"
)

type contactJSON struct {
	EmailSHA256       string `json:"email_sha256"`
	PhoneSHA256       string `json:"phone_sha256"`
	Country           string `json:"country"`
	AdUserData        string `json:"ad_user_data"`
	AdPersonalization string `json:"ad_personalization"`
	EEA               bool   `json:"eea"`
	OptedOut          bool   `json:"opted_out"`
	AgeStatus         string `json:"age_status"`
	BirthDate         string `json:"birth_date"`
}

type exportJSON struct {
	Version string `json:"version"`
	Account string `json:"account"`
	Balance *struct {
		Credits int64 `json:"credits"`
	} `json:"balance"`
	TopUps []struct {
		Credits int64 `json:"credits"`
	} `json:"topups"`
	Usage []struct {
		File string `json:"file"`
	} `json:"usage"`
	Jobs []struct {
		ID string `json:"id"`
	} `json:"jobs"`
	Contact *contactJSON `json:"contact"`
}

func (c *client) export(t *testing.T) exportJSON {
	t.Helper()
	r := c.do(t, "GET", "/v1/privacy/export", nil)
	r.want(t, http.StatusOK, "")
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="picfre-export.json"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	var x exportJSON
	r.decode(t, &x)
	return x
}

func TestPrivacyExportAndErase(t *testing.T) {
	api := newTestAPI(t)
	j := api.runJob(t, accountA, 2)
	api.runJob(t, accountB, 1)
	api.a.do(t, "PATCH", "/v1/privacy/contact", `{"email":"Jane.Doe@example.com","ad_user_data":"granted"}`).want(t, http.StatusOK, "")

	x := api.a.export(t)
	if x.Version != "picfre.export/v2" || x.Account != accountA || len(x.TopUps) != 1 || len(x.Usage) != 2 ||
		len(x.Jobs) != 1 || x.Jobs[0].ID != j.ID || x.Contact == nil || x.Balance == nil || x.Balance.Credits != 998 {
		t.Fatalf("export %+v", x)
	}

	// Erasure needs its confirmation.
	for _, body := range []string{`{}`, `{"confirm":"yes"}`, `{"confirm":"ERASE"}`} {
		api.a.invalid().do(t, "POST", "/v1/privacy/erase", body).want(t, http.StatusBadRequest, "invalid_argument")
	}
	api.a.invalid().do(t, "POST", "/v1/privacy/erase", `{"confirm":"erase","everything":true}`).want(t, http.StatusBadRequest, "invalid_argument")
	if x := api.a.export(t); len(x.Usage) != 2 || len(x.Jobs) != 1 {
		t.Fatalf("a refused erasure erased: %+v", x)
	}

	var rep struct {
		Account        string         `json:"account"`
		Deleted        map[string]int `json:"deleted"`
		Kept           []struct{ Kind string }
		PendingRemoval bool     `json:"pending_removal"`
		Notes          []string `json:"notes"`
	}
	api.a.do(t, "POST", "/v1/privacy/erase", `{"confirm":"erase"}`).decode(t, &rep)
	if rep.Account != accountA || rep.Deleted["usage"] != 2 || rep.Deleted["job"] != 1 || rep.Deleted["contact"] != 1 ||
		!rep.PendingRemoval || len(rep.Notes) == 0 {
		t.Fatalf("report %+v", rep)
	}
	kept := false
	for _, k := range rep.Kept {
		kept = kept || k.Kind == "topup"
	}
	if !kept {
		t.Fatalf("report keeps no top-up: %+v", rep.Kept)
	}

	// After: no usage, no jobs, no contact; the top-up and the balance
	// stay.
	x = api.a.export(t)
	if len(x.Usage) != 0 || len(x.Jobs) != 0 || x.Contact != nil || len(x.TopUps) != 1 || x.Balance.Credits != 998 {
		t.Fatalf("export after erasure %+v", x)
	}
	api.a.do(t, "GET", "/v1/jobs/"+j.ID, nil).want(t, http.StatusNotFound, "not_found")
	// B keeps everything.
	if x := api.b.export(t); len(x.Usage) != 1 || len(x.Jobs) != 1 {
		t.Fatalf("B's export after A's erasure %+v", x)
	}
	// Erasing twice is harmless.
	api.a.do(t, "POST", "/v1/privacy/erase", `{"confirm":"erase"}`).want(t, http.StatusOK, "")
}

func TestPrivacyEraseUnderLegalHold(t *testing.T) {
	api := newTestAPI(t)
	api.runJob(t, accountA, 1)
	if err := api.ledger.SetLegalHold(context.Background(), accountA, true); err != nil {
		t.Fatal(err)
	}
	api.a.do(t, "POST", "/v1/privacy/erase", `{"confirm":"erase"}`).want(t, http.StatusConflict, "failed_precondition")
	if x := api.a.export(t); len(x.Usage) != 1 || len(x.Jobs) != 1 {
		t.Fatalf("export after a refused erasure %+v", x)
	}
}

func TestPrivacyConsentRoundTrip(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	var c contactJSON
	api.a.do(t, "PUT", "/v1/privacy/consent", `{"ad_user_data":"granted","ad_personalization":"denied","opted_out":false}`).decode(t, &c)
	if c.AdUserData != "granted" || c.AdPersonalization != "denied" || c.OptedOut {
		t.Fatalf("contact %+v", c)
	}
	if x := api.a.export(t); x.Contact == nil || *x.Contact != c {
		t.Fatalf("export's contact %+v, want %+v", x.Contact, c)
	}
	api.a.do(t, "PUT", "/v1/privacy/consent", `{"ad_user_data":"unspecified","ad_personalization":"granted","opted_out":true}`).decode(t, &c)
	if c.AdUserData != "unspecified" || c.AdPersonalization != "granted" || !c.OptedOut {
		t.Fatalf("contact %+v", c)
	}
	if x := api.a.export(t); x.Contact == nil || *x.Contact != c {
		t.Fatalf("export's contact %+v, want %+v", x.Contact, c)
	}
	// B's is untouched.
	if x := api.b.export(t); x.Contact != nil {
		t.Fatalf("B has a contact: %+v", x.Contact)
	}
	for _, body := range []string{
		`{"ad_user_data":"granted","ad_personalization":"granted"}`,
		`{"ad_user_data":"maybe","ad_personalization":"granted","opted_out":false}`,
		`{"ad_user_data":"","ad_personalization":"granted","opted_out":false}`,
		`{"ad_user_data":"granted","ad_personalization":"granted","opted_out":"no"}`,
		`{"ad_user_data":"granted","ad_personalization":"granted","opted_out":false,"eea":true}`,
	} {
		api.a.invalid().do(t, "PUT", "/v1/privacy/consent", body).want(t, http.StatusBadRequest, "invalid_argument")
	}
}

func TestPrivacyCorrect(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	var c contactJSON
	r := api.a.do(t, "PATCH", "/v1/privacy/contact", `{"email":"Jane.Doe@Example.com","phone":"030 1234567","country":"de","eea":true}`)
	r.decode(t, &c)
	if c.EmailSHA256 == "" || c.PhoneSHA256 == "" || c.Country != "DE" || !c.EEA {
		t.Fatalf("contact %+v", c)
	}
	if strings.Contains(strings.ToLower(string(r.body)), "jane") || strings.Contains(string(r.body), "1234567") {
		t.Fatalf("the answer holds the plain address or number: %s", r.body)
	}
	email := c.EmailSHA256
	c = contactJSON{}
	// null and absent leave a field as it is; "" deletes.
	api.a.do(t, "PATCH", "/v1/privacy/contact", `{"email":null,"phone":"","opted_out":true}`).decode(t, &c)
	if c.EmailSHA256 != email || c.PhoneSHA256 != "" || !c.OptedOut || c.Country != "DE" {
		t.Fatalf("contact after a partial correction %+v", c)
	}
	for _, tc := range []struct{ name, body, check string }{
		{"bad JSON", `{"email":`, "invalid"},
		{"unknown field", `{"email_plain":"a@b.c"}`, "invalid"},
		{"bad date", `{"birth_date":"2001-13-45"}`, "unchecked"},
		{"date in another form", `{"birth_date":"05/04/2001"}`, "unchecked"},
		{"date in the future", `{"birth_date":"2999-01-01"}`, "unchecked"},
		{"bad consent", `{"ad_user_data":"yes"}`, "invalid"},
		{"bad country", `{"country":"Germany"}`, "invalid"},
		{"bad email", `{"email":"not an address"}`, "unchecked"},
		{"bad phone", `{"phone":"call me"}`, "unchecked"},
		{"over-size body", `{"email":"` + strings.Repeat("a", 2<<20) + `"}`, "unchecked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := api.a.invalid()
			if tc.check == "unchecked" {
				c = api.a.unchecked()
			}
			status, code := http.StatusBadRequest, "invalid_argument"
			if tc.name == "over-size body" {
				status, code = http.StatusRequestEntityTooLarge, "too_large"
			}
			r := c.do(t, "PATCH", "/v1/privacy/contact", tc.body)
			r.want(t, status, code)
			if strings.Contains(string(r.body), "not an address") || strings.Contains(string(r.body), "call me") {
				t.Fatalf("the error echoes the input: %s", r.body)
			}
		})
	}
	// Nothing bad was kept.
	if x := api.a.export(t); x.Contact == nil || x.Contact.EmailSHA256 != email || x.Contact.AgeStatus != "unknown" {
		t.Fatalf("contact after bad corrections %+v", x.Contact)
	}
}

func TestPrivacyAge(t *testing.T) {
	now := time.Now().UTC()
	api := newTestAPI(t, withWorkers(-1))
	ctx := context.Background()
	minor := now.AddDate(-10, 0, 0).Format(time.DateOnly)
	teen := now.AddDate(-15, 0, 0).Format(time.DateOnly)
	adult := now.AddDate(-30, 0, 0).Format(time.DateOnly)
	for _, c := range []*client{api.a, api.b} {
		c.do(t, "PATCH", "/v1/privacy/contact", `{"email":"`+c.token+`@example.com","ad_user_data":"granted","ad_personalization":"granted"}`).
			want(t, http.StatusOK, "")
	}

	var ans struct{ Allowed, Minor bool }
	api.a.do(t, "POST", "/v1/privacy/age", `{"birth_date":"`+minor+`"}`).decode(t, &ans)
	if ans.Allowed || !ans.Minor {
		t.Fatalf("a 10-year-old: %+v", ans)
	}
	api.b.do(t, "POST", "/v1/privacy/age", `{"birth_date":"`+teen+`"}`).decode(t, &ans)
	if !ans.Allowed || !ans.Minor {
		t.Fatalf("a 15-year-old: %+v", ans)
	}
	x := api.a.export(t)
	if x.Contact == nil || x.Contact.AgeStatus != "under_age" || x.Contact.BirthDate != minor {
		t.Fatalf("A's contact %+v", x.Contact)
	}

	// Customer matching keeps the minor off the list, and takes B.
	up, _, err := api.cfg.Subjects.CustomerMatch(ctx, custmatch.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	excluded := map[string]custmatch.Reason{}
	for _, e := range up.Excluded {
		excluded[e.ContactID] = e.Reason
	}
	added := map[string]bool{}
	for _, r := range up.Adds {
		added[r.ContactID] = true
	}
	if excluded[accountA] != custmatch.ReasonUnderAge || added[accountA] || !added[accountB] {
		t.Fatalf("customer match: adds %v, excluded %v", up.Adds, up.Excluded)
	}

	// Grown up: a new check lets A back.
	api.a.do(t, "POST", "/v1/privacy/age", `{"birth_date":"`+adult+`"}`).decode(t, &ans)
	if !ans.Allowed || ans.Minor {
		t.Fatalf("a 30-year-old: %+v", ans)
	}
	if x := api.a.export(t); x.Contact.AgeStatus != "allowed" || x.Contact.BirthDate != "" {
		t.Fatalf("A's contact after an adult's date %+v: the date must not be kept", x.Contact)
	}

	for _, tc := range []struct{ name, body, check string }{
		{"no date", `{}`, "invalid"},
		{"empty date", `{"birth_date":""}`, "invalid"},
		{"bad date", `{"birth_date":"2001-02-30"}`, "unchecked"},
		{"a time, not a date", `{"birth_date":"2001-04-05T00:00:00Z"}`, "invalid"},
		{"future", `{"birth_date":"` + now.AddDate(1, 0, 0).Format(time.DateOnly) + `"}`, "unchecked"},
		{"unknown field", `{"birth_date":"2001-04-05","age":30}`, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := api.a.invalid()
			if tc.check == "unchecked" {
				c = api.a.unchecked()
			}
			c.do(t, "POST", "/v1/privacy/age", tc.body).want(t, http.StatusBadRequest, "invalid_argument")
		})
	}
}

func TestPrivacyWithoutSubjects(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.Subjects = nil }))
	api.a.do(t, "GET", "/v1/privacy/export", nil).want(t, http.StatusNotFound, "not_found")
	api.a.do(t, "PATCH", "/v1/privacy/contact", `{"opted_out":true}`).want(t, http.StatusNotFound, "not_found")
	api.a.do(t, "PUT", "/v1/privacy/consent", `{"ad_user_data":"granted","ad_personalization":"granted","opted_out":false}`).want(t, http.StatusNotFound, "not_found")
	api.a.do(t, "POST", "/v1/privacy/age", `{"birth_date":"2001-04-05"}`).want(t, http.StatusNotFound, "not_found")
	api.a.do(t, "POST", "/v1/privacy/erase", `{"confirm":"erase"}`).want(t, http.StatusNotFound, "not_found")
}
