package jpegdec

import "math"

// Fixed-point constants of the 8-point IDCT: cos(k·π/16)/2 · 2^15.
const (
	c1 = 16069
	c2 = 15137
	c3 = 13623
	c4 = 11585
	c5 = 9102
	c6 = 6270
	c7 = 3196
)

// Fixed-point constants of the 4-point IDCT: cos(k·π/8) · 2^13.
const (
	d1 = 7568
	d2 = 5793
	d3 = 3135
)

// foldBits is the fixed-point precision of the folded coefficients used at
// reduced scales.
const foldBits = 12

func clamp8(v int) byte {
	if uint(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return byte(v)
}

// idct8 is the accurate separable 8×8 inverse DCT. Both passes use an
// even/odd decomposition with exact cosines at 15 fractional bits and keep
// full precision in between (64-bit), so the result is the real IDCT
// rounded, except where a value lies within ~2^-10 of a rounding boundary.
// b holds dequantized coefficients in natural order; the 8×8 result plus
// 128, clamped, goes to dst at off with the given stride.
func idct8(b *[64]int32, dst []byte, off, stride int) {
	var t [64]int
	for c := 0; c < 8; c++ {
		x0, x1, x2, x3 := int(b[c]), int(b[8+c]), int(b[16+c]), int(b[24+c])
		x4, x5, x6, x7 := int(b[32+c]), int(b[40+c]), int(b[48+c]), int(b[56+c])
		if x1|x2|x3|x4|x5|x6|x7 == 0 {
			v := x0 * c4
			t[c], t[8+c], t[16+c], t[24+c] = v, v, v, v
			t[32+c], t[40+c], t[48+c], t[56+c] = v, v, v, v
			continue
		}
		ea, eb := (x0+x4)*c4, (x0-x4)*c4
		fa, fb := x2*c2+x6*c6, x2*c6-x6*c2
		e0, e3, e1, e2 := ea+fa, ea-fa, eb+fb, eb-fb
		o0 := x1*c1 + x3*c3 + x5*c5 + x7*c7
		o1 := x1*c3 - x3*c7 - x5*c1 - x7*c5
		o2 := x1*c5 - x3*c1 + x5*c7 + x7*c3
		o3 := x1*c7 - x3*c5 + x5*c3 - x7*c1
		t[c], t[56+c] = e0+o0, e0-o0
		t[8+c], t[48+c] = e1+o1, e1-o1
		t[16+c], t[40+c] = e2+o2, e2-o2
		t[24+c], t[32+c] = e3+o3, e3-o3
	}
	const sh = 30
	const rnd = 1<<(sh-1) + 128<<sh
	for r := 0; r < 8; r++ {
		row := t[r*8 : r*8+8 : r*8+8]
		x0, x1, x2, x3, x4, x5, x6, x7 := row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]
		out := dst[off+r*stride:]
		out = out[:8:8]
		if x1|x2|x3|x4|x5|x6|x7 == 0 {
			v := clamp8((x0*c4 + rnd) >> sh)
			out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] = v, v, v, v, v, v, v, v
			continue
		}
		ea, eb := (x0+x4)*c4+rnd, (x0-x4)*c4+rnd
		fa, fb := x2*c2+x6*c6, x2*c6-x6*c2
		e0, e3, e1, e2 := ea+fa, ea-fa, eb+fb, eb-fb
		o0 := x1*c1 + x3*c3 + x5*c5 + x7*c7
		o1 := x1*c3 - x3*c7 - x5*c1 - x7*c5
		o2 := x1*c5 - x3*c1 + x5*c7 + x7*c3
		o3 := x1*c7 - x3*c5 + x5*c3 - x7*c1
		out[0] = clamp8((e0 + o0) >> sh)
		out[7] = clamp8((e0 - o0) >> sh)
		out[1] = clamp8((e1 + o1) >> sh)
		out[6] = clamp8((e1 - o1) >> sh)
		out[2] = clamp8((e2 + o2) >> sh)
		out[5] = clamp8((e2 - o2) >> sh)
		out[3] = clamp8((e3 + o3) >> sh)
		out[4] = clamp8((e3 - o3) >> sh)
	}
}

// fillDC writes a block whose only nonzero coefficient is the DC: the
// dequantized DC x gives x/8 + 128 everywhere. n is the block side.
func fillDC(x int32, n int, dst []byte, off, stride int) {
	v := clamp8((int(x) + 4 + 128*8) >> 3)
	for r := 0; r < n; r++ {
		out := dst[off+r*stride:]
		out = out[:n:n]
		for i := range out {
			out[i] = v
		}
	}
}

// idct4 turns the folded 4×4 coefficients (foldBits fractional bits, at
// b[j*8+m]) into a 4×4 block: each sample is the mean of a 2×2 box of the
// full-size IDCT (before its rounding and clamping).
func idct4(b *[64]int32, dst []byte, off, stride int) {
	var t [16]int
	const one = 1 << 13
	for m := 0; m < 4; m++ {
		x0, x1, x2, x3 := int(b[m]), int(b[8+m]), int(b[16+m]), int(b[24+m])
		ea, eb := x0*one+x2*d2, x0*one-x2*d2
		o0, o1 := x1*d1+x3*d3, x1*d3-x3*d1
		t[m], t[12+m] = ea+o0, ea-o0
		t[4+m], t[8+m] = eb+o1, eb-o1
	}
	const sh = foldBits + 26
	const rnd = 1<<(sh-1) + 128<<sh
	for r := 0; r < 4; r++ {
		row := t[r*4 : r*4+4 : r*4+4]
		x0, x1, x2, x3 := row[0], row[1], row[2], row[3]
		ea, eb := x0*one+x2*d2+rnd, x0*one-x2*d2+rnd
		o0, o1 := x1*d1+x3*d3, x1*d3-x3*d1
		out := dst[off+r*stride:]
		out = out[:4:4]
		out[0] = clamp8((ea + o0) >> sh)
		out[3] = clamp8((ea - o0) >> sh)
		out[1] = clamp8((eb + o1) >> sh)
		out[2] = clamp8((eb - o1) >> sh)
	}
}

// idct2 turns the folded 2×2 coefficients into a 2×2 block: each sample
// is the mean of a 4×4 box of the full-size IDCT.
func idct2(b *[64]int32, dst []byte, off, stride int) {
	const rnd = 1<<(foldBits-1) + 128<<foldBits
	p00, p01, p10, p11 := int(b[0])+rnd, int(b[1]), int(b[8]), int(b[9])
	top := dst[off:]
	top = top[:2:2]
	top[0] = clamp8((p00 + p01 + p10 + p11) >> foldBits)
	top[1] = clamp8((p00 - p01 + p10 - p11) >> foldBits)
	bot := dst[off+stride:]
	bot = bot[:2:2]
	bot[0] = clamp8((p00 + p01 - p10 - p11) >> foldBits)
	bot[1] = clamp8((p00 - p01 - p10 + p11) >> foldBits)
}

// idct1 writes the block mean (the DC term).
func idct1(b *[64]int32, dst []byte, off int) {
	const rnd = 1<<(foldBits-1) + 128<<foldBits
	dst[off] = clamp8((int(b[0]) + rnd) >> foldBits)
}

// foldWeight says how frequency u of the 8-point IDCT contributes to the
// n-point (n = 8/scale) output basis: the mean over each output sample's
// box of the 8-point basis function u equals weight times output basis
// function j. For n=4 that is cos(uπ/16) (negated and aliased to 8-u above
// 4); for n=2 only u=0 and odd u contribute; for n=1 only u=0.
func foldWeight(u, n int) (w float64, j int) {
	switch n {
	case 4:
		switch {
		case u < 4:
			return math.Cos(float64(u) * math.Pi / 16), u
		case u > 4:
			return -math.Cos(float64(u) * math.Pi / 16), 8 - u
		}
		return 0, 0
	case 2:
		if u == 0 {
			return 1, 0
		}
		if u%2 == 1 {
			s := 0.0
			for x := 0; x < 4; x++ {
				s += math.Cos(float64((2*x+1)*u) * math.Pi / 16)
			}
			return s / 4, 1
		}
		return 0, 0
	}
	if u == 0 {
		return 1, 0
	}
	return 0, 0
}

// dequantTables makes the per-coefficient multipliers and destinations for
// block side n: at n=8 the quantizer and the natural index; below, the
// quantizer times the IDCT normalisation and the fold weights, at
// foldBits, and the index of the folded coefficient.
func dequantTables(q *[64]int32, n int, qf *[64]int32, tf *[64]uint8) {
	for k := 0; k < 64; k++ {
		nat := int(zigzag[k])
		if n == 8 {
			qf[k], tf[k] = q[k], uint8(nat)
			continue
		}
		u, v := nat/8, nat%8
		wu, ju := foldWeight(u, n)
		wv, jv := foldWeight(v, n)
		su, sv := 0.5, 0.5
		if u == 0 {
			su = 1 / (2 * math.Sqrt2)
		}
		if v == 0 {
			sv = 1 / (2 * math.Sqrt2)
		}
		w := su * sv * wu * wv * float64(q[k]) * (1 << foldBits)
		qf[k], tf[k] = int32(math.Round(w)), uint8(ju*8+jv)
	}
}
