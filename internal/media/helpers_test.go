package media

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

func sample(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "samples", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// quadrants is a w×h image whose four quadrants are red (top left), green
// (top right), blue (bottom left) and white (bottom right).
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var c color.RGBA
			switch {
			case x < w/2 && y < h/2:
				c = color.RGBA{255, 0, 0, 255}
			case y < h/2:
				c = color.RGBA{0, 255, 0, 255}
			case x < w/2:
				c = color.RGBA{0, 0, 255, 255}
			default:
				c = color.RGBA{255, 255, 255, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func encodeJPEG(tb testing.TB, m image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// withSegment inserts a marker segment right after SOI.
func withSegment(j []byte, marker byte, payload []byte) []byte {
	seg := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, j[2:]...)
}

// exifTIFF builds a TIFF structure whose IFD0 holds Orientation=o (plus a
// Make tag first, so the parser must walk entries).
func exifTIFF(o int, order binary.ByteOrder) []byte {
	b := make([]byte, 8+2+2*12+4)
	if order == binary.LittleEndian {
		copy(b, "II*\x00")
	} else {
		copy(b, "MM\x00*")
	}
	order.PutUint32(b[4:], 8)
	order.PutUint16(b[8:], 2)
	e := b[10:]
	order.PutUint16(e[0:], 0x010F) // Make, ASCII, 4 bytes inline
	order.PutUint16(e[2:], 2)
	order.PutUint32(e[4:], 4)
	copy(e[8:], "abc\x00")
	e = b[22:]
	order.PutUint16(e[0:], 0x0112)
	order.PutUint16(e[2:], 3)
	order.PutUint32(e[4:], 1)
	order.PutUint16(e[8:], uint16(o))
	return b
}

func exifAPP1(o int, order binary.ByteOrder) []byte {
	return append([]byte("Exif\x00\x00"), exifTIFF(o, order)...)
}

func pngChunk(typ string, data []byte) []byte {
	out := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(out, uint32(len(data)))
	copy(out[4:], typ)
	out = append(out, data...)
	crc := crc32.ChecksumIEEE(out[4:])
	return binary.BigEndian.AppendUint32(out, crc)
}

// hugePNG is a PNG signature and IHDR declaring w×h RGBA pixels, then a
// tiny IDAT and IEND: what an attacker sends to make a decoder allocate.
func hugePNG(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	out := append([]byte{}, pngSignature...)
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, pngChunk("IEND", nil)...)
}

// segments lists the markers of a JPEG up to and including SOS, then EOI
// if the file ends with it.
func segments(tb testing.TB, j []byte) []byte {
	tb.Helper()
	if len(j) < 4 || j[0] != 0xFF || j[1] != 0xD8 {
		tb.Fatal("not a JPEG")
	}
	ms := []byte{0xD8}
	pos := 2
	for pos+4 <= len(j) {
		if j[pos] != 0xFF {
			tb.Fatalf("expected marker at %d", pos)
		}
		m := j[pos+1]
		ms = append(ms, m)
		n := int(binary.BigEndian.Uint16(j[pos+2:]))
		if m == 0xDA {
			break
		}
		pos += 2 + n
	}
	if bytes.HasSuffix(j, []byte{0xFF, 0xD9}) {
		ms = append(ms, 0xD9)
	}
	return ms
}

// rgbAt reads a pixel as 8-bit RGB.
func rgbAt(m image.Image, x, y int) [3]int {
	r, g, b, _ := m.At(x, y).RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
}

func near(a, b [3]int, tol int) bool {
	for i := range a {
		if d := a[i] - b[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}

func jpegDecode(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }

func jpegDecodeConfig(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
