package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	"golang.org/x/image/tiff"

	"github.com/picfre/picfre/internal/testenv"
)

func kindOf(err error) Kind {
	var me *Error
	if errors.As(err, &me) {
		return me.Kind
	}
	return 0
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want Format
		kind Kind
	}{
		{"jpeg", sample(t, "rocket.jpg"), FormatJPEG, 0},
		{"png", sample(t, "coffee.png"), FormatPNG, 0},
		{"gif87", []byte("GIF87a\x01\x00\x01\x00"), FormatGIF, 0},
		{"gif89", []byte("GIF89a\x01\x00\x01\x00"), FormatGIF, 0},
		{"webp", fixture(t, "lossy.webp"), FormatWebP, 0},
		{"bmp", []byte("BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00"), FormatBMP, 0},
		{"tiff le", []byte("II*\x00\x08\x00\x00\x00"), FormatTIFF, 0},
		{"tiff be", []byte("MM\x00*\x00\x00\x00\x08"), FormatTIFF, 0},
		{"empty", nil, "", KindInvalid},
		{"text", []byte("hello, this is a plain text file\n"), "", KindUnsupported},
		{"text starting BM", []byte("BMW is a car maker and this is text"), "", KindUnsupported},
		{"html", []byte("<!DOCTYPE html><html><body>hi</body></html>"), "", KindUnsupported},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), "", KindUnsupported},
		{"pdf", []byte("%PDF-1.7\n"), "", KindUnsupported},
		{"riff not webp", []byte("RIFF\x10\x00\x00\x00WAVEfmt "), "", KindUnsupported},
		{"one byte", []byte{0xFF}, "", KindUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Sniff(tt.head[:min(len(tt.head), SniffLen)])
			if f != tt.want || kindOf(err) != tt.kind {
				t.Fatalf("Sniff = %q, %v; want %q, kind %v", f, err, tt.want, tt.kind)
			}
			if tt.kind == 0 && f.MIMEType() == "application/octet-stream" {
				t.Fatalf("no MIME type for %q", f)
			}
		})
	}
}

func TestProbeSamples(t *testing.T) {
	tests := []struct {
		file string
		f    Format
		w, h int
	}{
		{"astronaut.png", FormatPNG, 512, 512},
		{"brick.png", FormatPNG, 512, 512},
		{"chelsea.png", FormatPNG, 451, 300},
		{"coffee.png", FormatPNG, 600, 400},
		{"hubble_deep_field.jpg", FormatJPEG, 1000, 872},
		{"rocket.jpg", FormatJPEG, 640, 427},
	}
	for _, tt := range tests {
		info, err := Probe(sample(t, tt.file), Limits{})
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if info.DecodeBytes < int64(tt.w*tt.h) {
			t.Errorf("%s: decode cost %d bytes, less than a byte a pixel", tt.file, info.DecodeBytes)
		}
		info.DecodeBytes, info.frame = 0, jpegFrame{} // TestDecodeCostFromHeaders checks them
		want := Info{Format: tt.f, Width: tt.w, Height: tt.h, Orientation: 1}
		if info != want {
			t.Errorf("%s: Probe = %+v, want %+v", tt.file, info, want)
		}
	}
}

// generated returns every supported format, encoded from the same picture
// by the standard and x/image encoders or checked-in cwebp output.
func generated(t testing.TB) map[string][]byte {
	t.Helper()
	src := quadrants(40, 30)
	out := map[string][]byte{}
	var buf bytes.Buffer
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	out["jpeg"] = encodeJPEG(t, src)
	must(png.Encode(&buf, src))
	out["png"] = bytes.Clone(buf.Bytes())
	buf.Reset()
	must(gif.Encode(&buf, src, nil))
	out["gif"] = bytes.Clone(buf.Bytes())
	buf.Reset()
	must(bmp.Encode(&buf, src))
	out["bmp"] = bytes.Clone(buf.Bytes())
	buf.Reset()
	must(tiff.Encode(&buf, src, nil))
	out["tiff"] = bytes.Clone(buf.Bytes())
	buf.Reset()
	must(tiff.Encode(&buf, src, &tiff.Options{Compression: tiff.Deflate}))
	out["tiff-deflate"] = bytes.Clone(buf.Bytes())
	return out
}

func TestEveryFormatDecodes(t *testing.T) {
	for name, data := range generated(t) {
		t.Run(name, func(t *testing.T) {
			img, info, err := Decode(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Width != 40 || info.Height != 30 || img.Bounds().Dx() != 40 || img.Bounds().Dy() != 30 {
				t.Fatalf("size %+v / %v, want 40×30", info, img.Bounds())
			}
			for _, c := range []struct {
				x, y int
				want [3]int
			}{{5, 5, [3]int{255, 0, 0}}, {35, 5, [3]int{0, 255, 0}}, {5, 25, [3]int{0, 0, 255}}, {35, 25, [3]int{255, 255, 255}}} {
				if got := rgbAt(img, c.x, c.y); !near(got, c.want, 24) {
					t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
				}
			}
			p, err := Prepare(data, Limits{}, PrepareOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != 40 || p.Height != 30 || p.MIMEType != "image/jpeg" {
				t.Fatalf("Prepare = %dx%d %s", p.Width, p.Height, p.MIMEType)
			}
		})
	}
	webps := []struct {
		file        string
		w, h        int
		orientation int
	}{
		{"lossy.webp", 64, 43, 1},
		{"lossless.webp", 48, 48, 1},
		{"alpha.webp", 40, 30, 1},
		{"alpha_lossy.webp", 40, 30, 1},
		{"exif6.webp", 64, 43, 6},
	}
	for _, tt := range webps {
		t.Run(tt.file, func(t *testing.T) {
			data := fixture(t, tt.file)
			img, info, err := Decode(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Format != FormatWebP || info.Width != tt.w || info.Height != tt.h || info.Orientation != tt.orientation {
				t.Fatalf("info = %+v", info)
			}
			dw, dh := info.DisplaySize()
			if img.Bounds().Dx() != dw || img.Bounds().Dy() != dh {
				t.Fatalf("decoded %v, want %d×%d", img.Bounds(), dw, dh)
			}
			p, err := Prepare(data, Limits{}, PrepareOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != dw || p.Height != dh {
				t.Fatalf("Prepare = %d×%d, want %d×%d", p.Width, p.Height, dw, dh)
			}
		})
	}
}

// The alpha fixtures are red on the left half, fully transparent on the
// right: Prepare must flatten the transparent half onto white.
func TestPrepareFlattensAlphaOntoWhite(t *testing.T) {
	nrgba := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			a := uint8(255)
			if x >= 20 {
				a = 0
			}
			nrgba.SetNRGBA(x, y, color.NRGBA{200, 20, 20, a})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, nrgba); err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]byte{"png": buf.Bytes(), "alpha.webp": fixture(t, "alpha.webp"), "alpha_lossy.webp": fixture(t, "alpha_lossy.webp")}
	for name, data := range inputs {
		p, err := Prepare(data, Limits{}, PrepareOptions{Quality: 95})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, err := jpegDecode(p.Data)
		if err != nil {
			t.Fatal(err)
		}
		if got := rgbAt(out, 5, 15); !near(got, [3]int{200, 20, 20}, 24) {
			t.Errorf("%s: opaque side = %v", name, got)
		}
		if got := rgbAt(out, 35, 15); !near(got, [3]int{255, 255, 255}, 8) {
			t.Errorf("%s: transparent side = %v, want white", name, got)
		}
	}
}

func TestRefusals(t *testing.T) {
	rocket := sample(t, "rocket.jpg")
	coffee := sample(t, "coffee.png")
	gifData := generated(t)["gif"]
	smallScreen := bytes.Clone(gifData)
	binary.LittleEndian.PutUint16(smallScreen[6:], 4) // logical screen 4×4, frame 40×30
	binary.LittleEndian.PutUint16(smallScreen[8:], 4)
	bigFrame := bytes.Clone(fixture(t, "exif6.webp"))
	i := bytes.Index(bigFrame, []byte{0x9D, 0x01, 0x2A})
	binary.LittleEndian.PutUint16(bigFrame[i+3:], 16000) // VP8 frame far bigger than the VP8X canvas
	binary.LittleEndian.PutUint16(bigFrame[i+5:], 16000)
	tests := []struct {
		name string
		data []byte
		lim  Limits
		kind Kind
	}{
		{"zero bytes", nil, Limits{}, KindInvalid},
		{"truncated JPEG", rocket[:len(rocket)/2], Limits{}, KindInvalid},
		{"JPEG header only", rocket[:40], Limits{}, KindInvalid},
		{"truncated PNG", coffee[:len(coffee)/2], Limits{}, KindInvalid},
		{"PNG cut in IHDR", coffee[:20], Limits{}, KindInvalid},
		{"text", []byte("just some words in a text file, nothing else\n"), Limits{}, KindUnsupported},
		{"html", []byte("<html><head><title>x</title></head><body><img src=a.jpg></body></html>"), Limits{}, KindUnsupported},
		{"huge PNG", hugePNG(50000, 50000), Limits{}, KindTooLarge},
		{"PNG over side limit", hugePNG(40000, 10), Limits{}, KindTooLarge},
		{"PNG zero width", hugePNG(0, 10), Limits{}, KindInvalid},
		{"over byte limit", rocket, Limits{MaxBytes: 1000}, KindTooLarge},
		{"over pixel limit", rocket, Limits{MaxPixels: 640*427 - 1}, KindTooLarge},
		{"GIF frame larger than screen", smallScreen, Limits{}, KindInvalid},
		{"WebP frame larger than canvas", bigFrame, Limits{MaxPixels: 4_000_000}, KindTooLarge},
		{"arithmetic JPEG", withSOF(rocket, 0xC9), Limits{}, KindUnsupported},
		{"JPEG scan bomb", scanBomb(rocket, 300), Limits{}, KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Prepare(tt.data, tt.lim, PrepareOptions{LongEdge: 256})
			if kindOf(err) != tt.kind {
				t.Fatalf("Prepare error = %v (kind %v), want kind %v", err, kindOf(err), tt.kind)
			}
			if _, _, err := Decode(tt.data, tt.lim); kindOf(err) != tt.kind {
				t.Fatalf("Decode error = %v, want kind %v", err, tt.kind)
			}
			if msg := err.Error(); strings.ContainsRune(msg, 0) || !utf8.ValidString(msg) {
				t.Fatalf("error message carries raw bytes: %q", err.Error())
			}
		})
	}
}

// scanBomb puts n empty scans before the EOI of j, where the decoder
// would walk them.
func scanBomb(j []byte, n int) []byte {
	if !bytes.HasSuffix(j, []byte{0xFF, 0xD9}) {
		panic("the JPEG does not end with EOI")
	}
	out := bytes.Clone(j[:len(j)-2])
	out = append(out, bytes.Repeat([]byte{0xFF, 0xDA, 0x00, 0x02}, n)...)
	return append(out, 0xFF, 0xD9)
}

// motionPhoto appends to j what a phone's motion photo carries after the
// image's EOI: an MP4 (ftyp, then an mdat full of bytes that look like
// JPEG markers, FF DA and FF D9 included, as compressed video does).
func motionPhoto(j []byte) []byte {
	box := func(typ string, body []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
		return append(append(b, typ...), body...)
	}
	var mdat []byte
	for i := range 3000 {
		mdat = append(mdat, 0xFF, 0xDA, 0x00, 0x02, byte(i), 0xFF, 0xD9, 0xFF, 0xD8)
	}
	out := bytes.Clone(j)
	out = append(out, box("ftyp", []byte("mp42\x00\x00\x00\x00isommp42"))...)
	return append(out, box("mdat", mdat)...)
}

// A motion photo (a JPEG followed by an MP4) decodes as its first image:
// the scan guard stops at the EOI and the trailer is ignored, while the
// same marker bytes before the EOI are still a scan bomb.
func TestMotionPhotoJPEG(t *testing.T) {
	rocket := sample(t, "rocket.jpg")
	for name, jpg := range map[string][]byte{
		"baseline":    rocket,
		"progressive": fixture(t, "progressive.jpg"),
		"with EXIF":   withSegment(rocket, 0xE1, exifAPP1(6, binary.BigEndian)),
	} {
		t.Run(name, func(t *testing.T) {
			data := motionPhoto(jpg)
			if n := bytes.Count(data, []byte{0xFF, 0xDA}); n <= maxJPEGScans {
				t.Fatalf("the trailer has only %d SOS-like bytes", n)
			}
			want, err := Probe(jpg, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := Prepare(data, Limits{}, PrepareOptions{LongEdge: 64})
			if err != nil {
				t.Fatalf("motion photo refused: %v", err)
			}
			if p.Source != want {
				t.Fatalf("source %+v, want %+v", p.Source, want)
			}
		})
	}
	if _, err := Prepare(motionPhoto(scanBomb(rocket, 300)), Limits{}, PrepareOptions{}); kindOf(err) != KindInvalid {
		t.Fatalf("scans before the EOI: %v, want invalid", err)
	}
}

// withSOF rewrites the first SOF0 marker of a baseline JPEG.
func withSOF(j []byte, m byte) []byte {
	out := bytes.Clone(j)
	i := bytes.Index(out, []byte{0xFF, 0xC0})
	out[i+1] = m
	return out
}

func TestHugePNGRefusedWithoutAllocating(t *testing.T) {
	data := hugePNG(50000, 50000)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Probe(data, Limits{}); kindOf(err) != KindTooLarge {
			t.Fatalf("Probe: %v", err)
		}
	})
	if allocs > 10 { // the error value and its message only
		t.Errorf("Probe made %v allocations on refusal", allocs)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, err := Prepare(data, Limits{}, PrepareOptions{LongEdge: 1024}); kindOf(err) != KindTooLarge {
			t.Fatalf("Prepare: %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 10; per > 4096 {
		t.Errorf("Prepare allocated %d bytes per refusal of a 50000×50000 PNG", per)
	}
}

// Visual corner colours [TL, TR, BL, BR] of the quadrants image (stored
// TL red, TR green, BL blue, BR white) once displayed under each EXIF
// orientation, worked out from the EXIF definition of where stored row 0
// and column 0 go.
var (
	red, green, blue, white = [3]int{255, 0, 0}, [3]int{0, 255, 0}, [3]int{0, 0, 255}, [3]int{255, 255, 255}
	orientedCorners         = map[int][4][3]int{
		1: {red, green, blue, white},
		2: {green, red, white, blue},
		3: {white, blue, green, red},
		4: {blue, white, red, green},
		5: {red, blue, green, white},
		6: {blue, red, white, green},
		7: {white, green, blue, red},
		8: {green, white, red, blue},
	}
)

func checkCorners(t *testing.T, img image.Image, o int) {
	t.Helper()
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pts := [4]image.Point{{w / 8, h / 8}, {w - 1 - w/8, h / 8}, {w / 8, h - 1 - h/8}, {w - 1 - w/8, h - 1 - h/8}}
	for i, p := range pts {
		if got := rgbAt(img, b.Min.X+p.X, b.Min.Y+p.Y); !near(got, orientedCorners[o][i], 40) {
			t.Errorf("orientation %d corner %d: got %v, want %v", o, i, got, orientedCorners[o][i])
		}
	}
}

func TestOrientationJPEG(t *testing.T) {
	base := encodeJPEG(t, quadrants(64, 32))
	for o := 1; o <= 8; o++ {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			data := withSegment(base, 0xE1, exifAPP1(o, order))
			img, info, err := Decode(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Orientation != o {
				t.Fatalf("orientation = %d, want %d", info.Orientation, o)
			}
			wantW, wantH := 64, 32
			if o >= 5 {
				wantW, wantH = 32, 64
			}
			if img.Bounds().Dx() != wantW || img.Bounds().Dy() != wantH {
				t.Fatalf("o=%d: decoded %v", o, img.Bounds())
			}
			checkCorners(t, img, o)

			p, err := Prepare(data, Limits{}, PrepareOptions{LongEdge: 32, Quality: 95})
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != wantW/2 || p.Height != wantH/2 {
				t.Fatalf("o=%d: prepared %d×%d", o, p.Width, p.Height)
			}
			out, err := jpegDecode(p.Data)
			if err != nil {
				t.Fatal(err)
			}
			checkCorners(t, out, o)
		}
	}
}

func TestOrientationOtherContainers(t *testing.T) {
	src := quadrants(64, 32)
	// PNG with an eXIf chunk before IDAT.
	var buf bytes.Buffer
	if err := png.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	p := buf.Bytes()
	pngExif := append(bytes.Clone(p[:33]), pngChunk("eXIf", exifTIFF(6, binary.BigEndian))...)
	pngExif = append(pngExif, p[33:]...)
	// TIFF with an Orientation tag in IFD0.
	buf.Reset()
	if err := tiff.Encode(&buf, src, nil); err != nil {
		t.Fatal(err)
	}
	tif := setTIFFOrientation(t, buf.Bytes(), 8)
	for name, c := range map[string]struct {
		data []byte
		o    int
	}{"png eXIf": {pngExif, 6}, "tiff": {tif, 8}} {
		img, info, err := Decode(c.data, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.Orientation != c.o {
			t.Fatalf("%s: orientation %d, want %d", name, info.Orientation, c.o)
		}
		checkCorners(t, img, c.o)
	}
}

// setTIFFOrientation appends an Orientation entry by rewriting IFD0 at the
// end of the file (entries must stay sorted, 274 sorts after the others the
// encoder writes except a few, so the whole IFD is rebuilt sorted).
func setTIFFOrientation(t *testing.T, data []byte, o int) []byte {
	t.Helper()
	td, ok := newTIFF(data)
	if !ok {
		t.Fatal("not TIFF")
	}
	type entry struct {
		tag uint16
		raw []byte
	}
	var es []entry
	td.eachIFD0(func(tag, typ uint16, count uint32, val []byte) bool {
		off := int(td.ifd0) + 2 + 12*len(es)
		es = append(es, entry{tag, bytes.Clone(data[off : off+12])})
		return true
	})
	oe := make([]byte, 12)
	td.order.PutUint16(oe, 274)
	td.order.PutUint16(oe[2:], 3)
	td.order.PutUint32(oe[4:], 1)
	td.order.PutUint16(oe[8:], uint16(o))
	var sorted []entry
	inserted := false
	for _, e := range es {
		if !inserted && e.tag > 274 {
			sorted = append(sorted, entry{274, oe})
			inserted = true
		}
		sorted = append(sorted, e)
	}
	if !inserted {
		sorted = append(sorted, entry{274, oe})
	}
	out := bytes.Clone(data)
	if len(out)%2 == 1 {
		out = append(out, 0)
	}
	newIFD := len(out)
	out = append(out, 0, 0)
	td.order.PutUint16(out[newIFD:], uint16(len(sorted)))
	for _, e := range sorted {
		out = append(out, e.raw...)
	}
	out = append(out, 0, 0, 0, 0)
	td.order.PutUint32(out[4:], uint32(newIFD))
	return out
}

func TestPrepareStripsMetadata(t *testing.T) {
	needsStripping := encodeJPEG(t, quadrants(64, 48))
	needsStripping = withSegment(needsStripping, 0xFE, []byte("secret comment: serial 12345"))
	needsStripping = withSegment(needsStripping, 0xED, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10\x1c\x02\x50\x00\x0bJane Doe"))
	needsStripping = withSegment(needsStripping, 0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), make([]byte, 32)...))
	needsStripping = withSegment(needsStripping, 0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><dc:creator>Jane Doe</dc:creator></x:xmpmeta>"))
	needsStripping = withSegment(needsStripping, 0xE1, exifAPP1(6, binary.LittleEndian))
	inputs := map[string][]byte{
		"jpeg with EXIF/XMP/IPTC/ICC/COM": needsStripping, // kept at full size: LongEdge 64
		"hubble (Photoshop EXIF)":         sample(t, "hubble_deep_field.jpg"),
		"rocket (JFIF + comment)":         sample(t, "rocket.jpg"),
	}
	want := []byte{0xD8, 0xDB, 0xC0, 0xC4, 0xDA, 0xD9}
	for name, data := range inputs {
		for _, long := range []int{64} {
			p, err := Prepare(data, Limits{}, PrepareOptions{LongEdge: long})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got := segments(t, p.Data)
			// DQT and DHT may repeat; compare the set of distinct markers in order.
			if !bytes.Equal(compact(got), want) {
				t.Errorf("%s: output markers % X, want only % X", name, got, want)
			}
			for _, s := range []string{"Exif", "Jane Doe", "secret", "ICC_PROFILE", "xmpmeta", "8BIM"} {
				if bytes.Contains(p.Data, []byte(s)) {
					t.Errorf("%s: output still contains %q", name, s)
				}
			}
		}
	}
}

func compact(ms []byte) []byte {
	var out []byte
	for _, m := range ms {
		if len(out) == 0 || out[len(out)-1] != m {
			out = append(out, m)
		}
	}
	return out
}

// exiftool is the independent judge of "no metadata survives".
func TestPrepareExiftoolSeesNoMetadata(t *testing.T) {
	exiftool := testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	data := withSegment(sample(t, "hubble_deep_field.jpg"), 0xE1, exifAPP1(3, binary.BigEndian))
	p, err := Prepare(data, Limits{}, PrepareOptions{LongEdge: 300})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out.jpg")
	if err := writeFile(path, p.Data); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exiftool, "-a", "-G0", "-s", path).CombinedOutput()
	if err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	for _, group := range []string{"[EXIF]", "[XMP]", "[IPTC]", "[ICC_Profile]", "[Photoshop]", "[MakerNotes]", "[JFIF]"} {
		if bytes.Contains(out, []byte(group)) {
			t.Errorf("exiftool found %s metadata:\n%s", group, out)
		}
	}
	if !bytes.Contains(out, []byte("ImageWidth")) {
		t.Fatalf("exiftool output looks wrong:\n%s", out)
	}
}

func TestPrepareSizes(t *testing.T) {
	rocket := sample(t, "rocket.jpg") // 640×427
	tests := []struct {
		long, w, h int
	}{
		{0, 640, 427},
		{2000, 640, 427}, // never upscaled
		{640, 640, 427},
		{320, 320, 214},
		{100, 100, 67},
		{1, 1, 1},
	}
	for _, tt := range tests {
		p, err := Prepare(rocket, Limits{}, PrepareOptions{LongEdge: tt.long})
		if err != nil {
			t.Fatal(err)
		}
		if p.Width != tt.w || p.Height != tt.h {
			t.Errorf("LongEdge %d: %d×%d, want %d×%d", tt.long, p.Width, p.Height, tt.w, tt.h)
		}
		cfg, err := jpegDecodeConfig(p.Data)
		if err != nil || cfg.Width != tt.w || cfg.Height != tt.h {
			t.Errorf("LongEdge %d: output header %+v, %v", tt.long, cfg, err)
		}
		if p.Source.Width != 640 || p.Source.Height != 427 || p.Source.Format != FormatJPEG {
			t.Errorf("Source = %+v", p.Source)
		}
	}
	// Portrait via orientation: the long edge applies to the displayed image.
	rot := withSegment(rocket, 0xE1, exifAPP1(6, binary.BigEndian))
	p, err := Prepare(rot, Limits{}, PrepareOptions{LongEdge: 320})
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 214 || p.Height != 320 {
		t.Errorf("rotated: %d×%d, want 214×320", p.Width, p.Height)
	}
}

// The plane resampler must agree with x/image/draw's Catmull-Rom on real
// photographs, for every source type it has a fast path for.
func TestResampleMatchesReference(t *testing.T) {
	for _, c := range []struct {
		name string
		long int
	}{{"astronaut.png", 173}, {"brick.png", 60}, {"hubble_deep_field.jpg", 120}} {
		name := c.name
		img, _, err := Decode(sample(t, name), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		dw, dh := fitLongEdge(b.Dx(), b.Dy(), c.long)
		groups, targets, kind := groupsOf(img, dw, dh)
		got := assemble(resample(groups, targets), kind)
		ref := image.NewRGBA(image.Rect(0, 0, dw, dh))
		draw.CatmullRom.Scale(ref, ref.Rect, img, b, draw.Src, nil)
		// Luma must match closely; colour is allowed a little more, since
		// YCbCr output carries chroma at half resolution (4:2:0).
		var sumY, sumRGB, n float64
		for y := range dh {
			for x := range dw {
				g, r := rgbAt(got, x, y), rgbAt(ref, x, y)
				ly := 0.299*float64(g[0]-r[0]) + 0.587*float64(g[1]-r[1]) + 0.114*float64(g[2]-r[2])
				sumY += ly * ly
				for i := range 3 {
					d := float64(g[i] - r[i])
					sumRGB += d * d
				}
				n++
			}
		}
		mseY, mseRGB := sumY/n, sumRGB/n/3
		t.Logf("%s (%T) → %d×%d: mean squared difference luma %.2f, RGB %.2f", name, img, dw, dh, mseY, mseRGB)
		if mseY > 4 || mseRGB > 16 {
			t.Errorf("%s (%T) → %d×%d: too far from reference: luma %.2f, RGB %.2f", name, img, dw, dh, mseY, mseRGB)
		}
	}
}

// A real progressive JPEG (10 scans, written by libvips) passes the scan
// guard and decodes.
func TestProgressiveJPEG(t *testing.T) {
	data := fixture(t, "progressive.jpg")
	p, err := Prepare(data, Limits{}, PrepareOptions{LongEdge: 48})
	if err != nil {
		t.Fatal(err)
	}
	if p.Source.Width != 96 || p.Source.Height != 64 || p.Width != 48 || p.Height != 32 {
		t.Fatalf("source %+v, output %d×%d", p.Source, p.Width, p.Height)
	}
}
