package media

import (
	"image"
	"image/color"
	"math"
)

// plane is an 8-bit single-channel raster with stride == w.
type plane struct {
	pix  []uint8
	w, h int
}

// group is a set of source channels with the same geometry, whose rows
// are fetched together, one row index at a time, so an interleaved source
// converts each row once and never needs a full-size converted copy.
type group struct {
	n        int     // channels
	w, h     int     // stored size, in samples
	inW, inH float64 // extent of the shared image frame, in this group's samples
	// rows returns the n rows at y, each at least w long; they stay valid
	// until the next call. Rows are requested in increasing order.
	rows func(y int) [][]uint8
}

// target is the output geometry of a group.
type target struct {
	w, h       int     // output samples
	outW, outH float64 // extent of the shared frame, in output samples
}

const (
	weightBits = 14
	weightOne  = 1 << weightBits
)

// filterWeights holds, for each output sample, a window start and taps
// fixed-point weights summing to weightOne.
type filterWeights struct {
	start []int
	taps  int
	w     []int32
}

// catmullRom is the Catmull-Rom cubic (B=0, C=0.5), support 2.
func catmullRom(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x < 1:
		return (1.5*x-2.5)*x*x + 1
	case x < 2:
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}

// makeWeights computes the filter taps mapping n stored samples (spanning
// inSize units of the shared frame) to out samples. For reduction the
// kernel is widened by the scale factor so that it also antialiases.
func makeWeights(inSize float64, n int, outSize float64, out int) filterWeights {
	if float64(n) == inSize && n == out && outSize == float64(out) {
		fw := filterWeights{start: make([]int, out), taps: 1, w: make([]int32, out)}
		for i := range out {
			fw.start[i], fw.w[i] = i, weightOne
		}
		return fw
	}
	scale := inSize / outSize
	fscale := max(scale, 1)
	support := 2 * fscale
	taps := min(int(math.Ceil(2*support))+1, n)
	fw := filterWeights{start: make([]int, out), taps: taps, w: make([]int32, out*taps)}
	tmp := make([]float64, taps)
	for i := range out {
		center := (float64(i)+0.5)*scale - 0.5
		lo := int(math.Ceil(center - support))
		hi := int(math.Floor(center + support))
		start := min(max(lo, 0), n-taps)
		clear(tmp)
		var sum float64
		for j := lo; j <= hi; j++ {
			k := catmullRom((float64(j) - center) / fscale)
			if k == 0 {
				continue
			}
			jc := min(max(j, 0), n-1)
			tmp[jc-start] += k
			sum += k
		}
		ws := fw.w[i*taps : (i+1)*taps]
		if sum == 0 { // cannot happen for a sane kernel; keep the output defined
			ws[min(max(int(center+0.5), 0), n-1)-start] = weightOne
			fw.start[i] = start
			continue
		}
		var total int32
		best := 0
		for k := range tmp {
			ws[k] = int32(math.Round(tmp[k] / sum * weightOne))
			total += ws[k]
			if ws[k] > ws[best] {
				best = k
			}
		}
		ws[best] += weightOne - total
		fw.start[i] = start
	}
	return fw
}

func clamp8(v int32) uint8 {
	v = (v + weightOne/2) >> weightBits
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// hpass filters one source row into dst (len(dst) == len(fw.start)).
func hpass(src []uint8, dst []uint8, fw *filterWeights) {
	taps := fw.taps
	if taps == 1 {
		for x, s := range fw.start {
			dst[x] = src[s]
		}
		return
	}
	for x, s := range fw.start {
		ws := fw.w[x*taps : x*taps+taps]
		row := src[s : s+len(ws)]
		var sum int32
		for k, w := range ws {
			sum += w * int32(row[k])
		}
		dst[x] = clamp8(sum)
	}
}

// vpass filters the horizontally filtered rows tmp (width w, stride w)
// vertically into out.
func vpass(tmp []uint8, w int, fw *filterWeights, out []uint8) {
	acc := make([]int32, w)
	taps := fw.taps
	for y, s := range fw.start {
		dst := out[y*w : y*w+w]
		if taps == 1 {
			copy(dst, tmp[s*w:s*w+w])
			continue
		}
		clear(acc)
		ws := fw.w[y*taps : y*taps+taps]
		for k, wt := range ws {
			if wt == 0 {
				continue
			}
			row := tmp[(s+k)*w : (s+k)*w+w]
			a := acc[:len(row)]
			for x, v := range row {
				a[x] += wt * int32(v)
			}
		}
		for x, v := range acc {
			dst[x] = clamp8(v)
		}
	}
}

// resample scales every group to its target with the widened Catmull-Rom
// filter. A large reduction first averages integer blocks (a box filter,
// streamed row by row) so that the residual reduction the cubic filter does
// stays between 1.5× and 3×: each source sample is then touched once by
// the cheap box and the cubic runs on far fewer samples.
func resample(groups []group, targets []target) []plane {
	var out []plane
	for gi, g := range groups {
		t := targets[gi]
		kx, ky := boxFactor(g.inW/t.outW), boxFactor(g.inH/t.outH)
		if kx > 1 || ky > 1 {
			g = boxGroup(g, kx, ky)
		}
		fx := makeWeights(g.inW, g.w, t.outW, t.w)
		fy := makeWeights(g.inH, g.h, t.outH, t.h)
		tmp := make([][]uint8, g.n)
		for c := range tmp {
			tmp[c] = make([]uint8, t.w*g.h)
		}
		for y := range g.h {
			for c, row := range g.rows(y) {
				hpass(row, tmp[c][y*t.w:y*t.w+t.w], &fx)
			}
		}
		for c := range tmp {
			p := plane{pix: make([]uint8, t.w*t.h), w: t.w, h: t.h}
			vpass(tmp[c], t.w, &fy, p.pix)
			tmp[c] = nil
			out = append(out, p)
		}
	}
	return out
}

// boxFactor picks the integer pre-reduction for a reduction by scale: none
// below 3×, else one leaving a residual of at least 1.5×.
func boxFactor(scale float64) int {
	if scale < 3 {
		return 1
	}
	return int(scale / 1.5)
}

// boxGroup wraps g so that each row is the average of kx×ky blocks of g.
// Blocks cut by the right or bottom edge average the samples they have.
func boxGroup(g group, kx, ky int) group {
	nw, nh := (g.w+kx-1)/kx, (g.h+ky-1)/ky
	sums := make([][]uint32, g.n)
	bufs := make([][]uint8, g.n)
	for c := range sums {
		sums[c] = make([]uint32, nw)
		bufs[c] = make([]uint8, nw)
	}
	full := g.w / kx // blocks not cut by the right edge
	return group{
		n: g.n, w: nw, h: nh,
		inW: g.inW / float64(kx), inH: g.inH / float64(ky),
		rows: func(y int) [][]uint8 {
			for _, s := range sums {
				clear(s)
			}
			y0, y1 := y*ky, min((y+1)*ky, g.h)
			for sy := y0; sy < y1; sy++ {
				for c, row := range g.rows(sy) {
					s := sums[c]
					row = row[:g.w]
					switch kx {
					case 1:
						for x, v := range row {
							s[x] += uint32(v)
						}
						continue
					case 2:
						pairs := row[:2*full]
						for x := range s[:full] {
							s[x] += uint32(pairs[2*x]) + uint32(pairs[2*x+1])
						}
						if full < nw {
							s[full] += uint32(row[2*full])
						}
						continue
					}
					for x := range full {
						var acc uint32
						for _, v := range row[x*kx : x*kx+kx] {
							acc += uint32(v)
						}
						s[x] += acc
					}
					for x := full; x < nw; x++ {
						for _, v := range row[x*kx:] {
							s[x] += uint32(v)
						}
					}
				}
			}
			n := uint64(y1-y0) * uint64(kx)
			inv := (uint64(1)<<32 + n/2) / n // 2^32/n, rounded
			for c, s := range sums {
				b := bufs[c]
				for x := range full {
					b[x] = uint8((uint64(s[x])*inv + 1<<31) >> 32)
				}
				for x := full; x < nw; x++ {
					cnt := uint32(y1-y0) * uint32(g.w-x*kx)
					b[x] = uint8((s[x] + cnt/2) / cnt)
				}
			}
			return bufs
		},
	}
}

// outKind says how output planes are reassembled.
type outKind int

const (
	outGray  outKind = iota // one plane: Y
	outYCbCr                // three planes: Y, then Cb and Cr at half size (4:2:0)
	outRGB                  // three planes: R, G, B, alpha already flattened onto white
)

// groupsOf splits img into channel groups and their targets for a dw×dh
// output, with fast paths for the types the decoders actually return.
// For YCbCr the chroma is produced at half the output resolution (4:2:0),
// which is what the JPEG encoder keeps anyway.
func groupsOf(img image.Image, dw, dh int) ([]group, []target, outKind) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	fw, fh := float64(w), float64(h)
	full := target{w: dw, h: dh, outW: float64(dw), outH: float64(dh)}
	switch m := img.(type) {
	case *image.Gray:
		rows := make([][]uint8, 1)
		return []group{{n: 1, w: w, h: h, inW: fw, inH: fh, rows: func(y int) [][]uint8 {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			rows[0] = m.Pix[i : i+w]
			return rows
		}}}, []target{full}, outGray
	case *image.YCbCr:
		sx, sy, ok := subsampling(m.SubsampleRatio)
		if ok && b.Min == (image.Point{}) {
			cw, ch := (w+sx-1)/sx, (h+sy-1)/sy
			yrows, crows := make([][]uint8, 1), make([][]uint8, 2)
			return []group{
					{n: 1, w: w, h: h, inW: fw, inH: fh, rows: func(y int) [][]uint8 {
						yrows[0] = m.Y[y*m.YStride : y*m.YStride+w]
						return yrows
					}},
					{n: 2, w: cw, h: ch, inW: fw / float64(sx), inH: fh / float64(sy), rows: func(y int) [][]uint8 {
						crows[0] = m.Cb[y*m.CStride : y*m.CStride+cw]
						crows[1] = m.Cr[y*m.CStride : y*m.CStride+cw]
						return crows
					}},
				}, []target{full, {w: (dw + 1) / 2, h: (dh + 1) / 2, outW: float64(dw) / 2, outH: float64(dh) / 2}},
				outYCbCr
		}
	}
	conv := rowConverterFor(img)
	bufs := [][]uint8{make([]uint8, w), make([]uint8, w), make([]uint8, w)}
	return []group{{n: 3, w: w, h: h, inW: fw, inH: fh, rows: func(y int) [][]uint8 {
		conv(y, bufs[0], bufs[1], bufs[2])
		return bufs
	}}}, []target{full}, outRGB
}

func subsampling(r image.YCbCrSubsampleRatio) (sx, sy int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// onWhite composites a non-premultiplied 8-bit colour value over white.
func onWhite(c, a uint32) uint8 {
	return uint8((c*a + 255*(255-a) + 127) / 255)
}

// premulOnWhite composites a premultiplied 8-bit value over white.
func premulOnWhite(c, a uint32) uint8 {
	return uint8(min(c+255-a, 255))
}

func rowConverterFor(img image.Image) func(y int, r, g, b []uint8) {
	bd := img.Bounds()
	switch m := img.(type) {
	case *image.RGBA:
		return func(y int, r, g, b []uint8) {
			i := m.PixOffset(bd.Min.X, bd.Min.Y+y)
			px := m.Pix[i : i+4*len(r)]
			for x := range r {
				p := px[4*x : 4*x+4]
				a := uint32(p[3])
				r[x], g[x], b[x] = premulOnWhite(uint32(p[0]), a), premulOnWhite(uint32(p[1]), a), premulOnWhite(uint32(p[2]), a)
			}
		}
	case *image.NRGBA:
		return func(y int, r, g, b []uint8) {
			i := m.PixOffset(bd.Min.X, bd.Min.Y+y)
			px := m.Pix[i : i+4*len(r)]
			for x := range r {
				p := px[4*x : 4*x+4]
				if a := uint32(p[3]); a == 255 {
					r[x], g[x], b[x] = p[0], p[1], p[2]
				} else {
					r[x], g[x], b[x] = onWhite(uint32(p[0]), a), onWhite(uint32(p[1]), a), onWhite(uint32(p[2]), a)
				}
			}
		}
	case *image.NRGBA64:
		return func(y int, r, g, b []uint8) {
			i := m.PixOffset(bd.Min.X, bd.Min.Y+y)
			px := m.Pix[i : i+8*len(r)]
			for x := range r {
				p := px[8*x : 8*x+8]
				a := uint32(p[6])
				r[x], g[x], b[x] = onWhite(uint32(p[0]), a), onWhite(uint32(p[2]), a), onWhite(uint32(p[4]), a)
			}
		}
	case *image.RGBA64:
		return func(y int, r, g, b []uint8) {
			i := m.PixOffset(bd.Min.X, bd.Min.Y+y)
			px := m.Pix[i : i+8*len(r)]
			for x := range r {
				p := px[8*x : 8*x+8]
				a := uint32(p[6])
				r[x], g[x], b[x] = premulOnWhite(uint32(p[0]), a), premulOnWhite(uint32(p[2]), a), premulOnWhite(uint32(p[4]), a)
			}
		}
	case *image.Paletted:
		var lut [256][3]uint8 // indexes past the palette stay black
		for i, c := range m.Palette {
			if i == len(lut) {
				break
			}
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			a := uint32(n.A)
			lut[i] = [3]uint8{onWhite(uint32(n.R), a), onWhite(uint32(n.G), a), onWhite(uint32(n.B), a)}
		}
		return func(y int, r, g, b []uint8) {
			i := m.PixOffset(bd.Min.X, bd.Min.Y+y)
			px := m.Pix[i : i+len(r)]
			for x, idx := range px {
				c := &lut[idx]
				r[x], g[x], b[x] = c[0], c[1], c[2]
			}
		}
	}
	// Anything else (CMYK, Gray16, NYCbCrA, ...): per-pixel conversion.
	return func(y int, r, g, b []uint8) {
		for x := range r {
			n := color.NRGBAModel.Convert(img.At(bd.Min.X+x, bd.Min.Y+y)).(color.NRGBA)
			a := uint32(n.A)
			r[x], g[x], b[x] = onWhite(uint32(n.R), a), onWhite(uint32(n.G), a), onWhite(uint32(n.B), a)
		}
	}
}
