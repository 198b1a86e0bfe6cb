package stock

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func decodeSample(t testing.TB, name string) image.Image {
	t.Helper()
	b := readSample(t, name)
	var img image.Image
	var err error
	if strings.HasSuffix(name, ".png") {
		img, err = png.Decode(bytes.NewReader(b))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(b))
	}
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// variant makes a near-duplicate: scaled to 60 %, shifted by two pixels,
// brightened a little, and re-encoded as a low-quality JPEG.
func variant(t testing.TB, src image.Image) image.Image {
	t.Helper()
	b := src.Bounds()
	w, h := b.Dx()*3/5, b.Dy()*3/5
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			r, g, bl, _ := src.At(b.Min.X+min(x*5/3+2, b.Dx()-1), b.Min.Y+y*5/3).RGBA()
			lift := func(v uint32) uint8 { return uint8(min(255, v>>8+6)) }
			dst.Set(x, y, color.RGBA{lift(r), lift(g), lift(bl), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 40}); err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestDHashNearDuplicates(t *testing.T) {
	rocket := decodeSample(t, "rocket.jpg")
	hr := DHash(rocket)
	hv := DHash(variant(t, rocket))
	if d := Hamming(hr, hv); d > 10 {
		t.Errorf("rocket vs its variant: distance %d", d)
	}
	for _, other := range []string{"hubble_deep_field.jpg", "chelsea.png", "coffee.png", "astronaut.png"} {
		if d := Hamming(hr, DHash(decodeSample(t, other))); d < 16 {
			t.Errorf("rocket vs %s: distance %d, should be far", other, d)
		}
	}
	if DHash(image.NewGray(image.Rect(0, 0, 0, 0))) != 0 {
		t.Error("empty image")
	}
	// A tiny image (fewer pixels than cells) still hashes without panic.
	DHash(image.NewRGBA(image.Rect(0, 0, 3, 2)))
}

func TestGroupSimilar(t *testing.T) {
	rocket := decodeSample(t, "rocket.jpg")
	cat := decodeSample(t, "chelsea.png")
	hashes := []uint64{
		DHash(rocket), DHash(cat), DHash(variant(t, rocket)),
		DHash(decodeSample(t, "coffee.png")), DHash(variant(t, cat)),
	}
	got := GroupSimilar(hashes, 10)
	want := [][]int{{0, 2}, {1, 4}, {3}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("groups = %v, want %v", got, want)
	}
	// Transitive: 0~1 and 1~2 link 0 and 2 even when they are far apart.
	if g := GroupSimilar([]uint64{0, 0b111, 0b111111}, 3); !slices.EqualFunc(g, [][]int{{0, 1, 2}}, slices.Equal) {
		t.Errorf("chain = %v", g)
	}
	if g := GroupSimilar(nil, 5); len(g) != 0 {
		t.Errorf("empty = %v", g)
	}
}

func TestDistinctTitles(t *testing.T) {
	titles := []string{"Rocket launch at dusk", "Rocket launch at dusk", "rocket  launch at dusk", "Other", "Rocket launch at dusk"}
	details := [][]string{nil, {"from the side"}, {"from the side", "close-up"}, nil, nil}
	got := DistinctTitles(titles, details, 0)
	want := []string{"Rocket launch at dusk", "Rocket launch at dusk from the side", "rocket launch at dusk close-up", "Other", "Rocket launch at dusk 2"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q", got)
	}
	// Within a length limit the base is shortened at a word boundary.
	got = DistinctTitles([]string{"Falcon rocket launch at dusk", "Falcon rocket launch at dusk"}, [][]string{nil, {"seen from the beach"}}, 30)
	if got[1] == got[0] || utf8.RuneCountInString(got[1]) > 30 || !strings.HasSuffix(got[1], "seen from the beach") {
		t.Errorf("limited: %q", got)
	}
	// Many equal titles under a tight limit still end unique.
	many := slices.Repeat([]string{"Cat"}, 30)
	got = DistinctTitles(many, nil, 4)
	seen := map[string]bool{}
	for _, g := range got {
		if seen[strings.ToLower(g)] {
			t.Fatalf("duplicate %q in %q", g, got)
		}
		seen[strings.ToLower(g)] = true
	}
}

func TestRotateKeywords(t *testing.T) {
	kw := []string{"a", "b", "c", "d", "e", "f"}
	if got := RotateKeywords(kw, 0, 3); !slices.Equal(got, kw) {
		t.Errorf("member 0 = %q", got)
	}
	if got := RotateKeywords(kw, 1, 3); !slices.Equal(got, []string{"b", "c", "a", "e", "f", "d"}) {
		t.Errorf("member 1 = %q", got)
	}
	orders := map[string]bool{}
	for m := range 3 {
		got := RotateKeywords(kw, m, 3)
		if !slices.Equal(slices.Sorted(slices.Values(got[:3])), []string{"a", "b", "c"}) {
			t.Errorf("member %d moved a top keyword down: %q", m, got)
		}
		orders[strings.Join(got, ",")] = true
	}
	if len(orders) != 3 {
		t.Errorf("orders not distinct: %v", orders)
	}
	if got := RotateKeywords(kw, 7, 100); len(got) != 6 || !slices.Equal(kw, []string{"a", "b", "c", "d", "e", "f"}) {
		t.Errorf("top beyond length: %q (input %q)", got, kw)
	}
	if got := RotateKeywords(nil, 3, 2); len(got) != 0 {
		t.Errorf("nil = %q", got)
	}
}
