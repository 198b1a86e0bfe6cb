package stock

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/picfre/picfre/internal/testenv"
)

var sampleMeta = Metadata{
	Title:       "Café in Zürich — 東京",
	Description: "Crème brûlée on a café table in Zürich, with 日本 tea.",
	Keywords:    []string{"crème brûlée", "日本", "café", "Zürich", "dessert"},
}

// exifJSON runs exiftool -j on path and returns the one object.
func exifJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	tool := testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	out, err := exec.Command(tool, append([]string{"-j", "-G1"}, args...)...).Output()
	if err != nil {
		t.Fatalf("exiftool %v: %v", args, err)
	}
	var v []map[string]any
	if err := json.Unmarshal(out, &v); err != nil || len(v) != 1 {
		t.Fatalf("exiftool output %s: %v", out, err)
	}
	return v[0]
}

// strs turns an exiftool JSON value (a string, a number or a list) into
// strings.
func strs(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, strs(e)...)
		}
		return out
	case string:
		return []string{x}
	default:
		b, _ := json.Marshal(x)
		return []string{string(b)}
	}
}

func str(v any) string { return strings.Join(strs(v), "|") }

func exiftoolRun(t *testing.T, args ...string) {
	t.Helper()
	tool := testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	if out, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		t.Fatalf("exiftool %v: %v\n%s", args, err, out)
	}
}

// scanData returns the bytes from the first SOS marker on, found by an
// independent scan (not parseJPEG).
func scanData(t *testing.T, b []byte) []byte {
	t.Helper()
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		if b[i+1] == 0xDA {
			return b[i:]
		}
		i += 2 + int(b[i+2])<<8 + int(b[i+3])
	}
	t.Fatal("no SOS")
	return nil
}

func decodePixels(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestWriteJPEGReadBackWithExiftool(t *testing.T) {
	testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	for _, sample := range []string{"rocket.jpg", "hubble_deep_field.jpg"} {
		t.Run(sample, func(t *testing.T) {
			dir := t.TempDir()
			fixture := filepath.Join(dir, "fixture.jpg")
			if err := os.WriteFile(fixture, readSample(t, sample), 0o600); err != nil {
				t.Fatal(err)
			}
			// Metadata the user wants kept, injected by exiftool itself.
			exiftoolRun(t, "-overwrite_original", "-codedcharacterset=utf8",
				"-EXIF:Copyright=© 2025 Jane Doe", "-EXIF:Artist=Jane Doe",
				"-IPTC:By-line=Jane Doe", "-IPTC:CopyrightNotice=© 2025 Jane Doe",
				"-IPTC:ObjectName=old title", "-IPTC:Keywords=old",
				"-XMP-dc:Rights=All rights reserved", "-XMP-dc:Creator=Jane Doe",
				"-XMP-dc:Title=old title", "-XMP-dc:Subject=old",
				"-XMP-xmpRights:Marked=True", "-XMP-photoshop:Credit=Jane Doe Studio",
				fixture)
			src, err := os.ReadFile(fixture)
			if err != nil {
				t.Fatal(err)
			}
			out, err := WriteJPEG(src, sampleMeta, JPEGOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// Writing twice must replace, not pile up.
			if out, err = WriteJPEG(out, sampleMeta, JPEGOptions{}); err != nil {
				t.Fatal(err)
			}
			written := filepath.Join(dir, "written.jpg")
			if err := os.WriteFile(written, out, 0o600); err != nil {
				t.Fatal(err)
			}

			if !bytes.Equal(scanData(t, src), scanData(t, out)) {
				t.Fatal("compressed image data (SOS to EOI) changed")
			}
			a, b := decodePixels(t, src), decodePixels(t, out)
			if a.Bounds() != b.Bounds() || a.At(a.Bounds().Dx()/2, a.Bounds().Dy()/2) != b.At(b.Bounds().Dx()/2, b.Bounds().Dy()/2) {
				t.Fatal("decoded image differs")
			}

			got := exifJSON(t, "-XMP:all", "-IPTC:all", "-EXIF:Copyright", "-EXIF:Artist", written)
			checks := map[string]string{
				"XMP-dc:Title":           sampleMeta.Title,
				"XMP-dc:Description":     sampleMeta.Description,
				"XMP-photoshop:Headline": sampleMeta.Title,
				"IPTC:ObjectName":        sampleMeta.Title,
				"IPTC:Headline":          sampleMeta.Title,
				"IPTC:Caption-Abstract":  sampleMeta.Description,
				"IPTC:CodedCharacterSet": "UTF8",
				"IFD0:Copyright":         "© 2025 Jane Doe",
				"IFD0:Artist":            "Jane Doe",
				"IPTC:By-line":           "Jane Doe",
				"IPTC:CopyrightNotice":   "© 2025 Jane Doe",
				"XMP-dc:Rights":          "All rights reserved",
				"XMP-dc:Creator":         "Jane Doe",
				"XMP-xmpRights:Marked":   "true",
				"XMP-photoshop:Credit":   "Jane Doe Studio",
			}
			for k, want := range checks {
				if g := str(got[k]); g != want {
					t.Errorf("%s = %q, want %q", k, g, want)
				}
			}
			for _, k := range []string{"XMP-dc:Subject", "IPTC:Keywords"} {
				if g := strs(got[k]); !slices.Equal(g, sampleMeta.Keywords) {
					t.Errorf("%s = %q, want %q", k, g, sampleMeta.Keywords)
				}
			}
			// Our own reader agrees.
			m, err := ReadJPEG(out)
			if err != nil {
				t.Fatal(err)
			}
			if m.Title != sampleMeta.Title || m.Description != sampleMeta.Description || !slices.Equal(m.Keywords, sampleMeta.Keywords) {
				t.Errorf("ReadJPEG = %+v", m)
			}
			// exiftool's validator finds nothing new to complain about
			// (some samples have EXIF warnings of their own).
			before := exifJSON(t, "-validate", "-warning", "-error", "-a", fixture)
			after := exifJSON(t, "-validate", "-warning", "-error", "-a", written)
			for _, k := range []string{"ExifTool:Warning", "ExifTool:Error"} {
				for _, w := range strs(after[k]) {
					if !slices.Contains(strs(before[k]), w) {
						t.Errorf("exiftool: %s", w)
					}
				}
			}
		})
	}
}

func TestWriteJPEGKeepsUntouchedFields(t *testing.T) {
	testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	dir := t.TempDir()
	fixture := filepath.Join(dir, "f.jpg")
	if err := os.WriteFile(fixture, readSample(t, "rocket.jpg"), 0o600); err != nil {
		t.Fatal(err)
	}
	exiftoolRun(t, "-overwrite_original", "-codedcharacterset=utf8",
		"-XMP-dc:Description=keep me", "-IPTC:Caption-Abstract=keep me", fixture)
	src, _ := os.ReadFile(fixture)
	out, err := WriteJPEG(src, Metadata{Keywords: []string{"only", "keywords"}}, JPEGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(dir, "w.jpg")
	os.WriteFile(written, out, 0o600)
	got := exifJSON(t, "-XMP:all", "-IPTC:all", written)
	if str(got["XMP-dc:Description"]) != "keep me" || str(got["IPTC:Caption-Abstract"]) != "keep me" {
		t.Errorf("description not kept: %v", got)
	}
	if g := strs(got["IPTC:Keywords"]); !slices.Equal(g, []string{"only", "keywords"}) {
		t.Errorf("keywords = %q", g)
	}
}

func TestWriteJPEGIIMLimits(t *testing.T) {
	testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	long := strings.Repeat("Zürich ", 60) // 480 bytes
	kw := strings.Repeat("日本", 20)        // 120 bytes
	out, err := WriteJPEG(readSample(t, "rocket.jpg"), Metadata{Title: long, Description: strings.Repeat("é", 1500), Keywords: []string{kw}}, JPEGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "l.jpg")
	os.WriteFile(p, out, 0o600)
	got := exifJSON(t, "-XMP:all", "-IPTC:all", p)
	for field, limit := range map[string]int{"IPTC:ObjectName": 64, "IPTC:Headline": 256, "IPTC:Caption-Abstract": 2000, "IPTC:Keywords": 64} {
		v := str(got[field])
		if v == "" || len(v) > limit || !utf8.ValidString(v) {
			t.Errorf("%s: %d bytes (limit %d), valid UTF-8 %v", field, len(v), limit, utf8.ValidString(v))
		}
	}
	if str(got["XMP-dc:Title"]) != strings.TrimSpace(long) {
		t.Error("XMP title was cut; only IIM has limits")
	}
}

func TestWriteSidecarExiftool(t *testing.T) {
	testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	p := filepath.Join(t.TempDir(), "clip.xmp")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSidecar(f, sampleMeta); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got := exifJSON(t, "-XMP:all", p)
	if str(got["XMP-dc:Title"]) != sampleMeta.Title || str(got["XMP-dc:Description"]) != sampleMeta.Description ||
		!slices.Equal(strs(got["XMP-dc:Subject"]), sampleMeta.Keywords) {
		t.Errorf("sidecar read back as %v", got)
	}
}

func TestMergeXMPKeepsSidecarProperties(t *testing.T) {
	testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	dir := t.TempDir()
	p := filepath.Join(dir, "raw.xmp")
	// A sidecar as Lightroom-like tools leave it, made by exiftool.
	exiftoolRun(t, "-o", p, "-XMP-dc:Creator=Jane", "-XMP-dc:Rights=CC0", "-XMP-xmp:Rating=4", "-XMP-dc:Title=old")
	old, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	merged, err := MergeXMP(old, sampleMeta, "de")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, merged, 0o600)
	got := exifJSON(t, "-XMP:all", p)
	want := map[string]string{
		"XMP-dc:Creator": "Jane", "XMP-dc:Rights": "CC0", "XMP-xmp:Rating": "4",
		"XMP-dc:Title": sampleMeta.Title, "XMP-dc:Title-de": sampleMeta.Title,
	}
	for k, w := range want {
		if g := str(got[k]); g != w {
			t.Errorf("%s = %q, want %q", k, g, w)
		}
	}
}

func TestWriteJPEGErrors(t *testing.T) {
	good := readSample(t, "rocket.jpg")
	cases := map[string]struct {
		in   []byte
		kind error
	}{
		"empty":       {nil, ErrInvalidJPEG},
		"png":         {[]byte("\x89PNG\r\n\x1a\n...."), ErrInvalidJPEG},
		"truncated":   {good[:40], ErrInvalidJPEG},
		"no sos":      {[]byte{0xFF, 0xD8, 0xFF, 0xD9}, ErrInvalidJPEG},
		"bad length":  {[]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xDA}, ErrInvalidJPEG},
		"bad xmp":     {withSegment(good, 0xE1, append(slices.Clone(xmpHeader), "<x:xmpmeta><rdf:RDF>"...)), ErrInvalidXMP},
		"bad iptc":    {withSegment(good, 0xED, append(slices.Clone(photoshopHeader), "XXXXjunkjunkjunk"...)), ErrInvalidIPTC},
		"bad iim len": {withSegment(good, 0xED, append(slices.Clone(photoshopHeader), psBlock(0x0404, []byte{0x1C, 2, 5, 0xFF, 0x00})...)), ErrInvalidIPTC},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := WriteJPEG(c.in, sampleMeta, JPEGOptions{})
			if !errors.Is(err, c.kind) {
				t.Fatalf("err = %v, want %v", err, c.kind)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err %T is not a *FormatError", err)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		kw := make([]string, 3000)
		for i := range kw {
			kw[i] = strings.Repeat("x", 30) + strconv.Itoa(i)
		}
		_, err := WriteJPEG(good, Metadata{Keywords: kw}, JPEGOptions{SkipIPTC: true})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v", err)
		}
	})
}

// withSegment inserts a segment right after SOI.
func withSegment(jpg []byte, marker byte, payload []byte) []byte {
	out := []byte{0xFF, 0xD8, 0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

func psBlock(id uint16, data []byte) []byte {
	return appendResource(nil, psResource{sig: []byte("8BIM"), id: id, name: []byte{0}, data: data})
}

func TestWriteJPEGLatin1IPTC(t *testing.T) {
	// An old IPTC block without a character set, holding Latin-1 text.
	iim := appendIIM(nil, iimDataset{2, 116, []byte("\xa9 J\xfcrgen")})
	ps := append(slices.Clone(photoshopHeader), psBlock(0x0404, iim)...)
	ps = append(ps, psBlock(0x0425, make([]byte, 16))...) // a stale IPTC digest
	src := withSegment(readSample(t, "rocket.jpg"), 0xED, ps)
	out, err := WriteJPEG(src, sampleMeta, JPEGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	segs, _, err := parseJPEG(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		if !s.isPhotoshop() {
			continue
		}
		res, err := parsePhotoshop(s.payload[len(photoshopHeader):])
		if err != nil {
			t.Fatal(err)
		}
		ds, _ := parseIIM(res[0].data)
		found := false
		for _, d := range ds {
			if d.record == 2 && d.dataset == 116 {
				found = true
				if string(d.value) != "© Jürgen" {
					t.Fatalf("copyright = %q", d.value)
				}
			}
		}
		if !found {
			t.Fatal("CopyrightNotice lost")
		}
		if len(res) != 2 || res[1].id != 0x0425 {
			t.Fatalf("resources = %v", res)
		}
		// The digest matches the new IPTC block, as exiftool computes it.
		p := filepath.Join(t.TempDir(), "d.jpg")
		os.WriteFile(p, out, 0o600)
		got := exifJSON(t, "-IPTCDigest", "-CurrentIPTCDigest", p)
		if d, c := str(got["Photoshop:IPTCDigest"]), str(got["File:CurrentIPTCDigest"]); d == "" || d != c {
			t.Fatalf("IPTCDigest %q, current %q", d, c)
		}
		return
	}
	t.Fatal("no APP13")
}
