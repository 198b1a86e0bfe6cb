package custmatch

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/privacy/agegate"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestCustomerMatchBuild(t *testing.T) {
	now := date(2026, 6, 1)
	granted := Consent{AdUserData: ConsentGranted, AdPersonalization: ConsentGranted, EEA: true}
	grantedHere := Consent{AdUserData: ConsentGranted, AdPersonalization: ConsentGranted}
	contacts := []Contact{
		{ID: "a", Email: "  Jane.Doe+News@GoogleMail.com ", Consent: granted},                                    // EEA, granted: add
		{ID: "b", Email: "jane.doe@example.com", Phone: "(800) 555-0100", Country: "US", Consent: grantedHere},   // outside EEA, granted: add
		{ID: "c", Email: "c@example.com", Consent: Consent{EEA: true}},                                           // EEA, missing: left out
		{ID: "d", Email: "d@example.com", Consent: Consent{AdUserData: ConsentGranted, EEA: true}},               // EEA, one missing
		{ID: "e", Email: "test@gmail.com", OptedOut: true},                                                       // removal
		{ID: "f", Phone: "+46 70 123 45 67", Erased: true, Consent: granted},                                     // removal by phone
		{ID: "g", Email: "kid@example.com", BirthDate: date(2014, 6, 2), Country: "US"},                          // 11: removal
		{ID: "h", Email: "teen@example.com", BirthDate: date(2013, 6, 1), Country: "US", Consent: grantedHere},   // 13 today: add
		{ID: "i", Email: "teen@example.de", BirthDate: date(2013, 6, 1), Country: "DE"},                          // 13 < 16 in DE: removal
		{ID: "j", Email: "deny@example.com", Consent: Consent{AdPersonalization: ConsentDenied}},                 // denied: removal
		{ID: "k", Email: "not an address", Phone: "12", Consent: grantedHere},                                    // nothing valid
		{ID: "l", Email: "future@example.com", BirthDate: date(2030, 1, 1)},                                      // bad date
		{ID: "m", Email: "JaneDoe+news@googlemail.com", Consent: granted},                                        // same as a: sent once
		{ID: "n", Email: "other@example.com", Phone: "+46701234567", Consent: grantedHere},                       // shares f's phone
		{ID: "o", Email: "e.x@example.com", Consent: grantedHere},                                                // outside EEA, granted: add
		{ID: "p", Email: "never.asked@example.com", Country: "US"},                                               // outside EEA, never asked: left out
		{ID: "q", Email: "half@example.com", Consent: Consent{AdUserData: ConsentGranted}},                       // outside EEA, one missing: left out
		{ID: "r", Email: "young@example.com", UnderAge: true, BirthDate: date(2000, 1, 1), Consent: grantedHere}, // a verdict beats the date
	}
	b := Builder{AgeGate: agegate.Gate{ByCountry: map[string]int{"de": 16}}}
	up, err := b.Build(slices.Values(contacts), now)
	if err != nil {
		t.Fatal(err)
	}
	if up.EmailRules != EmailRulesGoogle2025 {
		t.Errorf("EmailRules = %q", up.EmailRules)
	}
	ids := func(rows []Row) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r.ContactID)
		}
		return out
	}
	if got, want := ids(up.Adds), []string{"a", "b", "h", "o"}; !slices.Equal(got, want) {
		t.Errorf("Adds = %v, want %v", got, want)
	}
	if got, want := ids(up.Removes), []string{"e", "f", "g", "i", "j", "r"}; !slices.Equal(got, want) {
		t.Errorf("Removes = %v, want %v", got, want)
	}
	wantExcl := []Exclusion{
		{"c", ReasonConsentMissing}, {"d", ReasonConsentMissing}, {"e", ReasonOptedOut}, {"f", ReasonErased},
		{"g", ReasonUnderAge}, {"i", ReasonUnderAge}, {"j", ReasonConsentDenied}, {"k", ReasonNoIdentifier},
		{"l", ReasonInvalidBirthDate}, {"p", ReasonConsentMissing}, {"q", ReasonConsentMissing}, {"r", ReasonUnderAge},
		{"n", ReasonSharedIdentifier},
	}
	if !slices.Equal(up.Excluded, wantExcl) {
		t.Errorf("Excluded = %v\nwant       %v", up.Excluded, wantExcl)
	}
	if up.Adds[0].Email != shaJanedoePlusNewsGooglemail || up.Adds[0].Phone != "" {
		t.Errorf("row a = %+v", up.Adds[0])
	}
	if up.Adds[1].Email != shaJaneDotDoeExample || up.Adds[1].Phone != shaPhoneUS {
		t.Errorf("row b = %+v", up.Adds[1])
	}
	if up.Removes[0].Email != shaTestGmail || up.Removes[1].Phone != shaPhoneSE || up.Removes[1].Email != "" {
		t.Errorf("removal rows = %+v", up.Removes[:2])
	}
}

// TestCustomerMatchConsentByDefault: consent is required everywhere
// unless the builder explicitly allows unspecified consent outside the
// EEA; in the EEA, and for a denial, the opt-in changes nothing.
func TestCustomerMatchConsentByDefault(t *testing.T) {
	c := []Contact{
		{ID: "never-asked", Email: "x@example.com"},
		{ID: "granted", Email: "y@example.com", Consent: Consent{AdUserData: ConsentGranted, AdPersonalization: ConsentGranted}},
		{ID: "eea", Email: "z@example.com", Consent: Consent{AdUserData: ConsentGranted, EEA: true}},
		{ID: "denied", Email: "w@example.com", Consent: Consent{AdUserData: ConsentDenied}},
	}
	up, err := Builder{Rules: EmailRulesGmailCanonical}.Build(slices.Values(c), date(2026, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := []Exclusion{{"never-asked", ReasonConsentMissing}, {"eea", ReasonConsentMissing}, {"denied", ReasonConsentDenied}}
	if len(up.Adds) != 1 || up.Adds[0].ContactID != "granted" || up.EmailRules != EmailRulesGmailCanonical || !slices.Equal(up.Excluded, want) {
		t.Errorf("default upload = %+v; want only the granted contact added, %v", up, want)
	}
	up, err = Builder{AllowWithoutConsentOutsideEEA: true}.Build(slices.Values(c), date(2026, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	want = []Exclusion{{"eea", ReasonConsentMissing}, {"denied", ReasonConsentDenied}}
	if len(up.Adds) != 2 || up.Adds[0].ContactID != "never-asked" || up.Adds[1].ContactID != "granted" || !slices.Equal(up.Excluded, want) {
		t.Errorf("upload allowing unspecified consent outside the EEA = %+v", up)
	}
	if _, err := (Builder{Rules: "nope"}).Build(slices.Values(c), time.Now()); err == nil {
		t.Error("unknown rules accepted")
	}
}

func TestWriteCustomerMatchCSV(t *testing.T) {
	var b bytes.Buffer
	err := WriteCSV(&b, []Row{{ContactID: "secret-id", Email: shaTestGmail}, {Phone: shaPhoneUS}})
	if err != nil {
		t.Fatal(err)
	}
	want := "Email,Phone\n" + shaTestGmail + ",\n," + shaPhoneUS + "\n"
	if b.String() != want {
		t.Errorf("CSV =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestConsentState(t *testing.T) {
	for _, s := range []ConsentState{ConsentUnspecified, ConsentGranted, ConsentDenied} {
		got, err := ParseConsentState(s.String())
		if err != nil || got != s {
			t.Errorf("round trip %v: %v, %v", s, got, err)
		}
	}
	if _, err := ParseConsentState("yes"); !errors.Is(err, ErrUnknownConsentState) {
		t.Error(`"yes" accepted`)
	}
}

func TestCustomerMatchPreHashed(t *testing.T) {
	h, _ := HashEmail("jane@example.com")
	p, _ := HashPhone("+46701234567", "")
	contacts := []Contact{
		{ID: "hashed", EmailSHA256: h, PhoneSHA256: p},
		{ID: "plain-wins", Email: "sam@example.com", EmailSHA256: h},
		{ID: "bad-hash", EmailSHA256: strings.ToUpper(h), PhoneSHA256: "not-a-hash"},
		{ID: "erased", Erased: true, PhoneSHA256: p},
	}
	up, err := Builder{AllowWithoutConsentOutsideEEA: true}.Build(slices.Values(contacts), date(2026, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	sam, _ := HashEmail("sam@example.com")
	if len(up.Adds) != 1 || up.Adds[0] != (Row{"plain-wins", sam, ""}) {
		t.Errorf("Adds = %+v; want the plain address to win and the shared phone to exclude the pre-hashed one", up.Adds)
	}
	if len(up.Removes) != 1 || up.Removes[0] != (Row{"erased", "", p}) {
		t.Errorf("Removes = %+v", up.Removes)
	}
	want := []Exclusion{{"bad-hash", ReasonNoIdentifier}, {"erased", ReasonErased}, {"hashed", ReasonSharedIdentifier}}
	if !slices.Equal(up.Excluded, want) {
		t.Errorf("Excluded = %v, want %v", up.Excluded, want)
	}
}
