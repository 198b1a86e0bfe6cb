package media

import (
	"image"
	"image/draw"
)

// orientPixels returns a copy of the w×h raster src (bpp bytes per pixel,
// rows of stride bytes) transformed for display according to EXIF
// orientation o (1..8), and the new size. For o == 1 src is returned as is.
//
// The EXIF rule is: the stored image's first row and first column lie along
// the displayed sides listed below, so the displayed pixel (x, y) comes
// from the stored pixel (sx, sy):
//
//	o  row 0 / col 0    sx        sy
//	1  top / left       x         y
//	2  top / right      w-1-x     y
//	3  bottom / right   w-1-x     h-1-y
//	4  bottom / left    x         h-1-y
//	5  left / top       y         x
//	6  right / top      y         h-1-x
//	7  right / bottom   w-1-y     h-1-x
//	8  left / bottom    w-1-y     x
func orientPixels(src []uint8, w, h, stride, bpp, o int) ([]uint8, int, int) {
	if o <= 1 || o > 8 {
		return src, w, h
	}
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := make([]uint8, dw*dh*bpp)
	for y := range dh {
		drow := dst[y*dw*bpp : (y+1)*dw*bpp]
		for x := range dw {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			si := sy*stride + sx*bpp
			copy(drow[x*bpp:x*bpp+bpp], src[si:si+bpp])
		}
	}
	return dst, dw, dh
}

func orientPlane(p plane, o int) plane {
	pix, w, h := orientPixels(p.pix, p.w, p.h, p.w, 1, o)
	return plane{pix: pix, w: w, h: h}
}

// orientImage returns img transformed for display according to EXIF
// orientation o. Gray images stay *image.Gray; everything else becomes
// *image.RGBA (alpha preserved, premultiplied). For o == 1 img is returned
// unchanged.
func orientImage(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	if g, ok := img.(*image.Gray); ok {
		i := g.PixOffset(b.Min.X, b.Min.Y)
		pix, w, h := orientPixels(g.Pix[i:], b.Dx(), b.Dy(), g.Stride, 1, o)
		return &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
	}
	rgba, ok := img.(*image.RGBA)
	if !ok {
		rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	}
	i := rgba.PixOffset(rgba.Rect.Min.X, rgba.Rect.Min.Y)
	pix, w, h := orientPixels(rgba.Pix[i:], rgba.Rect.Dx(), rgba.Rect.Dy(), rgba.Stride, 4, o)
	return &image.RGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
}
