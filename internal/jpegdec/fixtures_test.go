package jpegdec

// Every JPEG in the repository (fixtures of other packages, the samples,
// the bad inputs, this package's testdata) and a few that image/jpeg's
// encoder makes the way the other packages' tests do: decoded at Scale 1
// they equal image/jpeg within ±1; reduced scales stay within the
// tolerances of the matrix; what image/jpeg refuses gets a typed error or
// a well-formed image.

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testdataCases are the cjpeg-made files committed under testdata/, so
// that the layouts the matrix covers are partly checked without cjpeg.
// TestWriteTestdata remakes them (PICFRE_TEST_JPEGDEC_WRITE_TESTDATA=1).
var testdataCases = []struct {
	name string
	c    matrixCase
}{
	{"prog420_rst1.jpg", matrixCase{w: 100, h: 75, sampling: "2x2", quality: 75, scan: "progressive", restart: "1"}},
	{"base420_rst1b_opt.jpg", matrixCase{w: 100, h: 75, sampling: "2x2", quality: 90, scan: "baseline", restart: "1B", optimize: true}},
	{"base422.jpg", matrixCase{w: 99, h: 77, sampling: "2x1", quality: 75, scan: "baseline"}},
	{"base440.jpg", matrixCase{w: 77, h: 99, sampling: "1x2", quality: 75, scan: "baseline"}},
	{"base411.jpg", matrixCase{w: 101, h: 67, sampling: "4x1", quality: 80, scan: "baseline"}},
	{"base410.jpg", matrixCase{w: 67, h: 101, sampling: "4x2", quality: 50, scan: "baseline"}},
	{"base444.jpg", matrixCase{w: 45, h: 37, sampling: "1x1", quality: 95, scan: "baseline"}},
	{"gray_prog.jpg", matrixCase{w: 90, h: 60, sampling: "gray", quality: 85, scan: "progressive"}},
	{"gray_rst2b.jpg", matrixCase{w: 61, h: 45, sampling: "gray", quality: 100, scan: "baseline", restart: "2B"}},
	{"rgb.jpg", matrixCase{w: 64, h: 48, sampling: "rgb", quality: 90, scan: "baseline"}},
	{"rgb_prog.jpg", matrixCase{w: 47, h: 33, sampling: "rgb", quality: 60, scan: "progressive"}},
	{"prog_approx444_rst1b.jpg", matrixCase{w: 70, h: 50, sampling: "1x1", quality: 95, scan: "prog-approx", restart: "1B"}},
	{"prog_spectral422.jpg", matrixCase{w: 70, h: 50, sampling: "2x1", quality: 70, scan: "prog-spectral"}},
	// image/jpeg refuses these two (restart markers in non-interleaved
	// scans of subsampled files); djpeg is the reference.
	{"seq_separate420_rst3b.jpg", matrixCase{w: 80, h: 60, sampling: "2x2", quality: 75, scan: "seq-separate", restart: "3B"}},
	{"prog420_rst3b.jpg", matrixCase{w: 80, h: 60, sampling: "2x2", quality: 75, scan: "progressive", restart: "3B", optimize: true}},
	{"seq_split420.jpg", matrixCase{w: 80, h: 60, sampling: "2x2", quality: 75, scan: "seq-split"}},
	// Quality 1 without -baseline: 16-bit quantisation tables, SOF1.
	{"q1_sof1.jpg", matrixCase{w: 50, h: 40, sampling: "2x2", quality: 1, scan: "baseline"}},
	{"q100_prog.jpg", matrixCase{w: 50, h: 40, sampling: "2x2", quality: 100, scan: "progressive"}},
	{"tiny1x1_prog.jpg", matrixCase{w: 1, h: 1, sampling: "2x2", quality: 75, scan: "progressive"}},
	{"strip4097x3_rst1.jpg", matrixCase{w: 4097, h: 3, sampling: "2x2", quality: 75, scan: "baseline", restart: "1"}},
	{"strip3x4097.jpg", matrixCase{w: 3, h: 4097, sampling: "2x1", quality: 75, scan: "progressive"}},
	{"photo320_prog_rst4b.jpg", matrixCase{w: 320, h: 240, sampling: "2x2", quality: 80, scan: "progressive", restart: "4B"}},
	// Arithmetic coding: image/jpeg refuses it, Decode must say unsupported.
	{"arith420.jpg", matrixCase{w: 64, h: 48, sampling: "2x2", quality: 75, scan: "baseline", extra: []string{"-arithmetic"}}},
	{"arith_prog.jpg", matrixCase{w: 64, h: 48, sampling: "2x2", quality: 75, scan: "progressive", extra: []string{"-arithmetic"}}},
}

// mustBeUnsupported lists the testdata files Decode must refuse with
// KindUnsupported.
func mustBeUnsupported(name string) bool { return strings.HasPrefix(name, "arith") }

// TestWriteTestdata remakes testdata/*.jpg with cjpeg when
// PICFRE_TEST_JPEGDEC_WRITE_TESTDATA=1; otherwise it only checks that
// every listed file is there.
func TestWriteTestdata(t *testing.T) {
	if os.Getenv("PICFRE_TEST_JPEGDEC_WRITE_TESTDATA") != "1" {
		for _, tc := range testdataCases {
			if _, err := os.Stat(filepath.Join("testdata", tc.name)); err != nil {
				t.Errorf("%s (%s): %v", tc.name, tc.c, err)
			}
		}
		return
	}
	cjpeg := cjpegPath(t)
	dir := t.TempDir()
	if err := writeScanScripts(dir); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, tc := range testdataCases {
		data, err := tc.c.encode(cjpeg, dir)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := os.WriteFile(filepath.Join("testdata", tc.name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		total += len(data)
		t.Logf("%s: %d bytes (%s)", tc.name, len(data), tc.c)
	}
	t.Logf("%d files, %d bytes", len(testdataCases), total)
}

// repoJPEGs returns every .jpg/.jpeg file under the repository root,
// except fuzz corpora, keyed by their path from the root.
func repoJPEGs(t *testing.T) map[string][]byte {
	t.Helper()
	root := repoRoot()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == ".git" || n == "node_modules" || (n == "fuzz" && filepath.Base(filepath.Dir(p)) == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		if ext != ".jpg" && ext != ".jpeg" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// goEncoded returns JPEGs made by image/jpeg's encoder, as other packages'
// tests make theirs (4:2:0 colour, or gray), at awkward sizes.
func goEncoded(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, sz := range [][2]int{{1, 1}, {48, 32}, {15, 17}, {130, 97}} {
		for _, q := range []int{1, 50, 90, 100} {
			rgba := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
			gray := image.NewGray(rgba.Rect)
			src := sourcePPM(sz[0], sz[1], 7)
			src = src[len(src)-3*sz[0]*sz[1]:]
			for i := range sz[0] * sz[1] {
				rgba.Pix[4*i], rgba.Pix[4*i+1], rgba.Pix[4*i+2], rgba.Pix[4*i+3] = src[3*i], src[3*i+1], src[3*i+2], 255
				gray.Pix[i] = color.GrayModel.Convert(color.RGBA{src[3*i], src[3*i+1], src[3*i+2], 255}).(color.Gray).Y
			}
			for kind, img := range map[string]image.Image{"rgba": rgba, "gray": gray} {
				var b bytes.Buffer
				if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
					t.Fatal(err)
				}
				out[fmt.Sprintf("go-encoded/%s-%dx%d-q%d", kind, sz[0], sz[1], q)] = b.Bytes()
			}
		}
	}
	return out
}

// optionalDjpeg returns djpeg's path, or "" when it is missing (then the
// files image/jpeg refuses are only checked for a typed error or a
// well-formed image); under CI=true a missing djpeg fails the test.
func optionalDjpeg(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("djpeg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Error("djpeg not found and CI=true: install the Debian package libjpeg-turbo-progs")
		} else {
			t.Log("djpeg not found (Debian package libjpeg-turbo-progs): files image/jpeg refuses have no second reference")
		}
		return ""
	}
	return p
}

func TestFixtures(t *testing.T) {
	files := repoJPEGs(t)
	inRepo := len(files)
	for k, v := range goEncoded(t) {
		files[k] = v
	}
	for _, tc := range testdataCases {
		if _, ok := files["internal/jpegdec/testdata/"+tc.name]; !ok {
			t.Errorf("testdata/%s is missing (remake it: PICFRE_TEST_JPEGDEC_WRITE_TESTDATA=1 go test -run TestWriteTestdata)", tc.name)
		}
	}
	djpeg := optionalDjpeg(t)
	dir := t.TempDir()
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	slices.Sort(names)
	var total [len(reducedScales)][boxRegions]scaleStats
	decoded, refRefused, unsupported, djpegChecked := 0, 0, 0, 0
	for _, name := range names {
		data := files[name]
		v := refVerify(data, djpeg, dir)
		for _, e := range v.errs {
			t.Errorf("%s: %s", name, e)
		}
		if v.refErr != nil {
			refRefused++
			// Truncated scans: image/jpeg says io.ErrUnexpectedEOF, and
			// the contract has Decode say KindInvalid.
			if errors.Is(v.refErr, io.ErrUnexpectedEOF) {
				var e *Error
				if !errors.As(v.decodeErr, &e) || e.Kind != KindInvalid {
					t.Errorf("%s: image/jpeg: %v; Decode gives %v, want a KindInvalid error", name, v.refErr, v.decodeErr)
				}
			}
		}
		if v.unsupported {
			unsupported++
		}
		if v.decodeErr == nil {
			decoded++
		}
		if v.djpeg.checked {
			djpegChecked++
		}
		if base := strings.TrimPrefix(name, "internal/jpegdec/testdata/"); base != name && mustBeUnsupported(base) && !v.unsupported {
			t.Errorf("%s: Decode gives %v, want a KindUnsupported error", name, v.decodeErr)
		}
		addScaled(&total, v.scaled, name)
	}
	t.Logf("%d files (%d in the repository, %d made by image/jpeg's encoder): Decode decoded %d, refused %d as unsupported; image/jpeg refused %d; %d checked against djpeg",
		len(files), inRepo, len(files)-inRepo, decoded, unsupported, refRefused, djpegChecked)
	checkScaleTolerances(t, "fixtures", total)
}

// TestTruncatedAgainstRefs cuts files at many points inside their entropy-coded data
// and after it: Decode must give a typed error (KindInvalid where
// image/jpeg reports a truncated scan) or, where image/jpeg still decodes
// the rest, agree with it.
func TestTruncatedAgainstRefs(t *testing.T) {
	inputs, names := decodableTestdata(t)
	checked := 0
	for i, data := range inputs {
		for _, frac := range []float64{0.1, 0.3, 0.5, 0.7, 0.9, 0.97, 0.999} {
			n := int(float64(len(data)) * frac)
			cut := data[:n]
			v := refVerify(cut, "", "")
			for _, e := range v.errs {
				t.Errorf("%s cut to %d of %d bytes: %s", names[i], n, len(data), e)
			}
			if errors.Is(v.refErr, io.ErrUnexpectedEOF) {
				var e *Error
				if !errors.As(v.decodeErr, &e) || e.Kind != KindInvalid {
					t.Errorf("%s cut to %d of %d bytes: image/jpeg: %v; Decode gives %v, want a KindInvalid error", names[i], n, len(data), v.refErr, v.decodeErr)
				}
			}
			checked++
		}
		// No EOI: image/jpeg decodes it; Decode must agree.
		if len(data) > 2 && bytes.HasSuffix(data, []byte{0xff, 0xd9}) {
			v := refVerify(data[:len(data)-2], "", "")
			for _, e := range v.errs {
				t.Errorf("%s without its EOI: %s", names[i], e)
			}
		}
	}
	t.Logf("%d truncated inputs", checked)
}

// handCases are files made by writeHandJPEG, for the layouts cjpeg cannot
// write: four-component Adobe CMYK and YCCK (at 4:4:4 and with subsampled
// chroma), a four-component file without APP14, RGB and YCbCr marked by
// APP14, three components with no marker at all, and restart intervals.
func handCases() []struct {
	name string
	j    handJPEG
} {
	f444 := [][2]int{{1, 1}, {1, 1}, {1, 1}}
	f4 := [][2]int{{1, 1}, {1, 1}, {1, 1}, {1, 1}}
	f4sub := [][2]int{{2, 2}, {1, 1}, {1, 1}, {2, 2}}
	f420 := [][2]int{{2, 2}, {1, 1}, {1, 1}}
	return []struct {
		name string
		j    handJPEG
	}{
		{"cmyk_adobe0", handJPEG{w: 37, h: 29, comps: handPlanes(37, 29, f4, false), adobe: 0, quant: 2}},
		{"ycck_adobe2", handJPEG{w: 37, h: 29, comps: handPlanes(37, 29, f4, true), adobe: 2, quant: 3}},
		{"ycck_adobe2_sub", handJPEG{w: 41, h: 23, comps: handPlanes(41, 23, f4sub, true), adobe: 2, quant: 4}},
		{"cmyk_adobe0_rst", handJPEG{w: 40, h: 24, comps: handPlanes(40, 24, f4, false), adobe: 0, quant: 8, restart: 2}},
		{"cmyk_noadobe", handJPEG{w: 19, h: 21, comps: handPlanes(19, 21, f4, false), adobe: -1, quant: 2}},
		{"rgb_adobe0", handJPEG{w: 33, h: 17, comps: handPlanes(33, 17, f444, false), adobe: 0, quant: 2}},
		{"ycbcr_adobe1_420", handJPEG{w: 33, h: 17, comps: handPlanes(33, 17, f420, true), adobe: 1, quant: 2}},
		{"ycbcr_nomarker_420_rst", handJPEG{w: 50, h: 34, comps: handPlanes(50, 34, f420, true), adobe: -1, quant: 5, restart: 3}},
		{"gray_rst", handJPEG{w: 30, h: 20, comps: handPlanes(30, 20, [][2]int{{1, 1}}, false), adobe: -1, quant: 1, restart: 1}},
	}
}

// TestHandWritten checks the files of handCases against image/jpeg (which
// decodes all but one of them: that also checks the writer) and djpeg.
func TestHandWritten(t *testing.T) {
	djpeg := optionalDjpeg(t)
	dir := t.TempDir()
	var total [len(reducedScales)][boxRegions]scaleStats
	for _, hc := range handCases() {
		data := writeHandJPEG(hc.j)
		v := refVerify(data, djpeg, dir)
		// image/jpeg refuses a 4-component file without APP14 (it cannot
		// tell CMYK from YCCK); Decode may refuse it or not.
		if v.refErr != nil && hc.name != "cmyk_noadobe" {
			t.Errorf("%s: image/jpeg refuses the hand-written file: %v", hc.name, v.refErr)
		}
		for _, e := range v.errs {
			t.Errorf("%s: %s", hc.name, e)
		}
		addScaled(&total, v.scaled, hc.name)
		ref, _ := refDecode(data)
		t.Logf("%s: %d bytes, image/jpeg gives %s", hc.name, len(data), describeImage(ref))
	}
	checkScaleTolerances(t, "hand-written", total)
}

// TestHandWriterSane checks the writer itself: with a quantisation step of
// 1 a gray file decodes (by image/jpeg) to its source within ±2.
func TestHandWriterSane(t *testing.T) {
	comps := handPlanes(30, 20, [][2]int{{1, 1}}, false)
	data := writeHandJPEG(handJPEG{w: 30, h: 20, comps: comps, adobe: -1, quant: 1})
	img, err := refDecode(data)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("image/jpeg gives %s", describeImage(img))
	}
	for y := range 20 {
		for x := range 30 {
			if d := int(g.Pix[y*g.Stride+x]) - int(comps[0].pix[y*30+x]); d < -2 || d > 2 {
				t.Fatalf("(%d,%d): decoded %d, source %d", x, y, g.Pix[y*g.Stride+x], comps[0].pix[y*30+x])
			}
		}
	}
}

// decodableTestdata reads the testdata files Decode must decode (all but
// those it must refuse as unsupported), with their names.
func decodableTestdata(t *testing.T) (inputs [][]byte, names []string) {
	t.Helper()
	for _, tc := range testdataCases {
		if mustBeUnsupported(tc.name) {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", tc.name))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
		names = append(names, tc.name)
	}
	return inputs, names
}
