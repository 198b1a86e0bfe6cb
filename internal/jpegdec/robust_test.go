package jpegdec

import (
	"bytes"
	"errors"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// robustInputs returns valid files of several kinds to corrupt.
func robustInputs(t *testing.T) [][]byte {
	in := [][]byte{
		encode(t, testPhoto(37, 29, 1), 80),
		fourComponentJPEG(t, 21, 13, 0, true),
	}
	for _, flags := range [][]string{{"-progressive"}, {"-progressive", "-restart", "1B"}, {"-restart", "1B", "-sample", "1x2"}} {
		if data := tryCjpeg(t, flags...); data != nil {
			in = append(in, data)
		}
	}
	return in
}

func tryCjpeg(t *testing.T, flags ...string) (data []byte) {
	ok := t.Run("cjpeg", func(t *testing.T) {
		data = cjpeg(t, testPhoto(41, 23, 5), false, flags...)
	})
	if !ok {
		return nil
	}
	return data
}

// checkDecode decodes data at every scale: an error must be a *Error, and
// where image/jpeg also accepts, the full-size result must agree.
func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	for _, s := range []int{1, 2, 4, 8} {
		img, err := Decode(data, Options{Scale: s})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Kind != KindInvalid && e.Kind != KindUnsupported) {
				t.Fatalf("scale %d: error %v is not a *Error with a kind", s, err)
			}
			continue
		}
		if s == 1 {
			d := decoder{data: data, scale: 1, bs: 8, track: true}
			if _, err := d.decode(); err != nil || d.maxAbs > 1152 {
				// Dequantized coefficients beyond what 8-bit samples
				// give (|F| <= 1024, plus half a quantizer step):
				// image/jpeg's 32-bit IDCT may wrap, no agreement.
				continue
			}
			if _, err := jpeg.Decode(bytes.NewReader(data)); err == nil {
				if d := maxDiff(t, data, img); d > 3 {
					t.Errorf("both accept, but differ by %d", d)
				}
			}
		}
	}
}

// TestTruncated cuts each file at every length: no panic, a typed error
// or (when only trailing bytes are cut) an image.
func TestTruncated(t *testing.T) {
	for _, data := range robustInputs(t) {
		for n := 0; n < len(data); n++ {
			_, err := Decode(data[:n], Options{})
			if err == nil && n < len(data)-2 {
				// A cut file may still hold a complete image only when
				// nothing but the EOI was cut.
				t.Errorf("cut at %d of %d: no error", n, len(data))
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("cut at %d: %T", n, err)
				}
			}
		}
	}
}

// TestCorrupted flips random bytes of valid files.
func TestCorrupted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, data := range robustInputs(t) {
		for i := 0; i < 300; i++ {
			c := bytes.Clone(data)
			for j := 0; j < 1+rng.IntN(4); j++ {
				c[rng.IntN(len(c))] = byte(rng.IntN(256))
			}
			checkDecode(t, c)
		}
	}
}

// TestHugeHeader: a frame claiming 65535×65535 with a few bytes of scan
// data fails without allocating planes.
func TestHugeHeader(t *testing.T) {
	data := encode(t, testPhoto(16, 16, 1), 50)
	i := bytes.Index(data, []byte{0xFF, mSOF0})
	c := bytes.Clone(data)
	c[i+5], c[i+6], c[i+7], c[i+8] = 0xFF, 0xFF, 0xFF, 0xFF
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := Decode(c, Options{}); err == nil {
			t.Fatal("no error")
		}
	})
	if allocs > 10 {
		t.Errorf("%v allocations", allocs)
	}
}

func TestIDCTPeak(t *testing.T) {
	var b [64]int32
	b[0] = 800 // DC: the block mean times 8
	if p := idctPeak(&b); p < 99.999 || p > 100.001 {
		t.Errorf("DC-only peak %v, want 100", p)
	}
	b[1] = 100 // a horizontal cosine on top raises the edges
	if p := idctPeak(&b); p <= 100 {
		t.Errorf("peak %v, want above 100", p)
	}
}
