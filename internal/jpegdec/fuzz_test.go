package jpegdec

// FuzzDecode compares Decode with image/jpeg on arbitrary input, and the
// tests below hold a header claiming a huge picture with almost no data to
// a small allocation and a short time.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

const (
	// fuzzMaxInput bounds the inputs the fuzz target looks at.
	fuzzMaxInput = 1 << 20
	// fuzzMaxPixels bounds the picture size any SOF marker of an input may
	// claim: above it image/jpeg itself would allocate the claimed planes.
	fuzzMaxPixels = 4 << 20
	// fuzzSeedMax bounds the size of the repository files used as seeds
	// (large seeds slow every mutation down).
	fuzzSeedMax = 64 << 10
	// decodeTimeout is how long one Decode of a fuzz input may take before
	// it counts as a hang (generous: -race and a busy machine).
	decodeTimeout = 10 * time.Second
)

// claimsTooMany reports whether any SOFn segment in data claims more than
// fuzzMaxPixels. It scans for every marker-like byte pair, not only those
// a parser would reach, so that no decoder reaches a frame header it does
// not see.
func claimsTooMany(data []byte) bool {
	for i := 0; i+9 <= len(data); i++ {
		if data[i] != 0xff {
			continue
		}
		m := data[i+1]
		if m < 0xc0 || m > 0xcf || m == 0xc4 || m == 0xc8 || m == 0xcc {
			continue
		}
		h := int(binary.BigEndian.Uint16(data[i+5:]))
		w := int(binary.BigEndian.Uint16(data[i+7:]))
		if h == 0 {
			h = 65535 // height defined by a later DNL marker: assume the worst
		}
		if w*h > fuzzMaxPixels {
			return true
		}
	}
	return false
}

// decodeBounded runs Decode and fails the test when it takes longer than
// decodeTimeout (the goroutine is left behind; the test has failed).
func decodeBounded(t *testing.T, data []byte, scale int) (img imageOrErr) {
	t.Helper()
	done := make(chan imageOrErr, 1)
	go func() {
		m, err := Decode(data, Options{Scale: scale})
		done <- imageOrErr{m, err}
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(decodeTimeout):
		t.Fatalf("Decode at scale %d of %d bytes took longer than %v", scale, len(data), decodeTimeout)
		return imageOrErr{}
	}
}

func FuzzDecode(f *testing.F) {
	add := func(b []byte) {
		if len(b) <= fuzzSeedMax {
			f.Add(b)
		}
	}
	ents, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ".jpg" {
			b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			add(b)
		}
	}
	for _, p := range []string{"internal/media/testdata/progressive.jpg", "testdata/bad/notes.jpg", "testdata/bad/empty.jpg"} {
		if b, err := os.ReadFile(filepath.Join(repoRoot(), p)); err == nil {
			add(b)
		}
	}
	for _, h := range hugeHeaders(64, 48) {
		add(h.data)
	}
	for _, hc := range handCases() {
		add(writeHandJPEG(hc.j))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput || claimsTooMany(data) {
			return
		}
		var full imageOrErr
		for _, n := range []int{1, 2, 4, 8} {
			r := decodeBounded(t, data, n)
			if r.err != nil {
				if _, aerr := asError(r.err); aerr != nil {
					t.Fatalf("scale %d: %v", n, aerr)
				}
				if r.img != nil {
					t.Fatalf("scale %d: Decode returned an image and the error %v", n, r.err)
				}
				if n == 1 {
					full = r
				}
				continue
			}
			if _, perr := planesOf(r.img); perr != nil {
				t.Fatalf("scale %d: %v", n, perr)
			}
			if n == 1 {
				full = r
				continue
			}
			if full.err == nil {
				fb := full.img.Bounds()
				want := fmt.Sprintf("%T %dx%d", full.img, (fb.Dx()+n-1)/n, (fb.Dy()+n-1)/n)
				if got := fmt.Sprintf("%T %dx%d", r.img, r.img.Bounds().Dx(), r.img.Bounds().Dy()); got != want {
					t.Fatalf("scale %d: got %s, want %s (scale 1 gives %s)", n, got, want, describeImage(full.img))
				}
			}
		}
		if full.err != nil {
			return
		}
		ref, err := refDecode(data)
		if err != nil || coefficientsOverflow(data) || restartsInSubsampledScan(data) {
			return
		}
		if cerr := compareFull(full.img, ref, fullTolerance(data, ref)); cerr != nil {
			t.Fatalf("Decode and image/jpeg both accept the input and differ: %v", cerr)
		}
	})
}

// Bounds of what a legal 8-bit file's blocks hold, for the agreement
// check. Corrupt data gives arbitrary coefficients, and then image/jpeg's
// 32-bit IDCT wraps around, inverting saturated samples, where Decode and
// djpeg agree: this fuzz target found it in blocks whose largest
// coefficient was 49152, 4008, and 1968 (each coefficient legal alone, not
// together; its real IDCT output peaks at 6159).
//
// maxLegalCoefficient: for samples in [-128, 127], |F(u,v)| <= 1024 (the
// DC term is 8 × the block's mean), and quantising rounds a coefficient to
// at most twice its size (a step above 2|F| gives 0).
//
// maxLegalIDCTOutput: a legal block's real IDCT output is its samples
// (|f| <= 128) plus the quantisation error, at most half a step (127.5
// with an 8-bit table) times the largest basis value (1/4) times 64
// coefficients, 2040. Measured on testdata/*.jpg (q1 to q100): at most 174.
// The crashing inputs above peak at 3105 to 11859.
const (
	maxLegalCoefficient = 2048
	maxLegalIDCTOutput  = 2048
)

// coefficientsOverflow reports whether data, decoded at full size, has a
// block beyond the legal bounds above, where image/jpeg and Decode cannot
// be expected to agree (regression inputs in testdata/fuzz/FuzzDecode:
// c14dbd2c67c7a174, 51b4d34c62445982, 38628f010e3dec10). It uses the
// decoder's test-only hook (decoder.track; maxAbs, the largest dequantised
// coefficient; maxOut, the largest real-valued IDCT output before the
// level shift).
func coefficientsOverflow(data []byte) bool {
	d := decoder{data: data, scale: 1, bs: 8, track: true}
	if _, err := d.decode(); err != nil {
		return true
	}
	return d.maxAbs > maxLegalCoefficient || d.maxOut > maxLegalIDCTOutput
}

// restartsInSubsampledScan reports whether data has a single-component
// scan, under a restart interval, of a component with more than one block
// per MCU (the luma of a 4:2:0 file, say). image/jpeg counts the restart
// interval of such a scan in MCUs of the whole frame instead of in the
// component's blocks (T.81: in a non-interleaved scan each block is an
// MCU), so it refuses valid files of this kind (every cjpeg -restart file
// with a subsampled progressive or non-interleaved scan: the matrix checks
// those against djpeg instead) and misreads corrupt ones it accepts (found
// by this fuzz target, testdata/fuzz/FuzzDecode/6799e83f4bf38578).
func restartsInSubsampledScan(data []byte) bool {
	type samp struct{ h, v int }
	comps := map[byte]samp{}
	nf, dri := 0, 0
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			i++ // entropy-coded data: look for the next marker
			continue
		}
		m := data[i+1]
		if m == 0x00 || m == 0xff || (m >= 0xd0 && m <= 0xd7) || m == 0x01 || m == 0xd8 {
			i += 2 // stuffing, fill byte or a marker without a length
			continue
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		seg := data[i+4 : min(len(data), i+2+max(n, 2))]
		switch {
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc && len(seg) >= 6:
			nf = int(seg[5])
			for k := 0; k < nf && 6+3*k+2 < len(seg); k++ {
				f := seg[6+3*k+1]
				comps[seg[6+3*k]] = samp{int(f >> 4), int(f & 15)}
			}
		case m == 0xdd && len(seg) >= 2:
			dri = int(seg[0])<<8 | int(seg[1])
		case m == 0xda && len(seg) >= 2:
			if c, ok := comps[seg[1]]; ok && seg[0] == 1 && nf > 1 && dri > 0 && c.h*c.v > 1 {
				return true
			}
		}
		i += 2 + max(n, 2)
	}
	return false
}

// hugeHeader is a hand-made JPEG whose frame header claims w×h but whose
// entropy-coded data is a few bytes.
type hugeHeader struct {
	name string
	data []byte
}

// segment appends a marker segment (marker, length, body).
func jpegSegment(b []byte, marker byte, body ...byte) []byte {
	b = append(b, 0xff, marker)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)+2))
	return append(b, body...)
}

// hugeHeaders builds the inputs of TestHugeClaimFailsFast for a claimed w×h: a
// frame header with nothing after it, and baseline and progressive files
// whose single scan has four bytes of data. The Huffman tables have one
// 1-bit code each (DC category 0, AC end of block), the shortest coding a
// block can have, so that four bytes are a valid start of a scan.
func hugeHeaders(w, h int) []hugeHeader {
	soi := []byte{0xff, 0xd8}
	dqt := func(b []byte) []byte {
		body := []byte{0x00}
		for range 64 {
			body = append(body, 1)
		}
		return jpegSegment(b, 0xdb, body...)
	}
	sof := func(b []byte, marker byte) []byte {
		body := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
			1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0}
		return jpegSegment(b, marker, body...)
	}
	dht := func(b []byte) []byte {
		// Class 0 (DC) table 0 and class 1 (AC) table 0: one code of
		// length 1, symbol 0.
		body := []byte{0x00, 1}
		body = append(body, make([]byte, 15)...)
		body = append(body, 0)
		body = append(body, 0x10, 1)
		body = append(body, make([]byte, 15)...)
		body = append(body, 0)
		return jpegSegment(b, 0xc4, body...)
	}
	sos := func(b []byte, ss, se byte) []byte {
		return jpegSegment(b, 0xda, 3, 1, 0x00, 2, 0x00, 3, 0x00, ss, se, 0)
	}
	scanData := []byte{0x00, 0x00, 0x00, 0x00}
	var out []hugeHeader

	b := dqt(append([]byte{}, soi...))
	b = sof(b, 0xc0)
	out = append(out, hugeHeader{"frame header, 4 bytes, no scan", append(b, scanData...)})

	b = dht(sof(dqt(append([]byte{}, soi...)), 0xc0))
	b = append(sos(b, 0, 63), scanData...)
	out = append(out, hugeHeader{"baseline scan of 4 bytes", b})
	out = append(out, hugeHeader{"baseline scan of 4 bytes and EOI", append(append([]byte{}, b...), 0xff, 0xd9)})

	b = dht(sof(dqt(append([]byte{}, soi...)), 0xc2))
	b = append(sos(b, 0, 0), scanData...)
	out = append(out, hugeHeader{"progressive DC scan of 4 bytes", append(b, 0xff, 0xd9)})
	return out
}

// TestHugeClaimFailsFast: a file claiming a picture of hundreds of megapixels with
// four bytes of data must fail fast, without allocating memory for the
// claimed planes. A frame header alone may claim 65535×65535: nothing may
// be allocated for it before a scan. A scan of four bytes cannot hold the
// blocks of a big picture (every block takes at least one bit, two in a
// sequential scan), so a decoder can refuse it before allocating planes;
// the claim there is 16384×16384 (a 4:2:0 decode would need 384 MiB) so
// that a failing decoder does not exhaust the machine.
func TestHugeClaimFailsFast(t *testing.T) {
	const (
		allocLimit = 16 << 20
		timeLimit  = 2 * time.Second
	)
	cases := hugeHeaders(65535, 65535)[:1]
	cases = append(cases, hugeHeaders(16384, 16384)[1:]...)
	for _, c := range cases {
		for _, n := range []int{1, 2, 4, 8} {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			img, err := Decode(c.data, Options{Scale: n})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			if err == nil {
				t.Errorf("%s, scale %d: Decode gives %s, want an error", c.name, n, describeImage(img))
			} else if e, aerr := asError(err); aerr != nil {
				t.Errorf("%s, scale %d: %v", c.name, n, aerr)
			} else if e.Kind != KindInvalid {
				t.Errorf("%s, scale %d: error %v has kind %d, want KindInvalid", c.name, n, err, e.Kind)
			}
			if alloc > allocLimit {
				t.Errorf("%s, scale %d: Decode allocated %d MiB, limit %d MiB", c.name, n, alloc>>20, allocLimit>>20)
			}
			if took > timeLimit {
				t.Errorf("%s, scale %d: Decode took %v, limit %v", c.name, n, took, timeLimit)
			}
			t.Logf("%s, scale %d: %v, %d KiB allocated, %v", c.name, n, err, alloc>>10, took.Round(time.Microsecond))
		}
	}
}

// TestHugeClaimFilesSane checks the hand-made files themselves: at a size
// image/jpeg can afford, it reads their headers as intended, and (four
// bytes being far too little) reports the scans as truncated.
func TestHugeClaimFilesSane(t *testing.T) {
	for _, c := range hugeHeaders(64, 48) {
		if _, err := refDecode(c.data); err == nil {
			t.Errorf("%s: image/jpeg decodes it; want an error", c.name)
		}
		if c.name == hugeHeaders(1, 1)[0].name {
			continue // no scan: image/jpeg.DecodeConfig reads on and hits the end
		}
		cfg, err := jpegConfig(c.data)
		if err != nil || cfg != [2]int{64, 48} {
			t.Errorf("%s: image/jpeg.DecodeConfig gives %v, %v; want 64×48", c.name, cfg, err)
		}
	}
}

// imageOrErr is what one Decode returned.
type imageOrErr struct {
	img image.Image
	err error
}

// jpegConfig returns the size image/jpeg.DecodeConfig reads.
func jpegConfig(data []byte) ([2]int, error) {
	c, err := jpeg.DecodeConfig(bytes.NewReader(data))
	return [2]int{c.Width, c.Height}, err
}
