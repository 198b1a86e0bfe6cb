package jpegdec

import (
	"bytes"
	"image"
)

// Markers (T.81 Table B.1).
const (
	mSOF0 = 0xC0
	mSOF1 = 0xC1
	mSOF2 = 0xC2
	mDHT  = 0xC4
	mDAC  = 0xCC
	mRST0 = 0xD0
	mRST7 = 0xD7
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDNL  = 0xDC
	mDRI  = 0xDD
	mDHP  = 0xDE
	mEXP  = 0xDF
	mAPP0 = 0xE0
	mAPPE = 0xEE
	mAPPF = 0xEF
	mCOM  = 0xFE
)

// zigzag[k] is the natural (row-major) index of the k-th coefficient in
// zigzag order (a string: an immutable table).
const zigzag = "\x00\x01\x08\x10\x09\x02\x03\x0a\x11\x18\x20\x19\x12\x0b\x04\x05\x0c\x13\x1a\x21\x28\x30\x29\x22\x1b\x14\x0d\x06\x07\x0e\x15\x1c" +
	"\x23\x2a\x31\x38\x39\x32\x2b\x24\x1d\x16\x0f\x17\x1e\x25\x2c\x33\x3a\x3b\x34\x2d\x26\x1f\x27\x2e\x35\x3c\x3d\x36\x2f\x37\x3e\x3f"

type component struct {
	id   uint8
	h, v int // sampling factors
	tq   uint8
	// Blocks in the MCU-padded grid of this component.
	bw, bh int
	// Blocks that hold image data (non-interleaved scans visit only these).
	dw, dh int
	// bs is the side of a decoded block in plane samples: 8/scale, or
	// twice that for the subsampled chroma of a 4-component image at
	// reduced scale, whose output is interleaved at full resolution.
	bs     int
	plane  []byte
	stride int
	// Progressive: 64 coefficients per block, zigzag order, not
	// dequantized. int16 holds every coefficient of an 8-bit image; the
	// larger ones of corrupt data wrap around.
	coefs []int16
	// Progressive: per block, bit k set when coefficient k (zigzag) is
	// nonzero, for the refinement scans.
	nz []uint64
	// Progressive at reduced scale (bs < 8) keeps instead of coefs: the DC
	// coefficients, a sign mask per block (bit k set when coefficient k is
	// negative) and bs×bs folded, dequantized sums per block (fq and ft
	// are the multipliers and destinations, fixed at the first scan).
	dcs  []int16
	sign []uint64
	fold []int32
	fq   [64]int32
	ft   [64]uint8
	pred int32
}

type decoder struct {
	data  []byte
	scale int
	bs    int // output samples per block side: 8/scale

	width, height int
	sof           bool
	progressive   bool
	ncomp         int
	comp          [4]component
	hmax, vmax    int
	mcux, mcuy    int
	allocated     bool

	qt     [4][64]int32 // zigzag order
	dcTab  [4]huffTable
	acTab  [4]huffTable
	ri     int
	eobrun int32

	// Tests only: with track, maxAbs is the largest dequantized
	// coefficient magnitude and, at Scale 1, maxOut the largest magnitude
	// of a block's real-valued IDCT output before the +128 level shift.
	track  bool
	maxAbs int32
	maxOut float64

	jfif           bool
	adobe          bool
	adobeTransform uint8
}

func (d *decoder) decode() (image.Image, error) {
	data := d.data
	if len(data) < 2 || data[0] != 0xFF || data[1] != mSOI {
		return nil, invalid("missing SOI marker")
	}
	pos := 2
	for {
		// Find the next marker; extraneous bytes are skipped as image/jpeg
		// does.
		for pos < len(data) && data[pos] != 0xFF {
			pos++
		}
		if pos+1 >= len(data) {
			return nil, invalid("unexpected end of data")
		}
		marker := data[pos+1]
		pos += 2
		if marker == 0 {
			continue
		}
		for marker == 0xFF {
			if pos >= len(data) {
				return nil, invalid("unexpected end of data")
			}
			marker = data[pos]
			pos++
		}
		if marker == mEOI {
			break
		}
		if marker >= mRST0 && marker <= mRST7 {
			continue
		}
		if pos+2 > len(data) {
			return nil, invalid("unexpected end of data")
		}
		n := int(data[pos])<<8 | int(data[pos+1]) - 2
		pos += 2
		if n < 0 {
			return nil, invalid("short segment length")
		}
		if pos+n > len(data) {
			return nil, invalid("unexpected end of data")
		}
		seg := data[pos : pos+n]
		pos += n
		var err error
		switch {
		case marker == mSOF0 || marker == mSOF1 || marker == mSOF2:
			err = d.processSOF(seg, marker == mSOF2)
		case marker == 0xC3:
			err = unsupported("lossless JPEG")
		case marker >= 0xC5 && marker <= 0xC7:
			err = unsupported("hierarchical JPEG")
		case marker == mDAC || marker >= 0xC9 && marker <= 0xCB || marker >= 0xCD && marker <= 0xCF:
			err = unsupported("arithmetic coding")
		case marker == mDHP || marker == mEXP:
			err = unsupported("hierarchical JPEG")
		case marker == mDNL:
			err = unsupported("DNL marker")
		case marker == mDHT:
			err = d.processDHT(seg)
		case marker == mDQT:
			if d.progressive && d.allocated && d.bs < 8 {
				// The folded sums were dequantized with the old tables.
				err = unsupported("DQT between progressive scans")
				break
			}
			err = d.processDQT(seg)
		case marker == mDRI:
			err = d.processDRI(seg)
		case marker == mSOS:
			pos, err = d.processSOS(seg, pos)
		case marker == mAPP0:
			if len(seg) >= 5 && string(seg[:5]) == "JFIF\x00" {
				d.jfif = true
			}
		case marker == mAPPE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe = true
				d.adobeTransform = seg[11]
			}
		case marker >= mAPP0 && marker <= mAPPF || marker == mCOM:
		case marker < 0xC0:
			err = invalid("unknown marker")
		default:
			err = unsupported("unknown marker")
		}
		if err != nil {
			return nil, err
		}
	}
	if !d.allocated {
		return nil, invalid("missing SOS marker")
	}
	if d.progressive {
		d.reconstructProgressive()
	}
	return d.output()
}

func (d *decoder) processSOF(seg []byte, progressive bool) error {
	if d.sof {
		return invalid("multiple SOF markers")
	}
	d.sof = true
	d.progressive = progressive
	if len(seg) < 6 {
		return invalid("short SOF")
	}
	if seg[0] != 8 {
		return unsupported("sample precision other than 8 bits")
	}
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	nc := int(seg[5])
	if nc != 1 && nc != 3 && nc != 4 {
		return unsupported("number of components")
	}
	if len(seg) != 6+3*nc {
		return invalid("SOF has wrong length")
	}
	if d.height == 0 {
		return unsupported("DNL (height 0)")
	}
	if d.width == 0 {
		return unsupported("zero width")
	}
	d.ncomp = nc
	for i := 0; i < nc; i++ {
		c := &d.comp[i]
		c.id = seg[6+3*i]
		for j := 0; j < i; j++ {
			if d.comp[j].id == c.id {
				return invalid("repeated component identifier")
			}
		}
		c.h, c.v = int(seg[7+3*i]>>4), int(seg[7+3*i]&15)
		c.tq = seg[8+3*i]
		if c.tq > 3 {
			return invalid("bad Tq value")
		}
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return invalid("bad sampling factors")
		}
		if nc == 1 {
			// A single component is non-interleaved: one block per MCU.
			c.h, c.v = 1, 1
		}
	}
	h0, v0 := d.comp[0].h, d.comp[0].v
	switch nc {
	case 3:
		// Y with 1, 2 or 4 × 1 or 2; Cb and Cr alike, each either 1 or Y's.
		if h0 == 3 || v0 > 2 {
			return unsupported("sampling factors")
		}
		for i := 1; i < 3; i++ {
			c := d.comp[i]
			if c.h != d.comp[1].h || c.v != d.comp[1].v {
				return unsupported("sampling factors")
			}
			if (c.h != 1 && c.h != h0) || (c.v != 1 && c.v != v0) {
				return unsupported("sampling factors")
			}
		}
	case 4:
		hv0 := h0<<4 | v0
		if hv0 != 0x11 && hv0 != 0x22 {
			return unsupported("sampling factors")
		}
		for i := 1; i < 3; i++ {
			if d.comp[i].h != 1 || d.comp[i].v != 1 {
				return unsupported("sampling factors")
			}
		}
		if d.comp[3].h != h0 || d.comp[3].v != v0 {
			return unsupported("sampling factors")
		}
	}
	d.hmax, d.vmax = 1, 1
	for i := 0; i < nc; i++ {
		d.hmax = max(d.hmax, d.comp[i].h)
		d.vmax = max(d.vmax, d.comp[i].v)
	}
	d.mcux = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcuy = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := 0; i < nc; i++ {
		c := &d.comp[i]
		c.bw, c.bh = d.mcux*c.h, d.mcuy*c.v
		cw := (d.width*c.h + d.hmax - 1) / d.hmax
		ch := (d.height*c.v + d.vmax - 1) / d.vmax
		c.dw, c.dh = (cw+7)/8, (ch+7)/8
		c.bs = d.bs
		if nc == 4 && d.bs < 8 && (c.h != d.hmax || c.v != d.vmax) {
			c.bs = 2 * d.bs
		}
	}
	return nil
}

func (d *decoder) processDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return invalid("short DHT")
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 {
			return invalid("bad DHT class or index")
		}
		var counts [16]uint8
		total := 0
		for i := range counts {
			counts[i] = seg[1+i]
			total += int(counts[i])
		}
		if total == 0 || total > 256 {
			return invalid("bad Huffman table size")
		}
		if len(seg) < 17+total {
			return invalid("short DHT")
		}
		syms := seg[17 : 17+total]
		var err error
		if tc == 0 {
			err = d.dcTab[th].build(&counts, syms, false)
		} else {
			err = d.acTab[th].build(&counts, syms, true)
		}
		if err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

func (d *decoder) processDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if tq > 3 {
			return invalid("bad Tq value")
		}
		switch pq {
		case 0:
			if len(seg) < 65 {
				return invalid("short DQT")
			}
			for k := 0; k < 64; k++ {
				d.qt[tq][k] = int32(seg[1+k])
			}
			seg = seg[65:]
		case 1:
			if len(seg) < 129 {
				return invalid("short DQT")
			}
			for k := 0; k < 64; k++ {
				d.qt[tq][k] = int32(seg[1+2*k])<<8 | int32(seg[2+2*k])
			}
			seg = seg[129:]
		default:
			return invalid("bad Pq value")
		}
	}
	return nil
}

func (d *decoder) processDRI(seg []byte) error {
	if len(seg) != 2 {
		return invalid("DRI has wrong length")
	}
	d.ri = int(seg[0])<<8 | int(seg[1])
	return nil
}

// segmentEnd returns the index of the marker that ends the entropy-coded
// segment starting at pos: the first 0xFF not followed by 0x00 or RSTn.
func segmentEnd(data []byte, pos int) int {
	for {
		i := bytes.IndexByte(data[pos:], 0xFF)
		if i < 0 {
			return len(data)
		}
		pos += i
		if pos+1 >= len(data) {
			return pos
		}
		m := data[pos+1]
		if m != 0 && (m < mRST0 || m > mRST7) {
			return pos
		}
		pos += 2
	}
}
