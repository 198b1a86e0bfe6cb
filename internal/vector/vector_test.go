package vector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const flag = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 200">
  <rect x="0" y="0" width="150" height="200" fill="#ff0000"/>
  <circle cx="225" cy="100" r="50" fill="blue"/>
  <path d="M160 190 L290 190" stroke="green" stroke-width="10"/>
</svg>`

func rgb(img image.Image, x, y int) [3]uint32 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]uint32{r >> 8, g >> 8, b >> 8}
}

func TestRasterize(t *testing.T) {
	img, err := Rasterize(t.Context(), []byte(flag), 600, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 600 || b.Dy() != 400 {
		t.Fatalf("size %v, want 600×400 (3:2 of the viewBox)", b)
	}
	tests := []struct {
		x, y int
		want [3]uint32
		what string
	}{
		{100, 200, [3]uint32{255, 0, 0}, "red rectangle"},
		{450, 200, [3]uint32{0, 0, 255}, "blue circle"},
		{450, 20, [3]uint32{255, 255, 255}, "white background"},
		{450, 380, [3]uint32{0, 128, 0}, "green stroke"},
	}
	for _, tt := range tests {
		if got := rgb(img, tt.x, tt.y); got != tt.want {
			t.Errorf("%s at (%d,%d) = %v, want %v", tt.what, tt.x, tt.y, got, tt.want)
		}
	}
}

func TestRasterizeSizes(t *testing.T) {
	tests := []struct {
		name string
		svg  string
		edge int
		w, h int
	}{
		{"width and height only", `<svg xmlns="http://www.w3.org/2000/svg" width="50" height="100"><rect width="50" height="100"/></svg>`, 200, 100, 200},
		{"default edge", `<svg viewBox="0 0 10 10"><rect width="5" height="5"/></svg>`, 0, DefaultLongEdge, DefaultLongEdge},
		{"edge capped", `<svg viewBox="0 0 10 1"><rect width="5" height="1"/></svg>`, 100000, maxLongEdge, maxLongEdge / 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Rasterize(t.Context(), []byte(tt.svg), tt.edge, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Fatalf("size %v, want %d×%d", b, tt.w, tt.h)
			}
		})
	}
}

func TestRasterizeRefuses(t *testing.T) {
	deep := strings.Repeat("<g>", 300) + strings.Repeat("</g>", 300)
	many := strings.Repeat(`<rect width="1" height="1"/>`, 2000)
	tests := []struct {
		name string
		svg  string
		lim  Limits
		want error
	}{
		{"empty", "", Limits{}, ErrInvalid},
		{"not xml", "hello", Limits{}, ErrInvalid},
		{"html root", `<html><svg viewBox="0 0 1 1"/></html>`, Limits{}, ErrInvalid},
		{"malformed", `<svg viewBox="0 0 1 1"><rect></svg>`, Limits{}, ErrInvalid},
		{"no size", `<svg><rect width="1" height="1"/></svg>`, Limits{}, ErrInvalid},
		{"zero viewBox", `<svg viewBox="0 0 0 10"/>`, Limits{}, ErrInvalid},
		{"absurd ratio", `<svg viewBox="0 0 100000 1"/>`, Limits{}, ErrInvalid},
		{"undefined entity", `<svg viewBox="0 0 1 1">&bomb;</svg>`, Limits{}, ErrInvalid},
		{"too deep", `<svg viewBox="0 0 1 1">` + deep + `</svg>`, Limits{}, ErrTooLarge},
		{"too many", `<svg viewBox="0 0 1 1">` + many + `</svg>`, Limits{MaxElements: 1000}, ErrTooLarge},
		{"too big", `<svg viewBox="0 0 1 1">` + many + `</svg>`, Limits{MaxBytes: 1000}, ErrTooLarge},
		{"recursive use", `<svg viewBox="0 0 10 10"><defs><g id="a"><use href="#a"/></g></defs><use href="#a"/></svg>`, Limits{}, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Rasterize(t.Context(), []byte(tt.svg), 64, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
		})
	}
}

func TestRasterizeNeverFetches(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/svg+xml")
		fmt.Fprint(w, `<svg viewBox="0 0 1 1"><rect id="x" width="1" height="1"/></svg>`)
	}))
	defer srv.Close()
	doc := fmt.Sprintf(`<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "%[1]s/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">
  <style>@import url(%[1]s/style.css); rect { fill: url(%[1]s/paint.svg#p) }</style>
  <image href="%[1]s/photo.png" width="10" height="10"/>
  <image xlink:href="file:///etc/passwd" width="10" height="10"/>
  <use href="%[1]s/other.svg#x"/>
  <rect width="5" height="5" fill="url(%[1]s/grad.svg#g)"/>
</svg>`, srv.URL)
	_, err := Rasterize(t.Context(), []byte(doc), 64, Limits{})
	if err != nil && !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the server was asked %d times", n)
	}
}

func TestRasterizeFineDash(t *testing.T) {
	doc := `<svg viewBox="0 0 1000 1000"><path d="M0 0 L1000 1000 L0 1000 Z" stroke="black" stroke-width="3" stroke-dasharray="0.0001 0.0001"/></svg>`
	start := time.Now()
	img, err := Rasterize(t.Context(), []byte(doc), 256, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("took %v", el)
	}
	if got := rgb(img, 128, 128); got[0] > 100 {
		t.Fatalf("stroke not drawn solid: %v", got)
	}
}

func TestRasterizeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Rasterize(ctx, []byte(flag), 64, Limits{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestPreviewPNG(t *testing.T) {
	data, err := PreviewPNG(t.Context(), []byte(flag), 300, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 300 || b.Dy() != 200 {
		t.Fatalf("size %v", b)
	}
}

func TestFindPreview(t *testing.T) {
	dir := t.TempDir()
	touch := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	eps := touch("logo.eps")
	ai := touch("Icon.AI")
	lone := touch("lone.eps")
	jpg := touch("logo.jpg")
	touch("logo.JPEG")
	aiPreview := touch("icon.Jpeg")
	if err := os.Mkdir(filepath.Join(dir, "dirpreview.jpg"), 0o700); err != nil {
		t.Fatal(err)
	}
	dirCase := touch("dirpreview.eps")

	if p, ok := FindPreview(eps); !ok || p != jpg {
		t.Errorf("FindPreview(logo.eps) = %q, %v; want %q", p, ok, jpg)
	}
	if p, ok := FindPreview(ai); !ok || p != aiPreview {
		t.Errorf("FindPreview(Icon.AI) = %q, %v; want %q", p, ok, aiPreview)
	}
	if p, ok := FindPreview(lone); ok {
		t.Errorf("FindPreview(lone.eps) = %q", p)
	}
	if p, ok := FindPreview(dirCase); ok {
		t.Errorf("a folder was taken for a preview: %q", p)
	}
	if !IsSource(eps) || !IsSource(ai) || IsSource(jpg) {
		t.Error("IsSource wrong")
	}
	if !strings.Contains(ErrNoPreview.Error(), "JPEG") {
		t.Error("ErrNoPreview does not name the pairing")
	}
}
