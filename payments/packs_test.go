package payments_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/payments"
)

func TestParsePacks(t *testing.T) {
	got, err := payments.ParsePacks(" starter=500:500:usd, pro=2000:1800:eur ")
	if err != nil {
		t.Fatal(err)
	}
	want := []payments.Pack{
		{Name: "starter", Credits: 500, Amount: 500, Currency: "usd"},
		{Name: "pro", Credits: 2000, Amount: 1800, Currency: "eur"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestParsePacksRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"starter",
		"starter=500:500",
		"starter=500:500:usd:x",
		"starter=0:500:usd",
		"starter=-1:500:usd",
		"starter=500:0:usd",
		"starter=x:500:usd",
		"starter=500:1.5:usd",
		"starter=500:500:USD",
		"starter=500:500:us",
		"starter=500:500:usd1",
		"Starter=500:500:usd",
		"st arter=500:500:usd",
		"=500:500:usd",
		"a=1:1:usd,a=2:2:usd",
		"a=1:1:usd,",
		"a=1000000000001:1:usd",
		strings.Repeat("a", 41) + "=1:1:usd",
		strings.Repeat("a=1:1:usd,", 70),
	} {
		_, err := payments.ParsePacks(s)
		if !errors.Is(err, payments.ErrInvalidPacks) || errcode.Of(err) != errcode.InvalidArgument {
			t.Errorf("ParsePacks(%q) = %v, want ErrInvalidPacks", s, err)
		}
	}
}

func TestLoadPacks(t *testing.T) {
	got, err := payments.LoadPacks(strings.NewReader(`[{"name":"pro","credits":2000,"amount":1800,"currency":"usd"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []payments.Pack{{Name: "pro", Credits: 2000, Amount: 1800, Currency: "usd"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for _, doc := range []string{
		``,
		`[]`,
		`{}`,
		`[{"name":"pro","credits":2000,"amount":1800,"currency":"usd","extra":1}]`,
		`[{"name":"pro","credits":2000,"amount":1800,"currency":"usd"}] []`,
		`[{"name":"pro","credits":0,"amount":1800,"currency":"usd"}]`,
		`[{"name":"pro","credits":1,"amount":1,"currency":"usd"},{"name":"pro","credits":1,"amount":1,"currency":"usd"}]`,
		`[` + strings.Repeat(" ", 70<<10) + `]`,
	} {
		if _, err := payments.LoadPacks(strings.NewReader(doc)); !errors.Is(err, payments.ErrInvalidPacks) {
			t.Errorf("LoadPacks(%.40q) = %v, want ErrInvalidPacks", doc, err)
		}
	}
}

func TestDefaultPacksValid(t *testing.T) {
	if err := payments.Validate(payments.DefaultPacks()); err != nil {
		t.Fatal(err)
	}
	p, ok := payments.FindPack(payments.DefaultPacks(), "starter")
	if !ok || p.Credits != 500 || p.Amount != 500 || p.Currency != "usd" {
		t.Fatalf("starter = %+v, %v", p, ok)
	}
	if _, ok := payments.FindPack(payments.DefaultPacks(), "nope"); ok {
		t.Fatal("found a pack that does not exist")
	}
}

func FuzzParsePacks(f *testing.F) {
	f.Add("starter=500:500:usd,pro=2000:1800:usd")
	f.Add("a=1:1:eur")
	f.Add("a=1:1:usd,a=1:1:usd")
	f.Add("=::,,")
	f.Fuzz(func(t *testing.T, s string) {
		packs, err := payments.ParsePacks(s)
		if err != nil {
			if !errors.Is(err, payments.ErrInvalidPacks) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if err := payments.Validate(packs); err != nil {
			t.Fatalf("ParsePacks accepted packs Validate refuses: %v", err)
		}
		// What was parsed formats back to the same packs.
		var parts []string
		for _, p := range packs {
			parts = append(parts, p.Name+"="+itoa(p.Credits)+":"+itoa(p.Amount)+":"+p.Currency)
		}
		again, err := payments.ParsePacks(strings.Join(parts, ","))
		if err != nil || !reflect.DeepEqual(again, packs) {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, packs)
		}
	})
}

func itoa(n int64) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
