package jpegdec

import (
	"errors"
	"testing"
)

// eobRunFile is a 16×8 gray baseline file whose first block ends with
// EOB1 (an end-of-band run, which image/jpeg honours in sequential scans
// too) followed by the extra bit eobBit: a run of 2 blocks (bit 0), which
// the scan's 2 blocks use up, or of 3 (bit 1), one past the end of the
// scan.
func eobRunFile(eobBit byte) []byte {
	data := []byte{0xFF, mSOI}
	data = append(data, 0xFF, mDQT, 0, 67, 0)
	for range 64 {
		data = append(data, 1)
	}
	data = append(data, 0xFF, mSOF0, 0, 11, 8, 0, 8, 0, 16, 1, 1, 0x11, 0)
	// DC table 0 and AC table 0, one 1-bit code each: DC size 0, AC EOB1.
	data = append(data, 0xFF, mDHT, 0, 2+17+1, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	data = append(data, 0xFF, mDHT, 0, 2+17+1, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10)
	data = append(data, 0xFF, mSOS, 0, 8, 1, 1, 0x00, 0, 63, 0)
	// Block 0: DC "0", EOB1 "0", extra bit; block 1: DC "0"; then 1s.
	data = append(data, 0b00_0_0_1111|eobBit<<5, 0xFF, mEOI)
	return data
}

func TestEOBRunPastScanEnd(t *testing.T) {
	img, err := Decode(eobRunFile(0), Options{})
	if err != nil {
		t.Fatalf("run that ends with the scan: %v", err)
	}
	if d := maxDiff(t, eobRunFile(0), img); d > 1 {
		t.Errorf("differs from image/jpeg by %d", d)
	}
	_, err = Decode(eobRunFile(1), Options{})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindUnsupported {
		t.Fatalf("run past the end of the scan: got %v, want KindUnsupported", err)
	}
}
