package pseudonym_test

import (
	"fmt"

	"github.com/picfre/picfre/privacy/pseudonym"
)

// Keys come from a secret store, never from the data they protect.
var (
	firstKey  = []byte("first key, 32 bytes long........")
	secondKey = []byte("second key, 32 bytes long.......")
)

func ExampleNewKeyring() {
	k, err := pseudonym.NewKeyring("k1", map[string][]byte{"k1": firstKey})
	if err != nil {
		panic(err)
	}
	fmt.Println(k.CurrentKeyID())
	fmt.Println(k) // never prints the keys
	_, err = pseudonym.NewKeyring("k1", map[string][]byte{"k1": []byte("too short")})
	fmt.Println(err)
	// Output:
	// k1
	// pseudonym.Keyring{current: k1, keys: [k1]}
	// pseudonym: invalid key: key "k1" is shorter than 16 bytes
}

func ExampleKeyring_Pseudonym() {
	k, _ := pseudonym.NewKeyring("k1", map[string][]byte{"k1": firstKey})
	p := k.Pseudonym("account-42")
	fmt.Println(p == k.Pseudonym("account-42"), p[:3], len(p))
	// Output:
	// true k1: 67
}

func ExampleKeyring_PseudonymWith() {
	k, _ := pseudonym.NewKeyring("k2", map[string][]byte{"k1": firstKey, "k2": secondKey})
	old, _ := k.PseudonymWith("k1", "account-42")
	_, err := k.PseudonymWith("k0", "account-42")
	fmt.Println(old[:3], err)
	// Output:
	// k1: pseudonym: unknown key id: "k0"
}

func ExampleKeyring_Match() {
	v1, _ := pseudonym.NewKeyring("k1", map[string][]byte{"k1": firstKey})
	old := v1.Pseudonym("account-42")

	// Rotation: a new current key, the old one kept for matching.
	v2, _ := pseudonym.NewKeyring("k2", map[string][]byte{"k1": firstKey, "k2": secondKey})
	same, _ := v2.Match("account-42", old)
	other, _ := v2.Match("account-43", old)
	fmt.Println(same, other)
	// Output:
	// true false
}

func ExampleKeyring_Candidates() {
	k, _ := pseudonym.NewKeyring("k2", map[string][]byte{"k1": firstKey, "k2": secondKey})
	for _, c := range k.Candidates("account-42") {
		fmt.Println(c[:3]) // look a record up under each
	}
	// Output:
	// k2:
	// k1:
}

func ExampleKeyring_Refresh() {
	v1, _ := pseudonym.NewKeyring("k1", map[string][]byte{"k1": firstKey})
	old := v1.Pseudonym("account-42")
	v2, _ := pseudonym.NewKeyring("k2", map[string][]byte{"k1": firstKey, "k2": secondKey})
	fresh, changed, _ := v2.Refresh("account-42", old)
	_, again, _ := v2.Refresh("account-42", fresh)
	fmt.Println(fresh[:3], changed, again)
	// Output:
	// k2: true false
}
