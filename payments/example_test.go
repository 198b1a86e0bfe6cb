package payments_test

import (
	"fmt"
	"strings"

	"github.com/picfre/picfre/payments"
)

func ExampleParsePacks() {
	packs, err := payments.ParsePacks("starter=500:500:usd,pro=2000:1800:usd")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range packs {
		fmt.Printf("%s: %d credits for %d %s cents\n", p.Name, p.Credits, p.Amount, p.Currency)
	}
	_, err = payments.ParsePacks("starter=500:5.00:usd")
	fmt.Println(err)
	// Output:
	// starter: 500 credits for 500 usd cents
	// pro: 2000 credits for 1800 usd cents
	// invalid credit packs: pack 1: amount is not an integer
}

func ExampleLoadPacks() {
	packs, err := payments.LoadPacks(strings.NewReader(`[{"name": "pro", "credits": 2000, "amount": 1800, "currency": "eur"}]`))
	fmt.Println(packs, err)
	// Output:
	// [{pro 2000 1800 eur}] <nil>
}

func ExampleDefaultPacks() {
	fmt.Println(payments.DefaultPacks())
	// Output:
	// [{starter 500 500 usd}]
}

func ExampleValidate() {
	err := payments.Validate([]payments.Pack{{Name: "pro", Credits: 10, Amount: 100, Currency: "USD"}})
	fmt.Println(err)
	// Output:
	// invalid credit packs: pack "pro": the currency is not three lower-case letters
}

func ExampleFindPack() {
	p, ok := payments.FindPack(payments.DefaultPacks(), "starter")
	fmt.Println(p.Credits, ok)
	// Output:
	// 500 true
}
