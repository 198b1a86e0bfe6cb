package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// cjpeg encodes img with libjpeg-turbo's cjpeg and the given flags. It
// skips the test when cjpeg is missing, and fails under CI=true.
func cjpeg(t *testing.T, img *image.RGBA, gray bool, flags ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("cjpeg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("cjpeg not installed (Debian package libjpeg-turbo-progs)")
		}
		t.Skip("cjpeg not installed (Debian package libjpeg-turbo-progs); skipping")
	}
	var in bytes.Buffer
	b := img.Bounds()
	if gray {
		fmt.Fprintf(&in, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
	} else {
		fmt.Fprintf(&in, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
	}
	for i := 0; i < len(img.Pix); i += 4 {
		if gray {
			in.WriteByte(img.Pix[i+1])
		} else {
			in.Write(img.Pix[i : i+3])
		}
	}
	cmd := exec.Command(path, flags...)
	cmd.Stdin = &in
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("cjpeg %s: %v: %s", strings.Join(flags, " "), err, stderr.String())
	}
	return out.Bytes()
}

// TestCjpegFiles decodes files made by libjpeg (progressive, restart
// intervals, every subsampling image/jpeg reports, RGB, non-interleaved
// baseline) and compares them with image/jpeg at Scale 1, and checks that
// every reduced scale decodes with the right size.
func TestCjpegFiles(t *testing.T) {
	cases := []struct {
		name  string
		gray  bool
		flags []string
	}{
		{"progressive420", false, []string{"-progressive", "-quality", "90"}},
		{"progressive444", false, []string{"-progressive", "-sample", "1x1", "-quality", "75"}},
		{"progressiveGray", true, []string{"-progressive", "-quality", "85"}},
		{"progressiveRestart", false, []string{"-progressive", "-restart", "3B", "-quality", "80"}},
		{"restart420", false, []string{"-restart", "1B", "-quality", "92"}},
		{"restartRows", false, []string{"-restart", "1", "-sample", "2x1", "-quality", "60"}},
		{"s444", false, []string{"-sample", "1x1"}},
		{"s422", false, []string{"-sample", "2x1"}},
		{"s440", false, []string{"-sample", "1x2"}},
		{"s411", false, []string{"-sample", "4x1"}},
		{"s410", false, []string{"-sample", "4x2"}},
		{"rgb", false, []string{"-rgb", "-quality", "90"}},
		{"optimize", false, []string{"-optimize", "-quality", "97"}},
		{"q1", false, []string{"-quality", "1"}},
		{"q100", false, []string{"-quality", "100", "-sample", "1x1"}},
		{"grayRestart", true, []string{"-restart", "2B"}},
		{"progressiveS410", false, []string{"-progressive", "-sample", "4x2"}},
		{"dct-float", false, []string{"-dct", "float", "-quality", "95"}},
	}
	sizes := [][2]int{{1, 1}, {13, 7}, {48, 32}, {257, 131}, {640, 480}}
	for _, tc := range cases {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", tc.name, sz[0], sz[1]), func(t *testing.T) {
				data := cjpeg(t, testPhoto(sz[0], sz[1], 11), tc.gray, tc.flags...)
				got, err := Decode(data, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					// image/jpeg refuses some valid files (progressive with
					// restart intervals); libjpeg's float IDCT is the
					// reference for the luma plane then.
					t.Logf("image/jpeg refuses it (%v); comparing luma with djpeg", err)
					if d := maxDiffDjpeg(t, data, got); d > 1 {
						t.Errorf("max luma difference %d from djpeg, want <= 1", d)
					}
				} else if d := maxDiff(t, data, got); d > 1 {
					t.Errorf("max difference %d from image/jpeg, want <= 1", d)
				}
				for _, n := range []int{2, 4, 8} {
					m, err := Decode(data, Options{Scale: n})
					if err != nil {
						t.Fatalf("scale %d: %v", n, err)
					}
					want := image.Rect(0, 0, (sz[0]+n-1)/n, (sz[1]+n-1)/n)
					if m.Bounds() != want {
						t.Fatalf("scale %d: bounds %v, want %v", n, m.Bounds(), want)
					}
					if mean, worst := boxError(channelPlanes(got), channelPlanes(m), n); mean > 0.3 || worst > 24 {
						t.Errorf("scale %d: mean abs %.3f max %d against the box-filtered full decode", n, mean, worst)
					}
				}
			})
		}
	}
}

// maxDiffDjpeg compares the first plane of got with djpeg -grayscale
// -dct float on the same bytes.
func maxDiffDjpeg(t *testing.T, data []byte, got image.Image) int {
	t.Helper()
	path, err := exec.LookPath("djpeg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("djpeg not installed (Debian package libjpeg-turbo-progs)")
		}
		t.Skip("djpeg not installed (Debian package libjpeg-turbo-progs); skipping")
	}
	cmd := exec.Command(path, "-grayscale", "-dct", "float", "-pnm")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("djpeg: %v", err)
	}
	var w, h, maxv int
	n, err := fmt.Sscanf(string(out), "P5\n%d %d\n%d\n", &w, &h, &maxv)
	if err != nil || n != 3 {
		t.Fatalf("djpeg output header: %v", err)
	}
	pix := out[len(out)-w*h:]
	p := planes(got)[0]
	if len(p) != h || (h > 0 && len(p[0]) != w && len(p[0]) != 4*w) {
		t.Fatalf("djpeg gives %dx%d", w, h)
	}
	worst := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := int(p[y][x]) - int(pix[y*w+x])
			worst = max(worst, d, -d)
		}
	}
	return worst
}

// boxError compares reduced planes with the n×n box filter of full ones
// (whole boxes only), giving the mean absolute and largest difference.
// For interleaved RGBA/CMYK pixels the channels are compared as planes.
func boxError(full, reduced [][][]byte, n int) (float64, int) {
	sum, cnt, worst := 0, 0, 0
	for i := range full {
		fp, rp := full[i], reduced[i]
		if len(fp) == 0 {
			continue
		}
		want := boxPlane(fp, n)
		for y := 0; y < len(fp)/n; y++ {
			for x := 0; x < len(fp[0])/n; x++ {
				d := int(rp[y][x]) - int(want[y][x])
				d = max(d, -d)
				sum += d
				cnt++
				worst = max(worst, d)
			}
		}
	}
	if cnt == 0 {
		return 0, 0
	}
	return float64(sum) / float64(cnt), worst
}

// channelPlanes is planes with interleaved RGBA or CMYK pixels split into
// one plane per channel.
func channelPlanes(img image.Image) [][][]byte {
	p := planes(img)
	switch img.(type) {
	case *image.RGBA, *image.CMYK:
	default:
		return p
	}
	out := make([][][]byte, 4)
	for ch := range out {
		out[ch] = make([][]byte, len(p[0]))
		for y, row := range p[0] {
			out[ch][y] = make([]byte, len(row)/4)
			for x := range out[ch][y] {
				out[ch][y][x] = row[4*x+ch]
			}
		}
	}
	return out
}
