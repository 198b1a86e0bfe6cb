package payments

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/picfre/picfre/errcode"
)

// MaxPacks bounds how many packs a configuration may list.
const MaxPacks = 64

// maxPackName bounds a pack's Name, in bytes.
const maxPackName = 40

// maxPackValue bounds a pack's Credits and Amount (a trillion), far above
// any price and small enough that proportions of it never overflow.
const maxPackValue = 1_000_000_000_000

// maxPacksFile bounds the JSON document LoadPacks reads.
const maxPacksFile = 64 << 10

// ErrInvalidPacks is the error ParsePacks, LoadPacks and Validate return
// for a malformed pack list; errors.Is matches it, and its code is
// errcode.InvalidArgument. Fix the configuration.
var ErrInvalidPacks = errcode.New(errcode.InvalidArgument, "invalid credit packs")

func invalidPacks(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidPacks, fmt.Sprintf(format, args...))
}

// DefaultPacks returns the packs used when the embedder configures none:
// one pack, "starter", selling 500 credits for 500 cents of US dollars
// ($5.00). It exists so that a Stripe account in test mode works out of
// the box; a real deployment configures its own prices.
func DefaultPacks() []Pack {
	return []Pack{{Name: "starter", Credits: 500, Amount: 500, Currency: "usd"}}
}

// ParsePacks parses a pack list as a command-line flag gives it: packs
// separated by commas, each name=credits:amount:currency, for example
// "starter=500:500:usd,pro=2000:1800:usd" (pro: 2000 credits for 1800
// cents). Spaces around the parts are ignored. The result is checked as
// by Validate; errors match ErrInvalidPacks.
func ParsePacks(s string) ([]Pack, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, invalidPacks("no packs")
	}
	if strings.Count(s, ",") >= MaxPacks {
		return nil, invalidPacks("more than %d packs", MaxPacks)
	}
	var packs []Pack
	for i, item := range strings.Split(s, ",") {
		name, rest, ok := strings.Cut(item, "=")
		if !ok {
			return nil, invalidPacks("pack %d: want name=credits:amount:currency", i+1)
		}
		fields := strings.Split(rest, ":")
		if len(fields) != 3 {
			return nil, invalidPacks("pack %d: want name=credits:amount:currency", i+1)
		}
		credits, err := strconv.ParseInt(strings.TrimSpace(fields[0]), 10, 64)
		if err != nil {
			return nil, invalidPacks("pack %d: credits are not an integer", i+1)
		}
		amount, err := strconv.ParseInt(strings.TrimSpace(fields[1]), 10, 64)
		if err != nil {
			return nil, invalidPacks("pack %d: amount is not an integer", i+1)
		}
		packs = append(packs, Pack{
			Name:     strings.TrimSpace(name),
			Credits:  credits,
			Amount:   amount,
			Currency: strings.TrimSpace(fields[2]),
		})
	}
	if err := Validate(packs); err != nil {
		return nil, err
	}
	return packs, nil
}

// LoadPacks reads a pack list from a JSON document, an array of objects
// with the fields of Pack:
//
//	[{"name": "starter", "credits": 500, "amount": 500, "currency": "usd"}]
//
// Unknown fields are an error, and so is a document above 64 KiB. The
// result is checked as by Validate; errors match ErrInvalidPacks.
func LoadPacks(r io.Reader) ([]Pack, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPacksFile+1))
	if err != nil {
		return nil, fmt.Errorf("payments: read packs: %w", err)
	}
	if len(data) > maxPacksFile {
		return nil, invalidPacks("the document is larger than %d bytes", maxPacksFile)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var packs []Pack
	if err := dec.Decode(&packs); err != nil {
		return nil, invalidPacks("not a JSON array of packs")
	}
	if dec.More() {
		return nil, invalidPacks("data after the JSON array")
	}
	if err := Validate(packs); err != nil {
		return nil, err
	}
	return packs, nil
}

// Validate checks a pack list: at least one and at most MaxPacks packs,
// names unique tokens of 1 to 40 lower-case letters, digits, '-' and '_',
// Credits and Amount positive (at most 10^12), Currency three lower-case
// letters. Errors match ErrInvalidPacks.
func Validate(packs []Pack) error {
	if len(packs) == 0 {
		return invalidPacks("no packs")
	}
	if len(packs) > MaxPacks {
		return invalidPacks("more than %d packs", MaxPacks)
	}
	seen := make(map[string]bool, len(packs))
	for i, p := range packs {
		if !validPackName(p.Name) {
			return invalidPacks("pack %d: the name is not a token of 1 to %d characters a-z 0-9 - _", i+1, maxPackName)
		}
		if seen[p.Name] {
			return invalidPacks("pack %d: the name %q is used twice", i+1, p.Name)
		}
		seen[p.Name] = true
		if p.Credits <= 0 || p.Credits > maxPackValue {
			return invalidPacks("pack %q: credits must be between 1 and %d", p.Name, int64(maxPackValue))
		}
		if p.Amount <= 0 || p.Amount > maxPackValue {
			return invalidPacks("pack %q: amount must be between 1 and %d", p.Name, int64(maxPackValue))
		}
		if !validCurrency(p.Currency) {
			return invalidPacks("pack %q: the currency is not three lower-case letters", p.Name)
		}
	}
	return nil
}

func validPackName(s string) bool {
	if s == "" || len(s) > maxPackName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// FindPack returns the pack named name in packs.
func FindPack(packs []Pack, name string) (Pack, bool) {
	for _, p := range packs {
		if p.Name == name {
			return p, true
		}
	}
	return Pack{}, false
}
