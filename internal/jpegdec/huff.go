package jpegdec

import "encoding/binary"

// lutBits is the number of bits the first-level Huffman lookup resolves.
const lutBits = 10

// Entries of huffTable.lut. Zero means the code is longer than lutBits
// (or absent) and the slow path decides.
//
// A value entry (flagValue set) holds a fully decoded coefficient: the code
// and its extra bits fit in lutBits together.
//
//	bits 0-4   bits consumed (code length + extra bits)
//	bit  7     flagValue
//	bits 8-11  run of zeros before the coefficient (AC) or 0 (DC)
//	bits 12-15 code length alone
//	bits 16-31 the sign-extended value
//
// A symbol entry (flagValue clear) holds only the decoded symbol:
//
//	bits 0-4   code length
//	bits 8-15  symbol
const flagValue = 1 << 7

// huffTable is one decoded DHT table.
type huffTable struct {
	defined bool
	lut     [1 << lutBits]int32
	// Slow path, codes of length lutBits+1..16: maxCode[l] is the largest
	// code of length l plus one (0 when there are none), valOff[l] maps a
	// code of length l to its index in vals.
	maxCode [17]int32
	valOff  [17]int32
	vals    [256]uint8
}

// build fills t from the 16 code counts and the symbols of a DHT table.
// ac says how symbols are split into run and size for the value entries.
func (t *huffTable) build(counts *[16]uint8, syms []uint8, ac bool) error {
	*t = huffTable{defined: true}
	copy(t.vals[:], syms)
	code, k := int32(0), 0
	for l := 1; l <= 16; l++ {
		n := int(counts[l-1])
		t.valOff[l] = int32(k) - code
		for i := 0; i < n; i++ {
			if code >= 1<<l {
				// Over-subscribed: corrupt, but image/jpeg builds such
				// tables anyway, so let the caller's fallback decide.
				return unsupported("over-subscribed Huffman table")
			}
			sym := syms[k]
			if l <= lutBits {
				t.fill(code, l, sym, ac)
			}
			code++
			k++
		}
		if n > 0 {
			t.maxCode[l] = code
		}
		code <<= 1
	}
	return nil
}

// fill writes the lookup entries for one code of length l <= lutBits.
func (t *huffTable) fill(code int32, l int, sym uint8, ac bool) {
	run, size := 0, int(sym)
	if ac {
		run, size = int(sym>>4), int(sym&15)
	}
	shift := lutBits - l
	base := int(code) << shift
	valueOK := size <= 16 && l+size <= lutBits && (!ac || size > 0)
	for i := 0; i < 1<<shift; i++ {
		if !valueOK {
			t.lut[base+i] = int32(sym)<<8 | int32(l)
			continue
		}
		extra := int32(0)
		if size > 0 {
			extra = int32(i>>(shift-size)) & (1<<size - 1)
		}
		v := extend(extra, uint(size))
		t.lut[base+i] = v<<16 | int32(l)<<12 | int32(run)<<8 | flagValue | int32(l+size)
	}
}

// extend turns the size-bit magnitude category code v into its signed
// value (T.81 F.2.2.1, EXTEND).
func extend(v int32, size uint) int32 {
	if size == 0 {
		return 0
	}
	if v < 1<<(size-1) {
		return v - (1 << size) + 1
	}
	return v
}

// bitReader reads the entropy-coded segment of one scan.
//
// acc holds the next bits MSB first; n of them are valid. The fast refill
// loads eight bytes at once when none of them is 0xFF; the slow refill
// removes stuffed zero bytes and, at a marker or the end of the segment,
// supplies zero bits and counts them in pad, so that a decode that needed
// them is detected as truncated data (n < pad) once per MCU.
type bitReader struct {
	data []byte
	pos  int
	acc  uint64
	n    uint
	pad  uint
}

func (br *bitReader) reset(pos int) {
	br.pos, br.acc, br.n, br.pad = pos, 0, 0, 0
}

// overrun reports whether bits beyond the data were consumed.
func (br *bitReader) overrun() bool { return br.n < br.pad }

func hasFF(v uint64) bool {
	x := ^v // 0xFF bytes become zero bytes
	return (x-0x0101010101010101)&^x&0x8080808080808080 != 0
}

// refill makes at least 56 bits valid.
func (br *bitReader) refill() {
	if br.pos+8 <= len(br.data) && br.pad == 0 {
		v := binary.BigEndian.Uint64(br.data[br.pos:])
		if !hasFF(v) {
			br.acc |= v >> br.n
			br.pos += int((63 - br.n) >> 3)
			br.n |= 56
			return
		}
	}
	br.refillSlow()
}

func (br *bitReader) refillSlow() {
	// Drop the bits past n that an earlier fast refill may have left.
	br.acc &^= ^uint64(0) >> br.n
	if br.n == 0 {
		br.acc = 0
	}
	for br.n <= 56 {
		var b byte
		if br.pad == 0 && br.pos < len(br.data) {
			b = br.data[br.pos]
			if b == 0xFF {
				if br.pos+1 < len(br.data) && br.data[br.pos+1] == 0 {
					br.pos += 2
				} else {
					// A marker: no more data for this interval.
					b = 0
					br.pad += 8
				}
			} else {
				br.pos++
			}
		} else {
			br.pad += 8
		}
		br.acc |= uint64(b) << (56 - br.n)
		br.n += 8
	}
}

// bits reads k (0..16) bits.
func (br *bitReader) bits(k uint) int32 {
	if k == 0 {
		return 0
	}
	if br.n < k {
		br.refill()
	}
	v := int32(br.acc >> (64 - k))
	br.acc <<= k
	br.n -= k
	return v
}

// bitsLeft reads k (1..32) bits and returns them left-aligned: the first
// bit read is bit 63.
func (br *bitReader) bitsLeft(k uint) uint64 {
	if br.n < k {
		br.refill()
	}
	v := br.acc &^ (^uint64(0) >> k)
	br.acc <<= k
	br.n -= k
	return v
}

func (br *bitReader) bit() bool {
	if br.n == 0 {
		br.refill()
	}
	b := br.acc>>63 != 0
	br.acc <<= 1
	br.n--
	return b
}

// symbol decodes one Huffman symbol (the value shortcut is not used: the
// caller reads the extra bits itself).
func (br *bitReader) symbol(t *huffTable) (int32, error) {
	if br.n < 16 {
		br.refill()
	}
	e := t.lut[br.acc>>(64-lutBits)]
	if e == 0 {
		return br.slowSymbol(t)
	}
	if e&flagValue == 0 {
		l := uint(e & 31)
		br.acc <<= l
		br.n -= l
		return (e >> 8) & 0xFF, nil
	}
	l := uint(e>>12) & 15
	br.acc <<= l
	br.n -= l
	return (e>>8&15)<<4 | (e&31 - int32(l)), nil
}

func (br *bitReader) slowSymbol(t *huffTable) (int32, error) {
	for l := uint(lutBits + 1); l <= 16; l++ {
		code := int32(br.acc >> (64 - l))
		if code < t.maxCode[l] {
			br.acc <<= l
			br.n -= l
			return int32(t.vals[uint8(code+t.valOff[l])]), nil
		}
	}
	return 0, invalid("bad Huffman code")
}
