package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/jpegdec"
)

// jpegFrameHeader is SOI and a frame header (SOFn marker m) of w×h with
// the given components' sampling factors (0x22 is 2×2): all Probe reads.
func jpegFrameHeader(m byte, w, h uint16, sampling ...byte) []byte {
	seg := []byte{8}
	seg = binary.BigEndian.AppendUint16(seg, h)
	seg = binary.BigEndian.AppendUint16(seg, w)
	seg = append(seg, byte(len(sampling)))
	for i, s := range sampling {
		seg = append(seg, byte(i+1), s, 0)
	}
	out := []byte{0xFF, 0xD8, 0xFF, m}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	return append(out, seg...)
}

// pngHeader is a PNG whose IHDR declares w×h of the color type and depth.
func pngHeader(w, h uint32, colorType, depth, interlace byte) []byte {
	b := hugePNG(w, h)
	b[24], b[25], b[28] = depth, colorType, interlace
	ihdr := pngChunk("IHDR", b[16:29])
	return append(append(bytes.Clone(b[:8]), ihdr...), b[33:]...)
}

// The decode cost comes from the headers alone, as image/jpeg and
// image/png allocate.
func TestDecodeCostFromHeaders(t *testing.T) {
	const blocks420 = 625 * 625 * 6 // 10000×10000 4:2:0: 4 Y + Cb + Cr blocks per 16×16 MCU
	tests := []struct {
		name string
		data []byte
		want int64
	}{
		{"baseline JPEG 4:2:0", jpegFrameHeader(0xC0, 10000, 10000, 0x22, 0x11, 0x11), blocks420 * 64},
		{"progressive JPEG 4:2:0", jpegFrameHeader(0xC2, 10000, 10000, 0x22, 0x11, 0x11), blocks420 * 64 * 5},
		{"progressive JPEG 4:4:4", jpegFrameHeader(0xC2, 8000, 8000, 0x11, 0x11, 0x11), 1000 * 1000 * 3 * 64 * 5},
		{"grayscale JPEG", jpegFrameHeader(0xC0, 10000, 10000, 0x22), 1250 * 1250 * 64},
		{"CMYK JPEG", jpegFrameHeader(0xC0, 8000, 8000, 0x11, 0x11, 0x11, 0x11), 1000*1000*4*64 + 8000*8000*4},
		{"16-bit RGBA PNG", pngHeader(10000, 10000, 6, 16, 0), 10000 * 10000 * 8},
		{"16-bit RGB PNG", pngHeader(10000, 10000, 2, 16, 0), 10000 * 10000 * 8},
		{"8-bit RGB PNG", pngHeader(10000, 10000, 2, 8, 0), 10000 * 10000 * 4},
		{"16-bit gray PNG", pngHeader(10000, 10000, 0, 16, 0), 10000 * 10000 * 2},
		{"paletted PNG", pngHeader(10000, 10000, 3, 8, 0), 10000 * 10000},
		{"interlaced 8-bit RGBA PNG", pngHeader(5000, 5000, 6, 8, 1), 5000 * 5000 * 4 * 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Probe(tt.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if info.DecodeBytes != tt.want {
				t.Fatalf("DecodeBytes = %d, want %d", info.DecodeBytes, tt.want)
			}
		})
	}
	// A real progressive file costs five times its baseline form.
	prog, err := Probe(fixture(t, "progressive.jpg"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(fixture(t, "progressive.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	base, err := Probe(encodeJPEG(t, img), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if prog.DecodeBytes <= base.DecodeBytes || base.DecodeBytes < int64(base.Width*base.Height) {
		t.Fatalf("progressive %d bytes, baseline %d", prog.DecodeBytes, base.DecodeBytes)
	}
}

// Concurrent decodes never hold more than the budget together, and all
// of them finish.
func TestMemoryBudgetBoundsConcurrentDecodes(t *testing.T) {
	data := encodeJPEG(t, quadrants(256, 256))
	info, err := Probe(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	one := info.jpegDecodeBytes(1)      // a full-size decode by jpegdec
	b := NewMemoryBudget(2*one + one/2) // two at a time
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			_, err := b.Prepare(t.Context(), data, Limits{}, PrepareOptions{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := b.Peak(); p > b.Size() || p < one {
		t.Fatalf("peak %d bytes held, budget %d, one decode %d", p, b.Size(), one)
	}
	if _, err := b.acquire(t.Context(), FormatJPEG, b.Size()); err != nil {
		t.Fatalf("the budget was not released in full: %v", err)
	}
}

// A file whose cost alone exceeds the budget is refused as too large at
// once rather than waiting for memory that can never be free.
func TestMemoryBudgetRefusesOversize(t *testing.T) {
	data := jpegFrameHeader(0xC2, 10000, 10000, 0x22, 0x11, 0x11)
	// 469 MB for jpegdec at full size (planes and coefficients), 750 MB
	// for image/jpeg: over the budget either way.
	b := NewMemoryBudget(256 << 20)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a hang guard only
	defer cancel()
	_, err := b.Prepare(ctx, data, Limits{}, PrepareOptions{})
	if kindOf(err) != KindTooLarge || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want KindTooLarge", err)
	}
	if b.Peak() != 0 {
		t.Fatalf("the refused file held %d bytes", b.Peak())
	}
}

// A decode waiting for memory gives up when its context ends.
// TestMemoryBudgetCollectsLargeHolds: releasing a hold of collectAbove
// bytes or more runs a garbage collection before the next decode can
// start, so that the heap does not grow to twice its live size between
// the pacer's collections; a small hold does not.
func TestMemoryBudgetCollectsLargeHolds(t *testing.T) {
	// No collection of the pacer's own between the two readings: a count
	// that moves is the release's doing.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	b := NewMemoryBudget(1 << 30)
	numGC := func() uint32 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.NumGC
	}
	for _, tc := range []struct {
		hold    int64
		collect bool
	}{
		{collectAbove, true},
		{returnAbove, true},
		{4000 * 3000 * 3 / 2, true}, // the planes of a 12-MP 4:2:0 JPEG
		{6000 * 4000 * 3 / 2, true}, // and of a 24-MP one
		{1 << 20, false},
	} {
		release, err := b.acquire(t.Context(), FormatJPEG, tc.hold)
		if err != nil {
			t.Fatal(err)
		}
		before := numGC()
		release()
		if got := numGC() > before; got != tc.collect {
			t.Errorf("releasing a hold of %d MiB collected: %v, want %v", tc.hold>>20, got, tc.collect)
		}
	}
}

func TestMemoryBudgetWaitHonoursContext(t *testing.T) {
	data := encodeJPEG(t, quadrants(64, 64))
	b := NewMemoryBudget(1 << 20)
	release, err := b.acquire(t.Context(), FormatJPEG, b.Size()) // all of it
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.Prepare(ctx, data, Limits{}, PrepareOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var nilBudget *MemoryBudget // bounds nothing
	if _, err := nilBudget.Prepare(ctx, data, Limits{}, PrepareOptions{LongEdge: 16}); err != nil {
		t.Fatal(err)
	}
}

// A JPEG that jpegdec refuses is decoded by image/jpeg at full size under
// the full cost, and Prepared.Fallback says why; a jpegdec result of the
// wrong size or a panic in it falls back the same way, as "internal".
func TestJPEGFallback(t *testing.T) {
	data := sample(t, "rocket.jpg")
	refuse := func(k jpegdec.ErrorKind) jpegDecoder {
		return func([]byte, jpegdec.Options) (image.Image, error) {
			return nil, &jpegdec.Error{Kind: k, Msg: "refused"}
		}
	}
	wrongSize := func([]byte, jpegdec.Options) (image.Image, error) { return image.NewGray(image.Rect(0, 0, 3, 3)), nil }
	panics := func([]byte, jpegdec.Options) (image.Image, error) { panic("bug") }
	info, err := Probe(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Prepare(data, Limits{}, PrepareOptions{LongEdge: 200})
	if err != nil {
		t.Fatal(err)
	}
	if want.Fallback != "" {
		t.Fatalf("jpegdec fell back on a plain baseline JPEG: %q", want.Fallback)
	}
	for _, tt := range []struct {
		jd   jpegDecoder
		want Fallback
	}{
		{refuse(jpegdec.KindUnsupported), FallbackUnsupported},
		{refuse(jpegdec.KindInvalid), FallbackInvalid},
		{wrongSize, FallbackInternal},
		{panics, FallbackInternal},
	} {
		b := NewMemoryBudget(0)
		p, err := b.prepare(t.Context(), data, Limits{}, PrepareOptions{LongEdge: 200}, tt.jd)
		if err != nil {
			t.Fatalf("%s: %v", tt.want, err)
		}
		if p.Fallback != tt.want || p.Width != want.Width || p.Height != want.Height {
			t.Errorf("fallback %q %d×%d, want %q %d×%d", p.Fallback, p.Width, p.Height, tt.want, want.Width, want.Height)
		}
		if b.Peak() < info.DecodeBytes {
			t.Errorf("%s: the fallback held %d bytes, image/jpeg takes %d", tt.want, b.Peak(), info.DecodeBytes)
		}
	}
	// A file both refuse fails with image/jpeg's verdict, typed.
	bad := append(append([]byte{}, data[:len(data)/2]...), 0xFF, 0xD9)
	if _, err := (*MemoryBudget)(nil).prepare(t.Context(), bad, Limits{}, PrepareOptions{}, refuse(jpegdec.KindInvalid)); kindOf(err) != KindInvalid {
		t.Errorf("both decoders refused: err = %v, want KindInvalid", err)
	}
}

// A reduced JPEG decode holds what jpegdec takes at that size, a fraction
// of the full decode's cost.
func TestReducedDecodeHoldsLess(t *testing.T) {
	data := sample(t, "hubble_deep_field.jpg") // 1000×872
	info, err := Probe(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b := NewMemoryBudget(0)
	if _, err := b.Prepare(t.Context(), data, Limits{}, PrepareOptions{LongEdge: 120}); err != nil {
		t.Fatal(err)
	}
	if got, full := b.Peak(), info.DecodeBytes; got != info.jpegDecodeBytes(8) || got > full/32 {
		t.Errorf("held %d bytes for a 1/8 decode; full decode %d, 1/8 cost %d", got, full, info.jpegDecodeBytes(8))
	}
}
