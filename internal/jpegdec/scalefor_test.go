package jpegdec

import (
	"errors"
	"testing"
)

func TestScaleFor(t *testing.T) {
	cases := []struct{ w, h, long, want int }{
		{6000, 4000, 768, 4},  // 1500 >= 768, 750 is not
		{6000, 4000, 1536, 2}, // 3000 >= 1536, 1500 is not
		{6000, 4000, 750, 8},  // 750 >= 750
		{6000, 4000, 751, 4},
		{4000, 6000, 768, 4}, // portrait: the long edge is the height
		{6000, 4000, 0, 1},
		{6000, 4000, -5, 1},
		{700, 500, 768, 1}, // already no larger
		{768, 10, 768, 1},
		{769, 10, 768, 1}, // ceil(769/2) = 385 < 768
		{6001, 1, 751, 8}, // ceil(6001/8) = 751
	}
	for _, c := range cases {
		if got := ScaleFor(c.w, c.h, c.long); got != c.want {
			t.Errorf("ScaleFor(%d, %d, %d) = %d, want %d", c.w, c.h, c.long, got, c.want)
		}
	}
}

func TestBadScale(t *testing.T) {
	data := encode(t, testPhoto(8, 8, 1), 80)
	for _, s := range []int{-1, 3, 16} {
		_, err := Decode(data, Options{Scale: s})
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindUnsupported {
			t.Errorf("Scale %d: got %v, want KindUnsupported", s, err)
		}
	}
	if _, err := Decode(data, Options{Scale: 0}); err != nil {
		t.Errorf("Scale 0: %v", err)
	}
}
