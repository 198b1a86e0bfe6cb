package custmatch

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

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

func BenchmarkCustomerMatchBuild10k(b *testing.B) {
	contacts := make([]Contact, 10000)
	for i := range contacts {
		contacts[i] = Contact{ID: strconv.Itoa(i), Email: "user" + strconv.Itoa(i) + "@example.com",
			Consent: Consent{AdUserData: ConsentGranted, AdPersonalization: ConsentGranted, EEA: i%2 == 0}}
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Builder{}).Build(slices.Values(contacts), now); err != nil {
			b.Fatal(err)
		}
	}
}
