package jpegdec

import "image"

// output builds the image in the type image/jpeg returns for this layout.
func (d *decoder) output() (image.Image, error) {
	s := d.scale
	w, h := (d.width+s-1)/s, (d.height+s-1)/s
	r := image.Rect(0, 0, w, h)
	c0 := &d.comp[0]
	switch d.ncomp {
	case 1:
		return &image.Gray{Pix: c0.plane, Stride: c0.stride, Rect: r}, nil
	case 3:
		if d.isRGB() {
			return d.toRGBA(r)
		}
		var ratio image.YCbCrSubsampleRatio
		switch (c0.h/d.comp[1].h)<<4 | c0.v/d.comp[1].v {
		case 0x11:
			ratio = image.YCbCrSubsampleRatio444
		case 0x12:
			ratio = image.YCbCrSubsampleRatio440
		case 0x21:
			ratio = image.YCbCrSubsampleRatio422
		case 0x22:
			ratio = image.YCbCrSubsampleRatio420
		case 0x41:
			ratio = image.YCbCrSubsampleRatio411
		case 0x42:
			ratio = image.YCbCrSubsampleRatio410
		default:
			return nil, unsupported("sampling factors")
		}
		return &image.YCbCr{
			Y: c0.plane, Cb: d.comp[1].plane, Cr: d.comp[2].plane,
			YStride: c0.stride, CStride: d.comp[1].stride,
			SubsampleRatio: ratio, Rect: r,
		}, nil
	case 4:
		return d.toCMYK(r)
	}
	return nil, unsupported("number of components")
}

func (d *decoder) isRGB() bool {
	if d.jfif {
		return false
	}
	if d.adobe && d.adobeTransform == 0 {
		return true
	}
	return d.comp[0].id == 'R' && d.comp[1].id == 'G' && d.comp[2].id == 'B'
}

func (d *decoder) toRGBA(r image.Rectangle) (image.Image, error) {
	for i := 1; i < 3; i++ {
		if d.comp[i].h != d.comp[0].h || d.comp[i].v != d.comp[0].v {
			return nil, unsupported("subsampled RGB JPEG")
		}
	}
	img := image.NewRGBA(r)
	w, h := r.Dx(), r.Dy()
	p0, p1, p2 := d.comp[0].plane, d.comp[1].plane, d.comp[2].plane
	st := d.comp[0].stride
	for y := 0; y < h; y++ {
		dst := img.Pix[y*img.Stride : y*img.Stride+4*w]
		a, b, c := p0[y*st:y*st+w], p1[y*st:y*st+w], p2[y*st:y*st+w]
		for x := range a {
			px := dst[4*x : 4*x+4 : 4*x+4]
			px[0], px[1], px[2], px[3] = a[x], b[x], c[x], 255
		}
	}
	return img, nil
}

// toCMYK follows image/jpeg: with an Adobe transform of 0 the four
// channels are stored inverted; otherwise the first three are YCbCr,
// converted to RGB that then stands for C, M and Y, and K is inverted.
func (d *decoder) toCMYK(r image.Rectangle) (image.Image, error) {
	if !d.adobe {
		return nil, unsupported("4-component JPEG without Adobe APP14")
	}
	img := image.NewCMYK(r)
	w, h := r.Dx(), r.Dy()
	// Chroma (components 1 and 2) is either full size or halved both ways;
	// halved, it is decoded at twice the output scale when that is below
	// 1 (see component.bs), so only Scale 1 repeats samples.
	sub := d.comp[1].h != d.comp[0].h && d.scale == 1
	ys, cs := d.comp[0].stride, d.comp[1].stride
	py, pcb, pcr, pk := d.comp[0].plane, d.comp[1].plane, d.comp[2].plane, d.comp[3].plane
	for y := 0; y < h; y++ {
		cy := y
		if sub {
			cy = y / 2
		}
		dst := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < w; x++ {
			cx := x
			if sub {
				cx = x / 2
			}
			yy, cb, cr, k := py[y*ys+x], pcb[cy*cs+cx], pcr[cy*cs+cx], pk[y*ys+x]
			px := dst[4*x : 4*x+4 : 4*x+4]
			if d.adobeTransform == 0 {
				px[0], px[1], px[2], px[3] = 255-yy, 255-cb, 255-cr, 255-k
				continue
			}
			rr, gg, bb := ycbcrToRGB(yy, cb, cr)
			px[0], px[1], px[2], px[3] = rr, gg, bb, 255-k
		}
	}
	return img, nil
}

// ycbcrToRGB is the JFIF conversion with 16 fractional bits, rounding as
// image/color does.
func ycbcrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := int32(y) * 0x10101
	b1, r1 := int32(cb)-128, int32(cr)-128
	return clampRGB(yy + 91881*r1), clampRGB(yy - 22554*b1 - 46802*r1), clampRGB(yy + 116130*b1)
}

func clampRGB(v int32) uint8 {
	v >>= 16
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}
