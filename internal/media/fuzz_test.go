package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/jpeg"
	"testing"
)

// fuzzSeeds are the first bytes of the real samples, whole small files of
// every format, and hand-made edge cases.
func fuzzSeeds(f *testing.F) {
	for _, name := range []string{"rocket.jpg", "hubble_deep_field.jpg", "coffee.png", "brick.png"} {
		b := sample(f, name)
		f.Add(b[:min(len(b), 1024)])
	}
	for _, b := range generated(f) {
		f.Add(b)
	}
	for _, name := range []string{"lossy.webp", "lossless.webp", "alpha.webp", "alpha_lossy.webp", "exif6.webp"} {
		f.Add(fixture(f, name))
	}
	small := encodeJPEG(f, quadrants(16, 8))
	f.Add(withSegment(small, 0xE1, exifAPP1(6, binary.BigEndian)))
	f.Add(withSegment(small, 0xE1, exifAPP1(3, binary.LittleEndian)))
	f.Add(jpegFrameHeader(0xC2, 2000, 2000, 0x22, 0x11, 0x11))
	f.Add(jpegFrameHeader(0xC2, 100, 100, 0x44, 0x11, 0x11, 0x11))
	f.Add(pngHeader(2000, 2000, 6, 16, 1))
	f.Add(motionPhoto(small))
	f.Add(scanBomb(small, 300))
	f.Add(hugePNG(50000, 50000))
	f.Add(hugePNG(3, 2))
	f.Add([]byte{})
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x03})
	f.Add([]byte("RIFF\xff\xff\xff\xffWEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff"))
	f.Add([]byte("GIF89a\xff\xff\xff\xff\x00\x00\x00"))
	f.Add([]byte("BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\xff\xff\xff\x7f\xff\xff\xff\x7f\x01\x00\x18\x00"))
	f.Add([]byte("II*\x00\x08\x00\x00\x00\xff\xff"))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\x00\x02\x01\x00\x00\x04\x00\x00\x00\x01\x00\x01\x00\x00\x01\x01\x00\x04\x00\x00\x00\x01\x00\x01\x00\x00"))
	f.Add([]byte("<html>not an image</html>"))
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	var me *Error
	if !errors.As(err, &me) {
		t.Fatalf("error is not *media.Error: %T %v", err, err)
	}
	if me.Kind != KindInvalid && me.Kind != KindUnsupported && me.Kind != KindTooLarge {
		t.Fatalf("bad kind %v", me.Kind)
	}
}

func FuzzSniff(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		ft, err := Sniff(b)
		if err != nil {
			checkErr(t, err)
			return
		}
		if ft.MIMEType() == "application/octet-stream" {
			t.Fatalf("sniffed %q without a MIME type", ft)
		}
	})
}

var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxPixels: 4_000_000, MaxSide: 4096}

func FuzzProbe(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Probe(b, fuzzLimits)
		if err != nil {
			checkErr(t, err)
			return
		}
		if info.Width < 1 || info.Height < 1 || info.Width > fuzzLimits.MaxSide || info.Height > fuzzLimits.MaxSide ||
			int64(info.Width)*int64(info.Height) > fuzzLimits.MaxPixels {
			t.Fatalf("Probe accepted %+v over limits", info)
		}
		if info.Orientation < 1 || info.Orientation > 8 {
			t.Fatalf("orientation %d", info.Orientation)
		}
		if px := int64(info.Width) * int64(info.Height); info.DecodeBytes < 1 || info.DecodeBytes > 32*px+1<<20 {
			t.Fatalf("decode cost %d bytes for %d pixels", info.DecodeBytes, px)
		}
	})
}

func FuzzPrepare(f *testing.F) {
	fuzzSeeds(f)
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MaxSide: 4096}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Prepare(b, lim, PrepareOptions{LongEdge: 64})
		if err != nil {
			checkErr(t, err)
			return
		}
		if p.Width < 1 || p.Height < 1 || max(p.Width, p.Height) > 64 {
			t.Fatalf("output %d×%d", p.Width, p.Height)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.Data))
		if err != nil || cfg.Width != p.Width || cfg.Height != p.Height {
			t.Fatalf("output JPEG header %+v, %v; want %d×%d", cfg, err, p.Width, p.Height)
		}
		for _, m := range compact(segments(t, p.Data)) {
			switch m {
			case 0xD8, 0xDB, 0xC0, 0xC4, 0xDA, 0xD9:
			default:
				t.Fatalf("output has marker %#x", m)
			}
		}
	})
}

func FuzzOrientation(f *testing.F) {
	for o := range 10 {
		f.Add(exifTIFF(o, binary.LittleEndian))
		f.Add(exifTIFF(o, binary.BigEndian))
	}
	f.Add([]byte("II*\x00\xff\xff\xff\xff"))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\xff\xff"))
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x04\x00\x01\x00\x00\x00\x06\x00\x00\x00"))
	base := encodeJPEG(f, quadrants(8, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		o := exifOrientation(b)
		if o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
		// The same payload inside a JPEG's APP1 must give the same answer.
		if len(b)+6 > 65533 {
			return
		}
		info, err := Probe(withSegment(base, 0xE1, append([]byte("Exif\x00\x00"), b...)), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if info.Orientation != o {
			t.Fatalf("Probe orientation %d, parser %d", info.Orientation, o)
		}
	})
}

func FuzzDetect(f *testing.F) {
	fuzzSeeds(f)
	for _, s := range []string{"RIFF\x24\x00\x00\x00WAVEfmt ", "fLaC", "OggS\x00", "ID3\x03", "\xFF\xFB\x90\x64",
		"\x00\x00\x00\x20ftypM4A ", "\x1A\x45\xDF\xA3webm", "<?xml?><svg>", "<!DOCTYPE svg [<!ENTITY a 'b'>]><svg/>",
		"%!PS-Adobe-3.0 EPSF-3.0\n", "\xC5\xD0\xD3\xC6",
		// Issue 11: QuickTime without ftyp, a Canon raw, a Mac font, an icon.
		"\x00\x00\x01\x00moov\x00\x00\x00\x6cmvhd", "\x00\x00\x00\x08wide\x00\x10\x00\x00mdat",
		"\x00\x00\x00\x01mdat\x00\x00\x00\x00\x00\x00\x00\x04", "\x00\x00\x00\x08free\x00\x00\x00\x14ftypqt  ",
		"\xff\xff\xff\xffskip\x00\x00\x00\x08mdat", "\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom",
		dfontHead, icoHead} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ft, err := Detect(b)
		if err != nil {
			checkErr(t, err)
			return
		}
		if ft.Kind() == "" || ft.MIMEType() == "application/octet-stream" {
			t.Fatalf("detected %q without a kind or MIME type", ft)
		}
	})
}
