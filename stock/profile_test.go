package stock

import (
	"errors"
	"strconv"
	"testing"
)

func TestLookup(t *testing.T) {
	for name, want := range map[string]string{
		"adobe": "adobe", "Adobe Stock": "adobe", "adobestock": "adobe", "ADOBE-STOCK": "adobe",
		"shutterstock": "shutterstock", "getty": "getty", "istock": "getty", "iStock": "getty",
		"123rf": "123rf", "123RF": "123rf", "freepik": "freepik", "vecteezy": "vecteezy",
		"dreamstime": "dreamstime", "pond5": "pond5", "envato": "envato",
		"Envato Elements": "envato", "depositphotos": "depositphotos",
	} {
		p, err := Lookup(name)
		if err != nil {
			t.Errorf("Lookup(%q): %v", name, err)
			continue
		}
		if p.Name != want {
			t.Errorf("Lookup(%q) = %s, want %s", name, p.Name, want)
		}
	}
	if _, err := Lookup("flickr"); !errors.Is(err, ErrUnknownAgency) {
		t.Errorf("unknown agency: %v", err)
	}
}

func TestProfilesAreCopies(t *testing.T) {
	p, _ := Lookup("adobe")
	p.TitleMax = 1
	p.Categories[0].Name = "changed"
	p.CSV.Columns[0].Header = "changed"
	q, _ := Lookup("adobe")
	if q.TitleMax != 70 || q.Categories[0].Name != "Animals" || q.CSV.Columns[0].Header != "Filename" {
		t.Fatal("a caller's change leaked into another caller's profile")
	}
}

func TestProfilesFacts(t *testing.T) {
	ps := Profiles()
	if len(ps) < 10 {
		t.Fatalf("%d profiles", len(ps))
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if seen[p.Name] {
			t.Errorf("duplicate %s", p.Name)
		}
		seen[p.Name] = true
		if p.KeywordsMax != 0 && p.KeywordsMin > p.KeywordsMax {
			t.Errorf("%s: keyword range %d-%d", p.Name, p.KeywordsMin, p.KeywordsMax)
		}
		if p.CSV != nil && (len(p.CSV.Columns) == 0 || p.CSV.Columns[0].Field != FieldFile) {
			t.Errorf("%s: CSV must start with the file name", p.Name)
		}
	}
	a, _ := Lookup("adobe")
	if len(a.Categories) != 21 {
		t.Fatalf("adobe has %d categories", len(a.Categories))
	}
	for i, c := range a.Categories {
		if c.Code != strconv.Itoa(i+1) {
			t.Errorf("adobe category %d has code %s", i+1, c.Code)
		}
	}
	for in, want := range map[string]string{"People": "13", "13": "13", "environment": "5", "the environment": "5", "plants & flowers": "14"} {
		if c, ok := a.Category(in); !ok || c.Code != want {
			t.Errorf("adobe Category(%q) = %v %v, want %s", in, c, ok, want)
		}
	}
	if _, ok := a.Category("22"); ok {
		t.Error("adobe has no category 22")
	}
	s, _ := Lookup("shutterstock")
	if !s.EnglishOnly || !s.ASCIIOnly || s.KeywordsMin != 7 || s.KeywordsMax != 50 || s.CategoriesMin != 1 || s.CategoriesMax != 2 || s.AI != AINotAccepted {
		t.Errorf("shutterstock profile: %+v", s)
	}
	if c, ok := s.Category("animals / wildlife"); !ok || c.Code != "Animals/Wildlife" {
		t.Errorf("shutterstock Category = %v %v", c, ok)
	}
	f, _ := Lookup("freepik")
	if f.CSV.Comma != ';' || f.CSV.BOM {
		t.Error("freepik CSV is semicolon-separated without BOM")
	}
}
