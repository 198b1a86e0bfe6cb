package agegate_test

import (
	"fmt"
	"time"

	"github.com/picfre/picfre/privacy/agegate"
)

func ExampleGate_Allowed() {
	gate := agegate.Gate{ByCountry: map[string]int{"DE": 16}}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	born := time.Date(2013, 6, 1, 0, 0, 0, 0, time.UTC) // 13 today
	us, _ := gate.Allowed(born, "US", now)
	de, _ := gate.Allowed(born, "DE", now)
	_, err := gate.Allowed(time.Time{}, "US", now)
	fmt.Println(us, de, err)
	// Output:
	// true false agegate: birth date unknown
}

func ExampleGate_MinimumAge() {
	gate := agegate.Gate{Default: 14, ByCountry: map[string]int{"DE": 16}}
	fmt.Println(gate.MinimumAge("de"), gate.MinimumAge("SE"), agegate.Gate{}.MinimumAge("SE"))
	// Output:
	// 16 14 13
}

func ExampleAge() {
	leapling := time.Date(2012, 2, 29, 0, 0, 0, 0, time.UTC)
	for _, day := range []time.Time{
		time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
	} {
		age, _ := agegate.Age(leapling, day)
		fmt.Println(day.Format(time.DateOnly), age)
	}
	// Output:
	// 2025-02-28 12
	// 2025-03-01 13
}
