// Command fixturegen rebuilds the metadata-laden test images in
// privacy/strip/testdata from the public-domain and CC0 samples in
// testdata/samples. It needs exiftool, cwebp and (optionally, for the
// progressive JPEG) jpegtran on PATH. Run it through go generate, which
// runs it in the privacy/strip directory:
//
//	go generate ./privacy/strip
//
// The fixtures are checked in so that the unit tests need none of these
// tools. Every tag written here is a tag the tests expect strip.Bytes to
// remove.
package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log"
	"os"
	"os/exec"
	"path/filepath"
)

func main() {
	samples := flag.String("samples", "../../testdata/samples", "directory of the source samples")
	out := flag.String("out", "testdata", "directory to write fixtures to")
	flag.Parse()
	if err := run(*samples, *out); err != nil {
		log.Fatal(err)
	}
}

// identifying tags written into every fixture; the tests check that none
// of them survives.
var identifying = []string{
	"-Make=PicfreCam", "-Model=PF-1 Mark II", "-SerialNumber=SN-0042-SECRET",
	"-Artist=Jane Q. Photographer", "-Copyright=(c) Jane Q. Photographer",
	"-DateTimeOriginal=2024:05:17 10:11:12", "-Software=PicfreEdit 1.0",
	"-GPSLatitude=59.3293", "-GPSLatitudeRef=N", "-GPSLongitude=18.0686", "-GPSLongitudeRef=E",
	"-GPSAltitude=28", "-OwnerName=Jane Q. Photographer", "-BodySerialNumber=BODY-1234",
	"-XMP-dc:Description=Secret location shoot", "-XMP-dc:Creator=Jane Q. Photographer",
	"-XMP-dc:Subject=private", "-XMP-xmp:CreatorTool=PicfreEdit",
}

func run(samples, out string) error {
	tmp, err := os.MkdirTemp("", "fixturegen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	icc := filepath.Join(tmp, "test.icc")
	if err := os.WriteFile(icc, ICCProfile(), 0o644); err != nil {
		return err
	}
	thumb := filepath.Join(tmp, "thumb.jpg")
	if err := writeThumbnail(filepath.Join(samples, "rocket.jpg"), thumb); err != nil {
		return err
	}

	// A camera JPEG: rotated, with EXIF, GPS, a thumbnail, XMP, IPTC, a
	// comment and an ICC profile.
	camera := filepath.Join(out, "camera_rocket.jpg")
	if err := copyFile(filepath.Join(samples, "rocket.jpg"), camera); err != nil {
		return err
	}
	args := append([]string{"-Orientation#=6", "-IPTC:Keywords=secret", "-IPTC:By-line=Jane Q. Photographer",
		"-IPTC:City=Stockholm", "-Comment=shot at home, call 555-0100", "-ThumbnailImage<=" + thumb,
		"-ICC_Profile<=" + icc}, identifying...)
	if err := exiftool(camera, args...); err != nil {
		return err
	}

	// An editor's JPEG: the Hubble image already carries Photoshop EXIF, XMP
	// and a Ducky segment; add IPTC, GPS, a comment and an ICC profile.
	editor := filepath.Join(out, "editor_hubble.jpg")
	if err := copyFile(filepath.Join(samples, "hubble_deep_field.jpg"), editor); err != nil {
		return err
	}
	args = append([]string{"-IPTC:Keywords=galaxy", "-IPTC:By-line=Jane Q. Photographer",
		"-Comment=edited by Jane", "-ICC_Profile<=" + icc}, identifying...)
	if err := exiftool(editor, args...); err != nil {
		return err
	}

	// A progressive JPEG with restart markers, made losslessly from the
	// camera JPEG (jpegtran keeps the metadata with -copy all).
	if _, err := exec.LookPath("jpegtran"); err == nil {
		prog := filepath.Join(out, "progressive_rst.jpg")
		cmd := exec.Command("jpegtran", "-copy", "all", "-progressive", "-restart", "2", "-outfile", prog, camera)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("jpegtran: %v: %s", err, b)
		}
	} else {
		log.Print("jpegtran not found: progressive_rst.jpg not rebuilt")
	}

	// A PNG with tEXt, zTXt, iTXt (XMP), eXIf, tIME and iCCP.
	pngOut := filepath.Join(out, "camera_chelsea.png")
	if err := copyFile(filepath.Join(samples, "chelsea.png"), pngOut); err != nil {
		return err
	}
	args = append([]string{"-Orientation#=8", "-PNG:Title=Chelsea at home", "-PNG:Author=Jane Q. Photographer",
		"-PNG:Comment=secret", "-PNG:ModifyDate=2024:05:17 10:11:12", "-ICC_Profile<=" + icc}, identifying...)
	if err := exiftool(pngOut, args...); err != nil {
		return err
	}
	if err := insertZTXt(pngOut, "Description", "compressed secret text"); err != nil {
		return err
	}

	// WebP: lossy from a photo, lossy with alpha, and lossless.
	rgba := filepath.Join(tmp, "alpha.png")
	if err := writeAlphaPNG(rgba); err != nil {
		return err
	}
	webps := []struct {
		name   string
		src    string
		cwebp  []string
		orient string
	}{
		{"camera_chelsea.webp", filepath.Join(samples, "chelsea.png"), []string{"-q", "75"}, "3"},
		{"alpha.webp", rgba, []string{"-q", "70", "-alpha_q", "100"}, "6"},
		{"lossless.webp", rgba, []string{"-lossless"}, "1"},
	}
	for _, w := range webps {
		dst := filepath.Join(out, w.name)
		cmd := exec.Command("cwebp", append(append([]string{"-quiet"}, w.cwebp...), w.src, "-o", dst)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("cwebp: %v: %s", err, b)
		}
		args := append([]string{"-Orientation#=" + w.orient, "-ICC_Profile<=" + icc}, identifying...)
		if err := exiftool(dst, args...); err != nil {
			return err
		}
	}
	return nil
}

// insertZTXt adds a zTXt chunk before the first IDAT (exiftool writes
// plain tEXt for Latin-1 text).
func insertZTXt(file, key, text string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	i := bytes.Index(b, []byte("IDAT"))
	if i < 4 {
		return fmt.Errorf("%s: no IDAT", file)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(text))
	zw.Close()
	body := append([]byte(key+"\x00\x00"), z.Bytes()...)
	var chunk []byte
	chunk = binary.BigEndian.AppendUint32(chunk, uint32(len(body)))
	chunk = append(chunk, "zTXt"...)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append(append(append([]byte{}, b[:i-4]...), chunk...), b[i-4:]...)
	return os.WriteFile(file, out, 0o644)
}

func exiftool(file string, args ...string) error {
	all := append([]string{"-q", "-overwrite_original"}, args...)
	all = append(all, file)
	b, err := exec.Command("exiftool", all...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("exiftool %s: %v: %s", filepath.Base(file), err, b)
	}
	return nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// writeThumbnail writes a 1/8-size nearest-neighbour copy of a JPEG.
func writeThumbnail(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := jpeg.Decode(f)
	if err != nil {
		return err
	}
	b := m.Bounds()
	t := image.NewRGBA(image.Rect(0, 0, b.Dx()/8, b.Dy()/8))
	for y := range t.Bounds().Dy() {
		for x := range t.Bounds().Dx() {
			t.Set(x, y, m.At(b.Min.X+x*8, b.Min.Y+y*8))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, t, &jpeg.Options{Quality: 70}); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}

// writeAlphaPNG writes a small RGBA gradient with a transparent corner.
func writeAlphaPNG(dst string) error {
	m := image.NewNRGBA(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			a := uint8(255)
			if x+y < 40 {
				a = uint8((x + y) * 6)
			}
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 2), uint8(y * 4), uint8(255 - x), a})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}

// ICCProfile returns a small, valid ICC v2 display profile (sRGB primaries
// adapted to D50, gamma 2.2) described as "picfre test RGB".
func ICCProfile() []byte {
	be := binary.BigEndian
	s15 := func(b []byte, v float64) []byte { return be.AppendUint32(b, uint32(int32(v*65536+0.5))) }
	xyz := func(x, y, z float64) []byte {
		b := []byte("XYZ \x00\x00\x00\x00")
		return s15(s15(s15(b, x), y), z)
	}
	desc := []byte("desc\x00\x00\x00\x00")
	text := "picfre test RGB"
	desc = be.AppendUint32(desc, uint32(len(text)+1))
	desc = append(desc, text...)
	desc = append(desc, 0)
	desc = append(desc, make([]byte, 4+4+2+1+67)...) // no Unicode, no ScriptCode
	cprt := append([]byte("text\x00\x00\x00\x00"), "No copyright, use freely\x00"...)
	curv := []byte("curv\x00\x00\x00\x00\x00\x00\x00\x01\x02\x33") // gamma 2.2
	type tag struct {
		sig  string
		data []byte
	}
	tags := []tag{
		{"desc", desc}, {"cprt", cprt}, {"wtpt", xyz(0.9642, 1.0, 0.8249)},
		{"rXYZ", xyz(0.4361, 0.2225, 0.0139)}, {"gXYZ", xyz(0.3851, 0.7169, 0.0971)},
		{"bXYZ", xyz(0.1431, 0.0606, 0.7141)}, {"rTRC", curv}, {"gTRC", curv}, {"bTRC", curv},
	}
	offset := 128 + 4 + 12*len(tags)
	var table, body []byte
	table = be.AppendUint32(table, uint32(len(tags)))
	for _, t := range tags {
		for (offset+len(body))%4 != 0 {
			body = append(body, 0)
		}
		table = append(table, t.sig...)
		table = be.AppendUint32(table, uint32(offset+len(body)))
		table = be.AppendUint32(table, uint32(len(t.data)))
		body = append(body, t.data...)
	}
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	h := make([]byte, 0, 128)
	h = be.AppendUint32(h, uint32(128+len(table)+len(body)))
	h = append(h, "none"...)
	h = be.AppendUint32(h, 0x02100000)
	h = append(h, "mntrRGB XYZ "...)
	for _, v := range []uint16{2024, 5, 17, 0, 0, 0} {
		h = be.AppendUint16(h, v)
	}
	h = append(h, "acsp"...)
	h = append(h, make([]byte, 68-len(h))...) // platform .. rendering intent
	h = s15(s15(s15(h, 0.9642), 1.0), 0.8249)
	h = append(h, make([]byte, 128-len(h))...)
	return append(append(h, table...), body...)
}
