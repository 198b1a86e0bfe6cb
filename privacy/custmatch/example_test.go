package custmatch_test

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/picfre/picfre/privacy/custmatch"
)

func ExampleHashEmail() {
	h, _ := custmatch.HashEmail("  Jane.Doe+News@GoogleMail.com ")
	fmt.Println(h)
	_, err := custmatch.HashEmail("no-at-sign")
	fmt.Println(err)
	// Output:
	// 60c0265352dbdfd9043256f411b22ac6d8060be92cefd42f815dabb76cd1c040
	// custmatch: invalid e-mail address
}

func ExampleNormalizeEmail() {
	n, _ := custmatch.NormalizeEmail("  Jane.Doe+News@GoogleMail.com ")
	fmt.Println(custmatch.DefaultEmailRules, n)
	// Output:
	// google-2025 janedoe+news@googlemail.com
}

func ExampleEmailRules_Normalize() {
	for _, r := range []custmatch.EmailRules{custmatch.EmailRulesGoogle2025, custmatch.EmailRulesGmailCanonical} {
		n, _ := r.Normalize("Jane.Doe+News@googlemail.com")
		o, _ := r.Normalize("Jane.Doe+News@example.com")
		fmt.Println(r, n, o)
	}
	// Output:
	// google-2025 janedoe+news@googlemail.com jane.doe+news@example.com
	// gmail-canonical-1 janedoe@gmail.com jane.doe+news@example.com
}

func ExampleEmailRules_Hash() {
	a, _ := custmatch.EmailRulesGmailCanonical.Hash("Jane.Doe+News@googlemail.com")
	b, _ := custmatch.EmailRulesGmailCanonical.Hash("janedoe@gmail.com")
	fmt.Println(a == b)
	// Output:
	// true
}

func ExampleNormalizePhone() {
	e164, _ := custmatch.NormalizePhone("(800) 555-0100", "US")
	_, err := custmatch.NormalizePhone("12", "US")
	fmt.Println(e164)
	fmt.Println(err)
	// Output:
	// +18005550100
	// custmatch: invalid phone number
}

func ExampleHashPhone() {
	h, _ := custmatch.HashPhone("(800) 555-0100", "US")
	same, _ := custmatch.HashPhone("+1 800 555 0100", "")
	fmt.Println(h)
	fmt.Println(h == same)
	// Output:
	// fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30
	// true
}

func ExampleParseConsentState() {
	for _, s := range []string{"granted", "", "maybe"} {
		st, err := custmatch.ParseConsentState(s)
		fmt.Println(st, err)
	}
	// Output:
	// granted <nil>
	// unspecified <nil>
	// unspecified custmatch: unknown consent state
}

func ExampleBuilder_Build() {
	contacts := []custmatch.Contact{
		{ID: "u1", Email: "Jane.Doe@example.com", Consent: custmatch.Consent{
			AdUserData: custmatch.ConsentGranted, AdPersonalization: custmatch.ConsentGranted, EEA: true}},
		{ID: "u2", Email: "sam@example.com", Consent: custmatch.Consent{EEA: true}}, // no consent yet
		{ID: "u3", Email: "test@gmail.com", OptedOut: true},
		{ID: "u4", Phone: "(800) 555-0100", Country: "US",
			BirthDate: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)}, // known to be 11
	}
	up, err := custmatch.Builder{}.Build(slices.Values(contacts), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Println("rules:", up.EmailRules)
	fmt.Println("excluded:", up.Excluded)
	fmt.Println("adds:", len(up.Adds), "removes:", len(up.Removes))
	// Output:
	// rules: google-2025
	// excluded: [{u2 consent_missing} {u3 opted_out} {u4 under_age}]
	// adds: 1 removes: 2
}

func ExampleWriteCSV() {
	jane, _ := custmatch.HashEmail("Jane.Doe@example.com")
	phone, _ := custmatch.HashPhone("(800) 555-0100", "US")
	rows := []custmatch.Row{{ContactID: "u1", Email: jane}, {ContactID: "u4", Phone: phone}}
	if err := custmatch.WriteCSV(os.Stdout, rows); err != nil {
		panic(err)
	}
	// Output:
	// Email,Phone
	// 86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d,
	// ,fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30
}
