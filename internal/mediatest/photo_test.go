package mediatest

import (
	"bytes"
	"image"
	"image/jpeg"
	"path/filepath"
	"testing"
)

func TestPhoto(t *testing.T) {
	srcs, err := LoadSamples(filepath.Join("..", "..", "testdata", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Photo(srcs, 240, 160, 0, 92)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Photo(srcs, 240, 160, 0, 92)
	if !bytes.Equal(a, again) {
		t.Error("the same arguments gave different bytes")
	}
	other, _ := Photo(srcs, 240, 160, 1, 92)
	if bytes.Equal(a, other) {
		t.Error("variants 0 and 1 are the same file")
	}
	img, err := jpeg.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ycc, ok := img.(*image.YCbCr)
	if !ok || ycc.SubsampleRatio != image.YCbCrSubsampleRatio420 || img.Bounds() != image.Rect(0, 0, 240, 160) {
		t.Fatalf("decoded %T %v, want a 240×160 4:2:0 YCbCr", img, img.Bounds())
	}
	if _, err := Photo(nil, 240, 160, 0, 92); err == nil {
		t.Error("no samples: no error")
	}
	if _, err := Photo(srcs, 3, 160, 0, 92); err == nil {
		t.Error("3 pixels wide: no error")
	}
}

func TestSmallJPEG(t *testing.T) {
	a, err := SmallJPEG(0)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := SmallJPEG(0)
	other, _ := SmallJPEG(1)
	if !bytes.Equal(a, again) || bytes.Equal(a, other) {
		t.Fatal("SmallJPEG(0) is not stable, or equals SmallJPEG(1)")
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(a))
	if err != nil || cfg.Width != 96 || cfg.Height != 64 {
		t.Fatalf("decoded %dx%d, %v; want 96×64", cfg.Width, cfg.Height, err)
	}
}
