package custmatch

import (
	"errors"
	"strings"
	"testing"
)

// Expected digests were computed once by hand with
// `printf %s VALUE | sha256sum` and are written here as literals.
const (
	shaJanedoePlusNewsGooglemail = "60c0265352dbdfd9043256f411b22ac6d8060be92cefd42f815dabb76cd1c040" // janedoe+news@googlemail.com
	shaJanedoeGmail              = "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69" // janedoe@gmail.com
	shaJaneDotDoeExample         = "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d" // jane.doe@example.com
	shaJaneDotDoePlusExample     = "dbf1912b4cad4df9823f627874244e64b50a6ac550b9cb33b17df671a26679db" // jane.doe+news@example.com
	shaTestGmail                 = "87924606b4131a8aceeeae8868531fbb9712aaa07a5d3a756b26ce0f5d6ca674" // test@gmail.com
	shaPhoneUS                   = "fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30" // +18005550100
	shaPhoneUK                   = "f0bf0228144d9fe2bdf1da2d8ca698f17bf1410ee688b075c27062e47b6f0b6d" // +442079460958
	shaPhoneSE                   = "19317f0437d748c2e75c9d451197ae3ccc2e67c6d1e05cba41f25e639e3a7528" // +46701234567
)

func TestEmailRules(t *testing.T) {
	tests := []struct {
		rules      EmailRules
		in         string
		normalized string
		hash       string
	}{
		{EmailRulesGoogle2025, "  Jane.Doe+News@GoogleMail.com ", "janedoe+news@googlemail.com", shaJanedoePlusNewsGooglemail},
		{EmailRulesGoogle2025, "J.a.n.e.D.o.e@GMAIL.COM", "janedoe@gmail.com", shaJanedoeGmail},
		{EmailRulesGoogle2025, "jane doe @ gmail.com", "janedoe@gmail.com", shaJanedoeGmail},
		{EmailRulesGoogle2025, "Jane.Doe@Example.com", "jane.doe@example.com", shaJaneDotDoeExample},
		{EmailRulesGoogle2025, "\tJane.Doe+news@example.COM\n", "jane.doe+news@example.com", shaJaneDotDoePlusExample},
		{EmailRulesGoogle2025, "test@gmail.com", "test@gmail.com", shaTestGmail},
		{EmailRulesGmailCanonical, "  Jane.Doe+News@GoogleMail.com ", "janedoe@gmail.com", shaJanedoeGmail},
		{EmailRulesGmailCanonical, "jane.doe+news@example.com", "jane.doe+news@example.com", shaJaneDotDoePlusExample},
	}
	for _, tt := range tests {
		got, err := tt.rules.Normalize(tt.in)
		if err != nil || got != tt.normalized {
			t.Errorf("%s.Normalize(%q) = %q, %v; want %q", tt.rules, tt.in, got, err, tt.normalized)
		}
		h, err := tt.rules.Hash(tt.in)
		if err != nil || h != tt.hash {
			t.Errorf("%s.Hash(%q) = %s, %v; want %s", tt.rules, tt.in, h, err, tt.hash)
		}
	}
	if h, _ := HashEmail("  Jane.Doe+News@GoogleMail.com "); h != shaJanedoePlusNewsGooglemail {
		t.Errorf("HashEmail does not use DefaultEmailRules: %s", h)
	}
}

func TestEmailInvalid(t *testing.T) {
	for _, in := range []string{"", "   ", "jane", "@example.com", "jane@", "a@b@c", "...@gmail.com"} {
		_, err := HashEmail(in)
		if !errors.Is(err, ErrInvalidEmail) {
			t.Errorf("HashEmail(%q) err = %v, want ErrInvalidEmail", in, err)
		}
		if err != nil && in != "" && strings.Contains(err.Error(), strings.TrimSpace(in)) && strings.TrimSpace(in) != "" {
			t.Errorf("error %q repeats the address", err)
		}
	}
	if _, err := EmailRules("facebook-2019").Normalize("a@b.c"); !errors.Is(err, ErrUnknownEmailRules) {
		t.Errorf("unknown rules: err = %v", err)
	}
}

func TestPhone(t *testing.T) {
	tests := []struct {
		in, region, e164, hash string
	}{
		{"(800) 555-0100", "US", "+18005550100", shaPhoneUS},
		{"+1 800-555-0100", "", "+18005550100", shaPhoneUS},
		{"1-800-555-0100", "us", "+18005550100", shaPhoneUS},
		{"020 7946 0958", "GB", "+442079460958", shaPhoneUK},
		{"+44 (0)20 7946 0958", "SE", "+442079460958", shaPhoneUK},
		{"070-123 45 67", "SE", "+46701234567", shaPhoneSE},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in, tt.region)
		if err != nil || got != tt.e164 {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", tt.in, tt.region, got, err, tt.e164)
		}
		h, err := HashPhone(tt.in, tt.region)
		if err != nil || h != tt.hash {
			t.Errorf("HashPhone(%q, %q) = %s, %v", tt.in, tt.region, h, err)
		}
	}
	for _, in := range []struct{ s, region string }{{"", "US"}, {"hello", "US"}, {"555-0100", ""}, {"123", "US"}, {"+999 1234", ""}} {
		if _, err := NormalizePhone(in.s, in.region); !errors.Is(err, ErrInvalidPhone) {
			t.Errorf("NormalizePhone(%q, %q) err = %v, want ErrInvalidPhone", in.s, in.region, err)
		}
	}
}
