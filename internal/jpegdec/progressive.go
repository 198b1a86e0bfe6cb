package jpegdec

import "math/bits"

// decodeProgressive decodes one progressive scan into the coefficient
// buffers (T.81 G.1.2).
func (d *decoder) decodeProgressive(br *bitReader, sc *scan) error {
	for i := 0; i < sc.n; i++ {
		s := &sc.comps[i]
		if sc.ss == 0 && sc.ah == 0 && !s.dc.defined {
			return invalid("uninitialized Huffman table")
		}
		if sc.ss > 0 && !s.ac.defined {
			return invalid("uninitialized Huffman table")
		}
	}
	al := sc.al
	// A component keeps either raw coefficients (coefs, at block side 8)
	// or folded sums (dcs/sign/fold, below 8); see component.
	var fn func(s *scanComp, c *component, bx, by int) error
	switch {
	case sc.ss == 0 && sc.ah == 0:
		fn = func(s *scanComp, c *component, bx, by int) error {
			sym, err := br.symbol(s.dc)
			if err != nil {
				return err
			}
			if sym > 16 {
				return unsupported("excessive DC component")
			}
			c.pred += extend(br.bits(uint(sym)), uint(sym))
			if i := by*c.bw + bx; c.dcs != nil {
				c.dcs[i] = int16(c.pred << al)
			} else {
				c.coefs[i*64] = int16(c.pred << al)
			}
			return nil
		}
	case sc.ss == 0:
		fn = func(s *scanComp, c *component, bx, by int) error {
			if !br.bit() {
				return nil
			}
			if i := by*c.bw + bx; c.dcs != nil {
				c.dcs[i] |= 1 << al
			} else {
				c.coefs[i*64] |= 1 << al
			}
			return nil
		}
	case sc.ah == 0:
		fn = func(s *scanComp, c *component, bx, by int) error {
			if d.eobrun > 0 {
				d.eobrun--
				return nil
			}
			i := by*c.bw + bx
			if c.fold != nil {
				return d.acFirstFold(br, sc, s, c, i)
			}
			return d.acFirst(br, sc, s, (*[64]int16)(c.coefs[i*64:i*64+64]), &c.nz[i])
		}
	default:
		fn = func(s *scanComp, c *component, bx, by int) error {
			i := by*c.bw + bx
			if c.fold != nil {
				return d.acRefineFold(br, sc, s, c, i)
			}
			return d.acRefine(br, sc, s, (*[64]int16)(c.coefs[i*64:i*64+64]), &c.nz[i])
		}
	}
	return d.forEachBlock(br, sc, fn)
}

// acFirst decodes the first scan of a band of AC coefficients of a block;
// nz marks (by zigzag index) the coefficients that are nonzero.
func (d *decoder) acFirst(br *bitReader, sc *scan, s *scanComp, b *[64]int16, nz *uint64) error {
	for k := sc.ss; k <= sc.se; k++ {
		sym, err := br.symbol(s.ac)
		if err != nil {
			return err
		}
		r, size := int(sym>>4), uint(sym&15)
		if size == 0 {
			if r != 15 {
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun |= br.bits(uint(r))
				}
				d.eobrun--
				return nil
			}
			k += 15
			continue
		}
		k += r
		if k > sc.se {
			return nil
		}
		b[k&63] = int16(extend(br.bits(size), size) << sc.al)
		*nz |= 1 << uint(k&63)
	}
	return nil
}

// acRefine decodes a refinement scan of a band of AC coefficients of a
// block, as image/jpeg reads it (T.81 G.1.2.3).
func (d *decoder) acRefine(br *bitReader, sc *scan, s *scanComp, b *[64]int16, nz *uint64) error {
	delta := int16(1) << sc.al
	k := sc.ss
	if d.eobrun == 0 {
		for ; k <= sc.se; k++ {
			sym, err := br.symbol(s.ac)
			if err != nil {
				return err
			}
			r, size := int(sym>>4), sym&15
			z := int16(0)
			if size == 0 {
				if r != 15 {
					d.eobrun = 1 << r
					if r > 0 {
						d.eobrun |= br.bits(uint(r))
					}
					break
				}
			} else if size == 1 {
				z = delta
				if !br.bit() {
					z = -z
				}
			} else {
				return invalid("unexpected Huffman code")
			}
			k = refineNonZeroes(br, b, *nz, k, sc.se, r, delta)
			if k > sc.se {
				return invalid("too many coefficients")
			}
			if z != 0 {
				b[k&63] = z
				*nz |= 1 << uint(k&63)
			}
		}
	}
	if d.eobrun > 0 {
		d.eobrun--
		refineNonZeroes(br, b, *nz, k, sc.se, -1, delta)
	}
	return nil
}

// refineNonZeroes reads a correction bit for each coefficient from k on
// that is already nonzero (nz, by zigzag index), and stops at the
// (skip+1)-th zero one, returning its index, or se+1 when there is none
// (skip < 0: refine to the end).
func refineNonZeroes(br *bitReader, b *[64]int16, nz uint64, k, se, skip int, delta int16) int {
	if k > se {
		return k
	}
	band := ^uint64(0) << uint(k&63) & (^uint64(0) >> uint(63-se&63))
	end := se + 1
	if skip >= 0 {
		zeros := ^nz & band
		for ; skip > 0 && zeros != 0; skip-- {
			zeros &= zeros - 1
		}
		if zeros != 0 {
			end = bits.TrailingZeros64(zeros)
			band &= 1<<uint(end) - 1
		}
	}
	// One correction bit per nonzero coefficient, read up to 32 at a time.
	m := nz & band
	for cnt := bits.OnesCount64(m); cnt > 0; {
		take := min(cnt, 32)
		cnt -= take
		w := br.bitsLeft(uint(take))
		for ; take > 0; take-- {
			i := bits.TrailingZeros64(m) & 63
			m &= m - 1
			if int64(w) < 0 {
				if v := b[i]; v >= 0 {
					b[i] = v + delta
				} else {
					b[i] = v - delta
				}
			}
			w <<= 1
		}
	}
	return end
}

// acFirstFold is acFirst for the folded storage of block i of c.
func (d *decoder) acFirstFold(br *bitReader, sc *scan, s *scanComp, c *component, i int) error {
	k2 := c.bs * c.bs
	fold := c.fold[i*k2 : i*k2+k2]
	for k := sc.ss; k <= sc.se; k++ {
		sym, err := br.symbol(s.ac)
		if err != nil {
			return err
		}
		r, size := int(sym>>4), uint(sym&15)
		if size == 0 {
			if r != 15 {
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun |= br.bits(uint(r))
				}
				d.eobrun--
				return nil
			}
			k += 15
			continue
		}
		k += r
		if k > sc.se {
			return nil
		}
		bit := uint64(1) << uint(k&63)
		if c.nz[i]&bit != 0 {
			// A second first scan of the same coefficient: image/jpeg
			// overwrites it, a sum cannot.
			return unsupported("overlapping progressive scans")
		}
		v := extend(br.bits(size), size) << sc.al
		c.nz[i] |= bit
		if v < 0 {
			c.sign[i] |= bit
		}
		if t := int(c.ft[k&63]); t < len(fold) {
			fold[t] += v * c.fq[k&63]
		}
	}
	return nil
}

// acRefineFold is acRefine for the folded storage of block i of c.
func (d *decoder) acRefineFold(br *bitReader, sc *scan, s *scanComp, c *component, i int) error {
	delta := int32(1) << sc.al
	k2 := c.bs * c.bs
	fold := c.fold[i*k2 : i*k2+k2]
	k := sc.ss
	if d.eobrun == 0 {
		for ; k <= sc.se; k++ {
			sym, err := br.symbol(s.ac)
			if err != nil {
				return err
			}
			r, size := int(sym>>4), sym&15
			z := int32(0)
			if size == 0 {
				if r != 15 {
					d.eobrun = 1 << r
					if r > 0 {
						d.eobrun |= br.bits(uint(r))
					}
					break
				}
			} else if size == 1 {
				z = delta
				if !br.bit() {
					z = -z
				}
			} else {
				return invalid("unexpected Huffman code")
			}
			k = refineFold(br, c, fold, i, k, sc.se, r, delta)
			if k > sc.se {
				return invalid("too many coefficients")
			}
			if z != 0 {
				bit := uint64(1) << uint(k&63)
				c.nz[i] |= bit
				if z < 0 {
					c.sign[i] |= bit
				}
				if t := int(c.ft[k&63]); t < len(fold) {
					fold[t] += z * c.fq[k&63]
				}
			}
		}
	}
	if d.eobrun > 0 {
		d.eobrun--
		refineFold(br, c, fold, i, k, sc.se, -1, delta)
	}
	return nil
}

// refineFold is refineNonZeroes for the folded storage: a correction
// moves a coefficient away from zero by delta, in the direction of its
// sign, so its folded contribution changes by ±delta times its multiplier.
func refineFold(br *bitReader, c *component, fold []int32, i, k, se, skip int, delta int32) int {
	if k > se {
		return k
	}
	nz, sign := c.nz[i], c.sign[i]
	band := ^uint64(0) << uint(k&63) & (^uint64(0) >> uint(63-se&63))
	end := se + 1
	if skip >= 0 {
		zeros := ^nz & band
		for ; skip > 0 && zeros != 0; skip-- {
			zeros &= zeros - 1
		}
		if zeros != 0 {
			end = bits.TrailingZeros64(zeros)
			band &= 1<<uint(end) - 1
		}
	}
	m := nz & band
	for cnt := bits.OnesCount64(m); cnt > 0; {
		take := min(cnt, 32)
		cnt -= take
		w := br.bitsLeft(uint(take))
		for ; take > 0; take-- {
			j := bits.TrailingZeros64(m) & 63
			m &= m - 1
			if int64(w) < 0 {
				dv := delta
				if sign&(1<<uint(j)) != 0 {
					dv = -delta
				}
				if t := int(c.ft[j]); t < len(fold) {
					fold[t] += dv * c.fq[j]
				}
			}
			w <<= 1
		}
	}
	return end
}

// reconstructProgressive dequantizes and inverse-transforms every block
// once all scans are read.
func (d *decoder) reconstructProgressive() {
	var blk [64]int32
	var qf [64]int32
	var tf [64]uint8
	for i := 0; i < d.ncomp; i++ {
		c := &d.comp[i]
		bs := c.bs
		c.stride = c.bw * bs
		c.plane = make([]byte, c.stride*c.bh*bs)
		if bs < 8 {
			d.reconstructFolded(c)
			continue
		}
		dequantTables(&d.qt[c.tq], bs, &qf, &tf)
		for by := 0; by < c.bh; by++ {
			for bx := 0; bx < c.bw; bx++ {
				j := (by*c.bw + bx) * 64
				src := (*[64]int16)(c.coefs[j : j+64])
				acs := false
				blk[tf[0]&63] = int32(src[0]) * qf[0]
				for k := 1; k < 64; k++ {
					if v := src[k]; v != 0 {
						blk[tf[k]&63] += int32(v) * qf[k]
						acs = true
					}
				}
				if d.track {
					d.noteMax(&blk)
				}
				writeBlock(&blk, acs, bs, c.plane, by*bs*c.stride+bx*bs, c.stride)
				blk = [64]int32{}
			}
		}
		c.coefs, c.nz = nil, nil
	}
}

// reconstructFolded writes the planes of a reduced progressive decode.
func (d *decoder) reconstructFolded(c *component) {
	var blk [64]int32
	bs := c.bs
	k2 := bs * bs
	for by := 0; by < c.bh; by++ {
		for bx := 0; bx < c.bw; bx++ {
			i := by*c.bw + bx
			fold := c.fold[i*k2 : i*k2+k2]
			for t, v := range fold {
				blk[(t/bs)*8+t%bs&7] = v
			}
			blk[0] += int32(c.dcs[i]) * c.fq[0]
			writeBlock(&blk, true, bs, c.plane, by*bs*c.stride+bx*bs, c.stride)
		}
	}
	c.dcs, c.sign, c.fold, c.nz = nil, nil, nil, nil
}
