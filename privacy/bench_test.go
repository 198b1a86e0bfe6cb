package privacy

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

func benchStrip(b *testing.B, name string) {
	data := readFixture(b, name)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Strip(data, StripOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStripJPEG(b *testing.B) { benchStrip(b, "editor_hubble.jpg") }
func BenchmarkStripPNG(b *testing.B)  { benchStrip(b, "camera_chelsea.png") }
func BenchmarkStripWebP(b *testing.B) { benchStrip(b, "camera_chelsea.webp") }

func BenchmarkHashEmail(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashEmail("  Jane.Doe+News@GoogleMail.com "); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashPhone(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashPhone("(800) 555-0100", "US"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPseudonym(b *testing.B) {
	p, _ := NewPseudonymizer("k1", map[string][]byte{"k1": key1})
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Pseudonym("account-42")
	}
}

func BenchmarkCustomerMatchBuild10k(b *testing.B) {
	contacts := make([]Contact, 10000)
	for i := range contacts {
		contacts[i] = Contact{ID: strconv.Itoa(i), Email: "user" + strconv.Itoa(i) + "@example.com",
			Consent: Consent{AdUserData: ConsentGranted, AdPersonalization: ConsentGranted, EEA: i%2 == 0}}
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (CustomerMatchBuilder{}).Build(slices.Values(contacts), now); err != nil {
			b.Fatal(err)
		}
	}
}
