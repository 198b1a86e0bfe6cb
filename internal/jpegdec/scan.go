package jpegdec

import "math"

// scanComp is one component of a scan with its tables.
type scanComp struct {
	ci     int
	dc, ac *huffTable
	qf     [64]int32
	tf     [64]uint8
}

type scan struct {
	comps  [4]scanComp
	n      int
	ss, se int
	ah, al uint
}

// processSOS parses a scan header at seg, decodes the entropy-coded data
// that starts at pos and returns the position of the marker after it.
func (d *decoder) processSOS(seg []byte, pos int) (int, error) {
	if !d.sof {
		return 0, invalid("missing SOF marker")
	}
	if len(seg) < 1 {
		return 0, invalid("short SOS")
	}
	ns := int(seg[0])
	if ns < 1 || ns > d.ncomp || len(seg) != 4+2*ns {
		return 0, invalid("SOS has wrong length")
	}
	var sc scan
	sc.n = ns
	blocksPerMCU := 0
	for i := 0; i < ns; i++ {
		id, tabs := seg[1+2*i], seg[2+2*i]
		ci := -1
		for j := 0; j < d.ncomp; j++ {
			if d.comp[j].id == id {
				ci = j
			}
		}
		if ci < 0 {
			return 0, invalid("unknown component selector")
		}
		for j := 0; j < i; j++ {
			if sc.comps[j].ci == ci {
				return 0, invalid("repeated component selector")
			}
		}
		td, ta := tabs>>4, tabs&15
		if td > 3 || ta > 3 {
			return 0, invalid("bad Huffman table selector")
		}
		sc.comps[i].ci = ci
		sc.comps[i].dc = &d.dcTab[td]
		sc.comps[i].ac = &d.acTab[ta]
		blocksPerMCU += d.comp[ci].h * d.comp[ci].v
	}
	if ns > 1 && blocksPerMCU > 10 {
		return 0, invalid("too many blocks per MCU")
	}
	sc.ss, sc.se = int(seg[1+2*ns]), int(seg[2+2*ns])
	sc.ah, sc.al = uint(seg[3+2*ns]>>4), uint(seg[3+2*ns]&15)
	if d.progressive {
		if (sc.ss == 0 && sc.se != 0) || sc.ss > sc.se || sc.se > 63 {
			return 0, invalid("bad spectral selection bounds")
		}
		if sc.ss != 0 && ns != 1 {
			return 0, invalid("progressive AC scan of more than one component")
		}
		if sc.ah != 0 && sc.ah != sc.al+1 {
			return 0, invalid("bad successive approximation values")
		}
		if sc.al > 13 {
			// Beyond what 8-bit coefficients (held as int16) need.
			return 0, unsupported("successive approximation shift above 13")
		}
	} else {
		sc.ss, sc.se, sc.ah, sc.al = 0, 63, 0, 0
	}
	end := segmentEnd(d.data, pos)

	// Blocks this scan codes, each needing at least one bit: the bound on
	// allocation before any pixel is decoded.
	scanBlocks := d.mcux * d.mcuy * blocksPerMCU
	if ns == 1 {
		c := &d.comp[sc.comps[0].ci]
		scanBlocks = c.dw * c.dh
	}
	if !d.allocated {
		if d.progressive && (sc.ss != 0 || sc.ah != 0) {
			return 0, unsupported("progressive JPEG whose first scan is not a DC first scan")
		}
		if int64(end-pos)*8 < int64(scanBlocks) {
			return 0, invalid("unexpected end of data")
		}
		d.allocate()
	}
	br := bitReader{data: d.data[:end], pos: pos}
	for i := 0; i < ns; i++ {
		c := &d.comp[sc.comps[i].ci]
		c.pred = 0
		if !d.progressive {
			dequantTables(&d.qt[c.tq], c.bs, &sc.comps[i].qf, &sc.comps[i].tf)
		}
	}
	d.eobrun = 0
	var err error
	if d.progressive {
		err = d.decodeProgressive(&br, &sc)
	} else {
		err = d.decodeBaseline(&br, &sc)
	}
	if err != nil {
		return 0, err
	}
	if d.eobrun > 0 {
		// An end-of-band run longer than the blocks left: T.81 does not
		// let it cross the end of the scan, and image/jpeg carries the rest
		// into the next scan where libjpeg drops it. Leave it to the
		// fallback rather than pick one.
		return 0, unsupported("end-of-band run past the end of a scan")
	}
	return end, nil
}

func (d *decoder) allocate() {
	d.allocated = true
	for i := 0; i < d.ncomp; i++ {
		c := &d.comp[i]
		if d.progressive {
			n := c.bw * c.bh
			c.nz = make([]uint64, n)
			if c.bs == 8 {
				c.coefs = make([]int16, n*64)
				continue
			}
			// Reduced: the DC as decoded, the sign of every nonzero AC
			// coefficient, and the AC coefficients already folded and
			// dequantized into the bs×bs inputs of the reduced IDCT.
			c.dcs = make([]int16, n)
			c.sign = make([]uint64, n)
			c.fold = make([]int32, n*c.bs*c.bs)
			var tf [64]uint8
			dequantTables(&d.qt[c.tq], c.bs, &c.fq, &tf)
			for k, t := range tf {
				c.ft[k] = uint8(int(t>>3)*c.bs + int(t&7))
			}
		} else {
			c.stride = c.bw * c.bs
			c.plane = make([]byte, c.stride*c.bh*c.bs)
		}
	}
}

// restart handles the end of a restart interval: checks the interval's
// data sufficed, finds the expected RSTn marker and resets the state.
func (d *decoder) restart(br *bitReader, sc *scan, count int) error {
	if br.overrun() {
		return invalid("unexpected end of data")
	}
	want := byte(mRST0 + count&7)
	p := br.pos
	data := br.data
	for {
		if p+1 >= len(data) {
			return invalid("missing RST marker")
		}
		if data[p] == 0xFF {
			m := data[p+1]
			if m == want {
				p += 2
				break
			}
			if m == 0xFF {
				p++
				continue
			}
			if m != 0 {
				return invalid("bad RST marker")
			}
		}
		p++
	}
	br.reset(p)
	for i := 0; i < sc.n; i++ {
		d.comp[sc.comps[i].ci].pred = 0
	}
	d.eobrun = 0
	return nil
}

// forEachBlock calls fn for every block of the scan in coding order, with
// restart handling between intervals and a truncation check per MCU.
func (d *decoder) forEachBlock(br *bitReader, sc *scan, fn func(s *scanComp, c *component, bx, by int) error) error {
	mcu, rst := 0, 0
	if sc.n == 1 {
		s := &sc.comps[0]
		c := &d.comp[s.ci]
		for by := 0; by < c.dh; by++ {
			for bx := 0; bx < c.dw; bx++ {
				if d.ri > 0 && mcu > 0 && mcu%d.ri == 0 {
					if err := d.restart(br, sc, rst); err != nil {
						return err
					}
					rst++
				}
				if err := fn(s, c, bx, by); err != nil {
					return err
				}
				mcu++
				if br.overrun() {
					return invalid("unexpected end of data")
				}
			}
		}
		return nil
	}
	for my := 0; my < d.mcuy; my++ {
		for mx := 0; mx < d.mcux; mx++ {
			if d.ri > 0 && mcu > 0 && mcu%d.ri == 0 {
				if err := d.restart(br, sc, rst); err != nil {
					return err
				}
				rst++
			}
			for i := 0; i < sc.n; i++ {
				s := &sc.comps[i]
				c := &d.comp[s.ci]
				for y := 0; y < c.v; y++ {
					for x := 0; x < c.h; x++ {
						if err := fn(s, c, mx*c.h+x, my*c.v+y); err != nil {
							return err
						}
					}
				}
			}
			mcu++
			if br.overrun() {
				return invalid("unexpected end of data")
			}
		}
	}
	return nil
}

func (d *decoder) decodeBaseline(br *bitReader, sc *scan) error {
	for i := 0; i < sc.n; i++ {
		if !sc.comps[i].dc.defined || !sc.comps[i].ac.defined {
			return invalid("uninitialized Huffman table")
		}
	}
	// The loops of forEachBlock, written out: this is the hot path, and a
	// closure call per block costs a few percent.
	var blk [64]int32
	mcu, rst := 0, 0
	block := func(s *scanComp, c *component, bx, by int) error {
		acs, err := decodeBlock(br, s, &c.pred, &d.eobrun, &blk)
		if err != nil {
			return err
		}
		if d.track {
			d.noteMax(&blk)
		}
		writeBlock(&blk, acs, c.bs, c.plane, by*c.bs*c.stride+bx*c.bs, c.stride)
		blk = [64]int32{}
		return nil
	}
	if sc.n == 1 {
		s := &sc.comps[0]
		c := &d.comp[s.ci]
		for by := 0; by < c.dh; by++ {
			for bx := 0; bx < c.dw; bx++ {
				if d.ri > 0 && mcu > 0 && mcu%d.ri == 0 {
					if err := d.restart(br, sc, rst); err != nil {
						return err
					}
					rst++
				}
				if err := block(s, c, bx, by); err != nil {
					return err
				}
				mcu++
				if br.overrun() {
					return invalid("unexpected end of data")
				}
			}
		}
		return nil
	}
	for my := 0; my < d.mcuy; my++ {
		for mx := 0; mx < d.mcux; mx++ {
			if d.ri > 0 && mcu > 0 && mcu%d.ri == 0 {
				if err := d.restart(br, sc, rst); err != nil {
					return err
				}
				rst++
			}
			for i := 0; i < sc.n; i++ {
				s := &sc.comps[i]
				c := &d.comp[s.ci]
				for y := 0; y < c.v; y++ {
					for x := 0; x < c.h; x++ {
						if err := block(s, c, mx*c.h+x, my*c.v+y); err != nil {
							return err
						}
					}
				}
			}
			mcu++
			if br.overrun() {
				return invalid("unexpected end of data")
			}
		}
	}
	return nil
}

// writeBlock runs the inverse DCT for block side bs. acs says whether any
// AC coefficient was stored.
func writeBlock(blk *[64]int32, acs bool, bs int, dst []byte, off, stride int) {
	switch bs {
	case 8:
		if !acs {
			fillDC(blk[0], 8, dst, off, stride)
			return
		}
		idct8(blk, dst, off, stride)
	case 4:
		idct4(blk, dst, off, stride)
	case 2:
		idct2(blk, dst, off, stride)
	default:
		idct1(blk, dst, off)
	}
}

// decodeBlock decodes one baseline block into blk (dequantized through
// s.qf/s.tf). It reports whether an AC coefficient was stored.
//
// Sequential scans have no end-of-band runs, but image/jpeg honours the
// EOBn symbols (run 1..14, size 0) there as in progressive scans: the AC
// coefficients of the next blocks of the scan are skipped. Decode does the
// same, in eobrun, so that both read corrupt files alike.
func decodeBlock(br *bitReader, s *scanComp, pred, eobrun *int32, blk *[64]int32) (bool, error) {
	qf, tf := &s.qf, &s.tf
	acc, n := br.acc, br.n
	if n < 32 {
		br.refill()
		acc, n = br.acc, br.n
	}
	// DC.
	var diff int32
	e := s.dc.lut[acc>>(64-lutBits)]
	if e&flagValue != 0 {
		l := uint(e & 31)
		acc <<= l
		n -= l
		diff = e >> 16
	} else {
		var size int32
		if e != 0 {
			l := uint(e & 31)
			acc <<= l
			n -= l
			size = e >> 8 & 0xFF
		} else {
			br.acc, br.n = acc, n
			sym, err := br.slowSymbol(s.dc)
			if err != nil {
				return false, err
			}
			acc, n = br.acc, br.n
			size = sym
		}
		if size > 16 {
			return false, unsupported("excessive DC component")
		}
		if size > 0 {
			sz := uint(size)
			diff = extend(int32(acc>>(64-sz)), sz)
			acc <<= sz
			n -= sz
		}
	}
	*pred += diff
	blk[tf[0]&63] += *pred * qf[0]

	acs := false
	if *eobrun > 0 {
		*eobrun--
		br.acc, br.n = acc, n
		return false, nil
	}
	ac := &s.ac.lut
	for k := 1; k < 64; {
		if n < 32 {
			br.acc, br.n = acc, n
			br.refill()
			acc, n = br.acc, br.n
		}
		e := ac[acc>>(64-lutBits)]
		if e&flagValue != 0 {
			k += int(e >> 8 & 15)
			if k > 63 {
				l := uint(e>>12) & 15
				acc <<= l
				n -= l
				break
			}
			l := uint(e & 31)
			acc <<= l
			n -= l
			kk := k & 63
			blk[tf[kk]&63] += (e >> 16) * qf[kk]
			acs = true
			k++
			continue
		}
		var sym int32
		if e != 0 {
			l := uint(e & 31)
			acc <<= l
			n -= l
			sym = e >> 8 & 0xFF
		} else {
			br.acc, br.n = acc, n
			v, err := br.slowSymbol(s.ac)
			if err != nil {
				return false, err
			}
			acc, n = br.acc, br.n
			sym = v
		}
		r, size := int(sym>>4), uint(sym&15)
		if size == 0 {
			if r == 15 {
				k += 16
				continue
			}
			if r > 0 {
				// n >= 16 here: the code took at most 16 of 32.
				*eobrun = (1<<r | int32(acc>>(64-uint(r)))) - 1
				acc <<= uint(r)
				n -= uint(r)
			}
			break
		}
		k += r
		if k > 63 {
			break
		}
		v := extend(int32(acc>>(64-size)), size)
		acc <<= size
		n -= size
		kk := k & 63
		blk[tf[kk]&63] += v * qf[kk]
		acs = true
		k++
	}
	br.acc, br.n = acc, n
	return acs, nil
}

// noteMax records the largest dequantized coefficient magnitude (tests
// only: image/jpeg's 32-bit IDCT wraps around for magnitudes no 8-bit
// image produces, and the agreement check must know).
func (d *decoder) noteMax(blk *[64]int32) {
	for _, v := range blk {
		d.maxAbs = max(d.maxAbs, v, -v)
	}
	if d.bs == 8 {
		d.maxOut = max(d.maxOut, idctPeak(blk))
	}
}

// idctPeak is the largest magnitude of the real-valued 8×8 IDCT of the
// dequantized coefficients b (natural order), before the level shift and
// clamping (tests only; slow and plain).
func idctPeak(b *[64]int32) float64 {
	var cs [8][8]float64
	for x := 0; x < 8; x++ {
		for u := 0; u < 8; u++ {
			s := 0.5
			if u == 0 {
				s = 1 / (2 * math.Sqrt2)
			}
			cs[x][u] = s * math.Cos(float64((2*x+1)*u)*math.Pi/16)
		}
	}
	peak := 0.0
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			v := 0.0
			for u := 0; u < 8; u++ {
				for w := 0; w < 8; w++ {
					v += cs[y][u] * cs[x][w] * float64(b[u*8+w])
				}
			}
			peak = max(peak, math.Abs(v))
		}
	}
	return peak
}
