package local_test

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/local"
)

func analyse(t *testing.T, img image.Image) *local.Analysis {
	t.Helper()
	a, err := local.Analyze(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func keywords(a *local.Analysis) []string { return a.Keywords(10, 25) }

func colourNames(a *local.Analysis) []string {
	var out []string
	for _, c := range a.Colors {
		out = append(out, c.Name)
	}
	return out
}

func TestSamples(t *testing.T) {
	p := local.New(local.Options{})
	tests := []struct {
		file       string
		mime       string
		monochrome bool
		keywords   []string // must all be present
		absent     []string // must all be missing
	}{
		{"brick.png", "image/png", true, []string{"black and white", "monochrome", "texture", "pattern"}, []string{"copy space"}},
		{"grass.png", "image/png", true, []string{"black and white", "monochrome", "texture"}, []string{"copy space"}},
		{"gravel.png", "image/png", true, []string{"black and white", "monochrome", "texture"}, []string{"copy space"}},
		{"coffee.png", "image/png", false, []string{"brown", "orange", "warm tones"}, []string{"black and white", "texture", "stars"}},
		{"astronaut.png", "image/png", false, []string{"red", "high contrast"}, []string{"black and white", "monochrome", "stars"}},
		{"chelsea.png", "image/png", false, []string{"brown", "warm tones"}, []string{"black and white", "monochrome"}},
		{"hubble_deep_field.jpg", "image/jpeg", false, []string{"dark", "low key", "night", "stars", "space"}, []string{"bright", "copy space"}},
		{"rocket.jpg", "image/jpeg", false, []string{"dark", "blue", "sky", "cool tones"}, []string{"black and white", "stars"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readSample(t, tt.file)
			req := request(provider.TaskMetadata, stockSpec, data)
			req.Parts[1].MIMEType = tt.mime
			got := generateOne(t, p, req)
			if strings.TrimSpace(got.Title) == "" || len(got.Title) > 70 || got.Description == "" {
				t.Errorf("title %q, description %q", got.Title, got.Description)
			}
			if len(got.Keywords) < 10 || len(got.Keywords) > 25 {
				t.Errorf("%d keywords: %v", len(got.Keywords), got.Keywords)
			}
			for _, k := range tt.keywords {
				if !contains(got.Keywords, k) {
					t.Errorf("keyword %q missing from %v", k, got.Keywords)
				}
			}
			for _, k := range tt.absent {
				if contains(got.Keywords, k) {
					t.Errorf("keyword %q should not be in %v", k, got.Keywords)
				}
			}
			a := analyse(t, decodeSample(t, tt.file))
			if a.Monochrome != tt.monochrome {
				t.Errorf("Monochrome = %v, want %v (colourfulness %.1f)", a.Monochrome, tt.monochrome, a.Colorfulness)
			}
			prompt := generateOne(t, p, func() *provider.Request {
				r := request(provider.TaskPrompt, stockSpec, data)
				r.Parts[1].MIMEType = tt.mime
				return r
			}())
			if !strings.Contains(prompt.Prompt, "orientation") || len(prompt.Prompt) < 40 {
				t.Errorf("prompt %q", prompt.Prompt)
			}
			t.Logf("%s\n  %s\n  %v %v\n  %s", got.Title, got.Description, got.Keywords, got.Categories, prompt.Prompt)
		})
	}
}

func TestSampleFindings(t *testing.T) {
	if a := analyse(t, decodeSample(t, "hubble_deep_field.jpg")); !a.StarField || a.Brightness > 20 {
		t.Errorf("hubble: star field %v, brightness %.1f", a.StarField, a.Brightness)
	}
	if a := analyse(t, decodeSample(t, "rocket.jpg")); !a.Sky || a.CopySpace != "top" || a.Warmth >= 0 {
		t.Errorf("rocket: sky %v, copy space %q, warmth %.2f", a.Sky, a.CopySpace, a.Warmth)
	}
	if a := analyse(t, decodeSample(t, "coffee.png")); a.Orientation != local.Landscape || a.Warmth < 0.5 {
		t.Errorf("coffee: %s, warmth %.2f", a.Orientation, a.Warmth)
	}
	for _, f := range []string{"grass.png", "gravel.png", "coffee.png", "chelsea.png"} {
		if a := analyse(t, decodeSample(t, f)); a.Pattern {
			t.Errorf("%s is not a regular pattern", f)
		}
	}
}

func TestPureRedIsSolidRed(t *testing.T) {
	a := analyse(t, fill(400, 300, flat(color.RGBA{230, 20, 25, 255})))
	kw := keywords(a)
	for _, want := range []string{"red", "solid color", "minimal", "plain"} {
		if !contains(kw, want) {
			t.Errorf("keyword %q missing from %v", want, kw)
		}
	}
	if !a.Solid || len(a.Colors) != 1 || a.Colors[0].Name != "red" || a.Colors[0].Share < 0.99 {
		t.Errorf("solid %v, colours %+v", a.Solid, a.Colors)
	}
	if title := a.Title(70); !strings.Contains(strings.ToLower(title), "red") {
		t.Errorf("title %q", title)
	}
	if a.Monochrome || a.Categories()[0] != "Backgrounds/Textures" {
		t.Errorf("monochrome %v, categories %v", a.Monochrome, a.Categories())
	}
}

func TestCopySpaceOnTheLeft(t *testing.T) {
	n := noise(1)
	img := fill(600, 400, func(x, y int) color.RGBA {
		if x < 300 {
			return color.RGBA{250, 250, 250, 255}
		}
		v := n()
		return color.RGBA{v, v / 2, 255 - v, 255}
	})
	a := analyse(t, img)
	if a.CopySpace != "left" {
		t.Fatalf("copy space %q, want left", a.CopySpace)
	}
	if kw := keywords(a); !contains(kw, "copy space") || !contains(kw, "negative space") {
		t.Errorf("keywords %v", kw)
	}
	if title := a.Title(70); !strings.HasSuffix(title, "with copy space on the left") {
		t.Errorf("title %q", title)
	}
	if p := a.Prompt(); !strings.Contains(p, "negative space on the left") {
		t.Errorf("prompt %q", p)
	}
	// mirrored: copy space moves to the right
	mirror := fill(600, 400, func(x, y int) color.RGBA { return img.RGBAAt(599-x, y) })
	if a := analyse(t, mirror); a.CopySpace != "right" {
		t.Errorf("mirrored copy space %q, want right", a.CopySpace)
	}
	// a noisy image everywhere has none
	busy := fill(600, 400, func(x, y int) color.RGBA { v := n(); return color.RGBA{v, v, v, 255} })
	if a := analyse(t, busy); a.CopySpace != "" || !contains(keywords(a), "texture") {
		t.Errorf("noise: copy space %q, keywords %v", a.CopySpace, keywords(a))
	}
}

func TestOrientation(t *testing.T) {
	for _, tt := range []struct {
		w, h int
		want string
		kw   string
	}{
		{300, 600, local.Portrait, "vertical"},
		{700, 300, local.Panoramic, "panoramic"},
		{600, 400, local.Landscape, "horizontal"},
		{500, 510, local.Square, "square"},
		{100, 400, local.VerticalPanoramic, "tall"},
	} {
		a := analyse(t, fill(tt.w, tt.h, flat(color.RGBA{90, 140, 60, 255})))
		if a.Orientation != tt.want || !contains(keywords(a), tt.kw) {
			t.Errorf("%d×%d: %s, keywords %v; want %s and %q", tt.w, tt.h, a.Orientation, keywords(a), tt.want, tt.kw)
		}
	}
}

func TestBrightAndDark(t *testing.T) {
	n := noise(3)
	bright := analyse(t, fill(300, 200, func(x, y int) color.RGBA {
		v := 215 + n()/8
		return color.RGBA{v, v, v - 10, 255}
	}))
	if kw := keywords(bright); !contains(kw, "bright") || !contains(kw, "high key") || contains(kw, "dark") {
		t.Errorf("bright image: %.1f, keywords %v", bright.Brightness, kw)
	}
	dark := analyse(t, fill(300, 200, func(x, y int) color.RGBA {
		v := 10 + n()/10
		return color.RGBA{v, v, v + 5, 255}
	}))
	if kw := keywords(dark); !contains(kw, "dark") || !contains(kw, "low key") || contains(kw, "bright") {
		t.Errorf("dark image: %.1f, keywords %v", dark.Brightness, kw)
	}
	if !strings.HasPrefix(dark.Title(70), "Dark") || !strings.HasPrefix(bright.Title(70), "Bright") {
		t.Errorf("titles %q, %q", dark.Title(70), bright.Title(70))
	}
}

func TestColourNames(t *testing.T) {
	for _, tt := range []struct {
		c    color.RGBA
		want string
	}{
		{color.RGBA{255, 0, 0, 255}, "red"},
		{color.RGBA{180, 20, 30, 255}, "red"},
		{color.RGBA{255, 140, 0, 255}, "orange"},
		{color.RGBA{255, 230, 0, 255}, "yellow"},
		{color.RGBA{30, 160, 40, 255}, "green"},
		{color.RGBA{0, 128, 128, 255}, "teal"},
		{color.RGBA{20, 60, 220, 255}, "blue"},
		{color.RGBA{0, 0, 255, 255}, "blue"},
		{color.RGBA{110, 30, 150, 255}, "purple"},
		{color.RGBA{255, 105, 180, 255}, "pink"},
		{color.RGBA{120, 70, 30, 255}, "brown"},
		{color.RGBA{235, 220, 190, 255}, "beige"},
		{color.RGBA{250, 250, 250, 255}, "white"},
		{color.RGBA{128, 128, 128, 255}, "gray"},
		{color.RGBA{5, 5, 5, 255}, "black"},
		{color.RGBA{128, 128, 0, 255}, "olive"},
	} {
		a := analyse(t, fill(32, 32, flat(tt.c)))
		if got := colourNames(a); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%v: named %v, want %s", tt.c, got, tt.want)
		}
	}
}

func TestMonochrome(t *testing.T) {
	n := noise(5)
	grey := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range grey.Pix {
		grey.Pix[i] = n()
	}
	// a greyscale PNG, and the same pixels as a colour JPEG
	for name, img := range map[string]image.Image{"gray png": grey, "colour jpeg": decode(t, encodeJPEG(t, fill(200, 200, func(x, y int) color.RGBA {
		v := grey.GrayAt(x, y).Y
		return color.RGBA{v, v, v, 255}
	})))} {
		a := analyse(t, img)
		if !a.Monochrome || a.Tint != "" || !contains(keywords(a), "black and white") {
			t.Errorf("%s: monochrome %v tint %q keywords %v", name, a.Monochrome, a.Tint, keywords(a))
		}
	}
	// the classic sepia matrix applied to grey levels, through JPEG
	sepia := analyse(t, decode(t, encodeJPEG(t, fill(200, 200, func(x, y int) color.RGBA {
		v := float64(grey.GrayAt(x, y).Y)
		return color.RGBA{uint8(min(255, 1.351*v)), uint8(min(255, 1.203*v)), uint8(0.937 * v), 255}
	}))))
	if !sepia.Monochrome || !contains(keywords(sepia), "sepia") {
		t.Errorf("sepia: monochrome %v tint %q colourfulness %.1f keywords %v", sepia.Monochrome, sepia.Tint, sepia.Colorfulness, keywords(sepia))
	}
	vivid := analyse(t, fill(200, 200, func(x, y int) color.RGBA {
		if (x/25+y/25)%2 == 0 {
			return color.RGBA{240, 30, 30, 255}
		}
		return color.RGBA{30, 200, 60, 255}
	}))
	if vivid.Monochrome || !contains(keywords(vivid), "vivid") {
		t.Errorf("red and green checks: monochrome %v colourfulness %.1f keywords %v", vivid.Monochrome, vivid.Colorfulness, keywords(vivid))
	}
}

func TestGradientStarsSkyCloseUpSymmetry(t *testing.T) {
	grad := analyse(t, fill(400, 300, func(x, y int) color.RGBA {
		return color.RGBA{uint8(40 + x/2), 80, uint8(240 - x/2), 255}
	}))
	if !grad.Gradient || !contains(keywords(grad), "gradient") {
		t.Errorf("gradient: %v, keywords %v", grad.Gradient, keywords(grad))
	}

	n := noise(9)
	stars := fill(600, 400, func(x, y int) color.RGBA {
		if n() == 0 && n() < 128 { // about one pixel in 512
			return color.RGBA{255, 255, 240, 255}
		}
		return color.RGBA{4, 4, 10, 255}
	})
	// make the points a little larger than one pixel so that they survive
	// downsampling
	big := fill(600, 400, func(x, y int) color.RGBA {
		for dy := range 3 {
			for dx := range 3 {
				if c := stars.RGBAAt(x-dx, y-dy); c.R == 255 {
					return c
				}
			}
		}
		return stars.RGBAAt(x, y)
	})
	if a := analyse(t, big); !a.StarField || !contains(keywords(a), "stars") {
		t.Errorf("star field: %v (%d points), keywords %v", a.StarField, a.Points, keywords(a))
	}

	sky := analyse(t, fill(600, 400, func(x, y int) color.RGBA {
		if y < 200 {
			return color.RGBA{90, uint8(140 + y/10), 230, 255}
		}
		v := n() / 2
		return color.RGBA{v / 2, 80 + v, v / 3, 255}
	}))
	if !sky.Sky || !contains(keywords(sky), "sky") || sky.CopySpace != "top" {
		t.Errorf("blue over green: sky %v copy space %q keywords %v", sky.Sky, sky.CopySpace, keywords(sky))
	}

	closeUp := analyse(t, fill(600, 600, func(x, y int) color.RGBA {
		d := math.Hypot(float64(x-300), float64(y-300))
		if d < 110 {
			v := n()
			return color.RGBA{v, v / 2, 20, 255}
		}
		return color.RGBA{uint8(100 + x/20), 120, 90, 255}
	}))
	if !closeUp.CentreFocus || !contains(keywords(closeUp), "close-up") {
		t.Errorf("busy centre, calm edges: centre focus %v keywords %v", closeUp.CentreFocus, keywords(closeUp))
	}

	sym := analyse(t, fill(400, 300, func(x, y int) color.RGBA {
		d := x
		if x >= 200 {
			d = 399 - x
		}
		v := uint8((d * 7 / 5) % 256)
		if (y/30)%2 == 0 {
			v = 255 - v
		}
		return color.RGBA{v, v, 128, 255}
	}))
	if !sym.Symmetric || !contains(keywords(sym), "symmetry") {
		t.Errorf("mirror image: symmetric %v", sym.Symmetric)
	}
	if asym := analyse(t, decodeSample(t, "coffee.png")); asym.Symmetric {
		t.Error("coffee is not symmetric")
	}
}

func TestDeterminism(t *testing.T) {
	img := decodeSample(t, "chelsea.png")
	a, b := analyse(t, img), analyse(t, img)
	if a.Title(70) != b.Title(70) || a.Prompt() != b.Prompt() || strings.Join(keywords(a), ",") != strings.Join(keywords(b), ",") {
		t.Fatal("same image, different words")
	}
	if a.Brightness != b.Brightness || a.Detail != b.Detail || len(a.Colors) != len(b.Colors) {
		t.Fatal("same image, different measures")
	}
	for i := range a.Colors {
		if a.Colors[i] != b.Colors[i] {
			t.Fatalf("colour %d: %+v vs %+v", i, a.Colors[i], b.Colors[i])
		}
	}
}

func TestTinyImages(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {2, 7}, {5, 3}} {
		a := analyse(t, fill(size[0], size[1], flat(color.RGBA{10, 200, 30, 255})))
		if a.Title(70) == "" || len(keywords(a)) < 10 {
			t.Errorf("%v: %q %v", size, a.Title(70), keywords(a))
		}
	}
}
