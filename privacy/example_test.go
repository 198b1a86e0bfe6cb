package privacy_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/picfre/picfre/privacy"
)

func ExampleStrip() {
	photo, err := os.ReadFile("testdata/camera_rocket.jpg") // EXIF with GPS, XMP, IPTC, a comment
	if err != nil {
		panic(err)
	}
	clean, rep, err := privacy.Strip(photo, privacy.StripOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Format, rep.Removed)
	fmt.Println("orientation kept:", rep.KeptOrientation)
	fmt.Println("smaller:", len(clean) < len(photo))
	// Output:
	// jpeg [APP1 Exif APP13 Photoshop APP1 XMP COM]
	// orientation kept: 6
	// smaller: true
}

func ExampleStripReader() {
	in, err := os.Open("testdata/camera_chelsea.webp")
	if err != nil {
		panic(err)
	}
	defer in.Close()
	out, err := os.CreateTemp("", "clean-*.webp")
	if err != nil {
		panic(err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	rep, err := privacy.StripReader(context.Background(), in, out, privacy.StripOptions{DropOrientation: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Format, rep.Removed, rep.BytesBefore, "->", rep.BytesAfter)
	// Output:
	// webp [EXIF XMP ] 18036 -> 14252
}

func ExampleHashEmail() {
	n, _ := privacy.NormalizeEmail("  Jane.Doe+News@GoogleMail.com ")
	h, _ := privacy.HashEmail("  Jane.Doe+News@GoogleMail.com ")
	fmt.Println(privacy.DefaultEmailRules, n)
	fmt.Println(h)
	// Output:
	// google-2025 janedoe+news@googlemail.com
	// 60c0265352dbdfd9043256f411b22ac6d8060be92cefd42f815dabb76cd1c040
}

func ExampleEmailRules_Normalize() {
	for _, r := range []privacy.EmailRules{privacy.EmailRulesGoogle2025, privacy.EmailRulesGmailCanonical} {
		n, _ := r.Normalize("Jane.Doe+News@googlemail.com")
		o, _ := r.Normalize("Jane.Doe+News@example.com")
		fmt.Println(r, n, o)
	}
	// Output:
	// google-2025 janedoe+news@googlemail.com jane.doe+news@example.com
	// gmail-canonical-1 janedoe@gmail.com jane.doe+news@example.com
}

func ExampleNormalizePhone() {
	e164, _ := privacy.NormalizePhone("(800) 555-0100", "US")
	h, _ := privacy.HashPhone("(800) 555-0100", "US")
	fmt.Println(e164)
	fmt.Println(h)
	// Output:
	// +18005550100
	// fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30
}

func ExamplePseudonymizer() {
	// Keys come from a secret store, never from the data they protect.
	v1, _ := privacy.NewPseudonymizer("k1", map[string][]byte{"k1": []byte("first key, 32 bytes long........")})
	old := v1.Pseudonym("account-42")

	// Rotation: a new current key, the old one kept for matching.
	v2, _ := privacy.NewPseudonymizer("k2", map[string][]byte{
		"k1": []byte("first key, 32 bytes long........"),
		"k2": []byte("second key, 32 bytes long......."),
	})
	ok, _ := v2.Match("account-42", old)
	fresh, changed, _ := v2.Refresh("account-42", old)
	fmt.Println(old[:3], ok, fresh[:3], changed)
	fmt.Println(v2) // never prints the keys
	// Output:
	// k1: true k2: true
	// privacy.Pseudonymizer{current: k2, keys: [k1 k2]}
}

func ExampleAgeGate_Allowed() {
	gate := privacy.AgeGate{ByCountry: map[string]int{"DE": 16}}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	born := time.Date(2013, 6, 1, 0, 0, 0, 0, time.UTC) // 13 today
	us, _ := gate.Allowed(born, "US", now)
	de, _ := gate.Allowed(born, "DE", now)
	_, err := gate.Allowed(time.Time{}, "US", now)
	fmt.Println(us, de, err)
	// Output:
	// true false privacy: birth date unknown
}

func ExampleCustomerMatchBuilder_Build() {
	contacts := []privacy.Contact{
		{ID: "u1", Email: "Jane.Doe@example.com", Consent: privacy.Consent{
			AdUserData: privacy.ConsentGranted, AdPersonalization: privacy.ConsentGranted, EEA: true}},
		{ID: "u2", Email: "sam@example.com", Consent: privacy.Consent{EEA: true}}, // no consent yet
		{ID: "u3", Email: "test@gmail.com", OptedOut: true},
		{ID: "u4", Phone: "(800) 555-0100", Country: "US",
			BirthDate: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)}, // known to be 11
	}
	up, err := privacy.CustomerMatchBuilder{}.Build(slices.Values(contacts), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Println("rules:", up.EmailRules)
	fmt.Println("excluded:", up.Excluded)
	fmt.Println("adds:")
	privacy.WriteCustomerMatchCSV(os.Stdout, up.Adds)
	fmt.Println("removes:")
	privacy.WriteCustomerMatchCSV(os.Stdout, up.Removes)
	// Output:
	// rules: google-2025
	// excluded: [{u2 consent_missing} {u3 opted_out} {u4 under_age}]
	// adds:
	// Email,Phone
	// 86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d,
	// removes:
	// Email,Phone
	// 87924606b4131a8aceeeae8868531fbb9712aaa07a5d3a756b26ce0f5d6ca674,
	// ,fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30
}
