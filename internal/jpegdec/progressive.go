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
			c.coefs[(by*c.bw+bx)*64] = int16(c.pred << al)
			return nil
		}
	case sc.ss == 0:
		fn = func(s *scanComp, c *component, bx, by int) error {
			if br.bit() {
				c.coefs[(by*c.bw+bx)*64] |= 1 << al
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
			return d.acFirst(br, sc, s, (*[64]int16)(c.coefs[i*64:i*64+64]), &c.nz[i])
		}
	default:
		fn = func(s *scanComp, c *component, bx, by int) error {
			i := by*c.bw + bx
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
	for m := nz & band; m != 0; m &= m - 1 {
		if !br.bit() {
			continue
		}
		i := bits.TrailingZeros64(m) & 63
		if v := b[i]; v >= 0 {
			b[i] = v + delta
		} else {
			b[i] = v - delta
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
