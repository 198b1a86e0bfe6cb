package strip

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/webp"
)

// maxFuzzPixels keeps decoding of fuzzed headers cheap.
const maxFuzzPixels = 1 << 20

// checkStrip asserts the properties every Strip result has: no panic, no
// growth, and — when Go's decoder accepts the input — an output that
// decodes to the same pixels and that a second Strip leaves alone.
func checkStrip(t *testing.T, data []byte, decodeConfig func([]byte) (image.Config, error), dec func([]byte) (image.Image, error)) {
	for _, opt := range []Options{{}, {DropOrientation: true, DropICC: true}} {
		out, rep, err := Bytes(data, opt)
		if err == nil {
			if len(out) > len(data) {
				t.Fatalf("output grew: %d -> %d", len(data), len(out))
			}
			if rep.BytesAfter != len(out) {
				t.Fatalf("report says %d bytes, output has %d", rep.BytesAfter, len(out))
			}
		} else if out != nil {
			t.Fatal("output despite error")
		}
		cfg, cerr := decodeConfig(data)
		if cerr != nil || cfg.Width*cfg.Height > maxFuzzPixels || cfg.Width > 1<<14 || cfg.Height > 1<<14 {
			continue
		}
		mi, derr := dec(data)
		if derr != nil {
			continue
		}
		if err != nil {
			t.Fatalf("input decodes but Strip failed: %v", err)
		}
		mo, err := dec(out)
		if err != nil {
			t.Fatalf("input decodes but output does not: %v", err)
		}
		if !samePixels(mi, mo) {
			t.Fatal("pixels differ")
		}
		again, _, err := Bytes(out, opt)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %v", err)
		}
	}
}

func FuzzStripJPEG(f *testing.F) {
	small := tinyJPEG(f)
	f.Add(small)
	f.Add(append(append([]byte{0xFF, 0xD8}, seg(0xE1, append([]byte(exifHeader), tiffWithOrientation(6, 40)...))...), small[2:]...))
	f.Add(append(append([]byte{0xFF, 0xD8}, seg(0xFE, []byte("comment"))...), small[2:]...))
	f.Add(append(bytes.Clone(small), "trailer"...))
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkStrip(t, data,
			func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) },
			func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) })
	})
}

func FuzzStripPNG(f *testing.F) {
	f.Add(pngFile(pngChunk("IHDR", pngIHDR), pngChunk("IDAT", pngIDAT()), pngChunk("IEND", nil)))
	f.Add(pngFile(pngChunk("IHDR", pngIHDR), pngChunk("tEXt", []byte("Author\x00me")),
		pngChunk("eXIf", minimalTIFF(6)), pngChunk("iCCP", []byte("p\x00\x00x")), pngChunk("IDAT", pngIDAT()), pngChunk("IEND", nil)))
	f.Add(tinyPNG(f))
	f.Add([]byte(pngSignature))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkStrip(t, data,
			func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) },
			func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) })
	})
}

func FuzzStripWebP(f *testing.F) {
	// Small seeds keep minimization fast: the fixtures without their
	// big XMP and ICC chunks, plus short metadata chunks.
	for _, name := range []string{"alpha.webp", "lossless.webp"} {
		base, _, err := Bytes(readFixture(f, name), Options{DropICC: true, DropOrientation: true})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(base)
		w := webpWith(base, webpChunk("EXIF", minimalTIFF(6)), webpChunk("XMP ", []byte("<x:xmpmeta/>")))
		w[20] |= vp8xEXIF | vp8xXMP
		f.Add(w)
		f.Add(w[:len(w)-5])
	}
	f.Add([]byte("RIFF\x04\x00\x00\x00WEBP"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkStrip(t, data,
			func(b []byte) (image.Config, error) { return webp.DecodeConfig(bytes.NewReader(b)) },
			func(b []byte) (image.Image, error) { return webp.Decode(bytes.NewReader(b)) })
	})
}

func tinyJPEG(tb testing.TB) []byte {
	m := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 50}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func tinyPNG(tb testing.TB) []byte {
	m := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	m.SetNRGBA(1, 1, color.NRGBA{200, 10, 10, 128})
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func webpChunk(fourCC string, body []byte) []byte {
	b := append([]byte(fourCC), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// webpWith appends chunks to a WebP file and fixes the RIFF size.
func webpWith(file []byte, chunks ...[]byte) []byte {
	out := bytes.Join(append([][]byte{file}, chunks...), nil)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}
