package jpegdec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"testing"
)

// grayJPEG encodes a w×h gray picture with image/jpeg; soft keeps the
// samples within 128±32 (chroma that converts to RGB without clipping).
func grayJPEG(t *testing.T, w, h int, seed uint64, q int, soft bool) []byte {
	t.Helper()
	src := testPhoto(w, h, seed)
	g := image.NewGray(src.Rect)
	for i := range g.Pix {
		g.Pix[i] = src.Pix[4*i+int(seed%3)]
		if soft {
			g.Pix[i] = uint8(128 + (int(g.Pix[i])-128)/4)
		}
	}
	return encode(t, g, q)
}

// segments splits a JPEG into its marker segments up to SOS and the
// entropy-coded data of its (single) scan.
func segments(t *testing.T, data []byte) (tables [][]byte, scanData []byte) {
	t.Helper()
	pos := 2
	for pos+4 <= len(data) {
		m := data[pos+1]
		n := int(binary.BigEndian.Uint16(data[pos+2:]))
		seg := data[pos : pos+2+n]
		pos += 2 + n
		switch m {
		case mDQT, mDHT:
			tables = append(tables, seg)
		case mSOS:
			end := bytes.LastIndex(data, []byte{0xFF, mEOI})
			return tables, data[pos:end]
		}
	}
	t.Fatal("no SOS")
	return nil, nil
}

// fourComponentJPEG assembles a baseline 4-component JPEG with one
// non-interleaved scan per component, each taken from a gray JPEG made by
// image/jpeg, and an Adobe APP14 segment with the given transform. With
// sub, components 0 and 3 are 2×2 and 1 and 2 are 1×1.
func fourComponentJPEG(t *testing.T, w, h int, transform byte, sub bool) []byte {
	t.Helper()
	var out bytes.Buffer
	out.Write([]byte{0xFF, mSOI})
	// APP14 Adobe: "Adobe", version 100, flags0, flags1, transform.
	out.Write([]byte{0xFF, mAPPE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, transform})
	var scans [4][]byte
	for i := range scans {
		cw, ch := w, h
		if sub && (i == 1 || i == 2) {
			cw, ch = (w+1)/2, (h+1)/2
		}
		soft := transform != 0 && i < 3 // no clipping in the YCbCr to RGB step
		tables, sd := segments(t, grayJPEG(t, cw, ch, uint64(i), 85, soft))
		if i == 0 {
			for _, s := range tables {
				out.Write(s)
			}
		}
		scans[i] = sd
	}
	out.Write([]byte{0xFF, mSOF0, 0, 8 + 3*4, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 4})
	for i := 0; i < 4; i++ {
		hv := byte(0x11)
		if sub && (i == 0 || i == 3) {
			hv = 0x22
		}
		out.Write([]byte{byte(i + 1), hv, 0})
	}
	for i := 0; i < 4; i++ {
		out.Write([]byte{0xFF, mSOS, 0, 8, 1, byte(i + 1), 0x00, 0, 63, 0})
		out.Write(scans[i])
	}
	out.Write([]byte{0xFF, mEOI})
	return out.Bytes()
}

// TestFourComponents checks Adobe CMYK and YCCK against image/jpeg; the
// files are non-interleaved baseline, so that path is covered too.
func TestFourComponents(t *testing.T) {
	for _, transform := range []byte{0, 2} {
		for _, sub := range []bool{false, true} {
			for _, sz := range [][2]int{{1, 1}, {9, 17}, {64, 64}, {203, 101}} {
				for _, progressive := range []bool{false, true} {
					t.Run(fmt.Sprintf("transform%d/sub=%v/%dx%d/progressive=%v", transform, sub, sz[0], sz[1], progressive), func(t *testing.T) {
						data := fourComponentJPEG(t, sz[0], sz[1], transform, sub)
						if progressive {
							data = jpegtran(t, data, "-progressive")
						}
						if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
							t.Fatalf("image/jpeg refuses the test file: %v", err)
						}
						got, err := Decode(data, Options{})
						if err != nil {
							t.Fatal(err)
						}
						// YCCK goes through a colour conversion that turns ±1
						// in the Y and Cr planes into up to ±3 in a channel
						// (1 + 1.402, rounded).
						tol := 1
						if transform != 0 {
							tol = 3
						}
						if d := maxDiff(t, data, got); d > tol {
							t.Errorf("max difference %d, want <= %d", d, tol)
						}
						full, _ := jpeg.Decode(bytes.NewReader(data))
						fp := planes(full)[0]
						for _, n := range []int{2, 4, 8} {
							m, err := Decode(data, Options{Scale: n})
							if err != nil {
								t.Fatalf("scale %d: %v", n, err)
							}
							gp := planes(m)[0]
							// Box-filter each of the four channels of the full
							// decode and compare the whole boxes.
							worst, sum, cnt := 0, 0, 0
							for ch := 0; ch < 4; ch++ {
								chp := make([][]byte, len(fp))
								for y := range fp {
									chp[y] = make([]byte, len(fp[y])/4)
									for x := range chp[y] {
										chp[y][x] = fp[y][4*x+ch]
									}
								}
								want := boxPlane(chp, n)
								for y := 0; y < len(chp)/n; y++ {
									for x := 0; x < len(chp[y])/n; x++ {
										d := int(gp[y][4*x+ch]) - int(want[y][x])
										d = max(d, -d)
										worst = max(worst, d)
										sum += d
										cnt++
									}
								}
							}
							if cnt > 0 && (worst > 24 || float64(sum)/float64(cnt) > 1) {
								t.Errorf("scale %d: max %d mean %.2f against the box-filtered full decode", n, worst, float64(sum)/float64(cnt))
							}
						}
					})
				}
			}
		}
	}
}

// jpegtran rewrites data with libjpeg's jpegtran (lossless), skipping the
// test when it is missing and failing under CI=true.
func jpegtran(t *testing.T, data []byte, flags ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("jpegtran")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("jpegtran not installed (Debian package libjpeg-turbo-progs)")
		}
		t.Skip("jpegtran not installed (Debian package libjpeg-turbo-progs); skipping")
	}
	cmd := exec.Command(path, flags...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jpegtran: %v", err)
	}
	return out
}
