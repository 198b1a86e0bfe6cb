package strip

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/picfre/picfre/errcode"
)

func TestStripFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			in := readFixture(t, fx.file)
			orig := bytes.Clone(in)
			out, rep, err := Bytes(in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(in, orig) {
				t.Fatal("Strip modified its input")
			}
			if rep.Format != fx.format {
				t.Errorf("Format = %q, want %q", rep.Format, fx.format)
			}
			if rep.BytesBefore != len(in) || rep.BytesAfter != len(out) || len(out) >= len(in) {
				t.Errorf("sizes: report %d -> %d, actual %d -> %d", rep.BytesBefore, rep.BytesAfter, len(in), len(out))
			}
			for _, want := range fx.removed {
				if !slices.Contains(rep.Removed, want) {
					t.Errorf("Removed = %q, missing %q", rep.Removed, want)
				}
			}
			if rep.KeptOrientation != fx.orientation {
				t.Errorf("KeptOrientation = %d, want %d", rep.KeptOrientation, fx.orientation)
			}

			// Same compressed image data, byte for byte.
			if !bytes.Equal(imageData(t, fx.format, in), imageData(t, fx.format, out)) {
				t.Error("compressed image data changed")
			}
			// Same pixels.
			mi, err := decode(in)
			if err != nil {
				t.Fatalf("decoding input: %v", err)
			}
			mo, err := decode(out)
			if err != nil {
				t.Fatalf("decoding output: %v", err)
			}
			if !samePixels(mi, mo) {
				t.Error("pixels differ")
			}
			// ICC profile kept, unchanged.
			iccIn, iccOut := iccOf(fx.format, in), iccOf(fx.format, out)
			if len(iccIn) == 0 || !slices.EqualFunc(iccIn, iccOut, bytes.Equal) {
				t.Errorf("ICC profile not kept: %d blocks in, %d out", len(iccIn), len(iccOut))
			}
			// Nothing identifying left anywhere in the file.
			for _, s := range identifyingStrings {
				if bytes.Contains(out, []byte(s)) {
					t.Errorf("output still contains %q", s)
				}
			}
			// The only EXIF left is the minimal orientation block.
			exifBlocks := exifPayloads(fx.format, out)
			switch {
			case fx.orientation == 0 && len(exifBlocks) != 0:
				t.Errorf("EXIF left although orientation is 1: %d blocks", len(exifBlocks))
			case fx.orientation != 0:
				if len(exifBlocks) != 1 || exifOrientation(exifBlocks[0]) != fx.orientation ||
					!bytes.Equal(bytes.TrimPrefix(exifBlocks[0], []byte(exifHeader)), minimalTIFF(fx.orientation)) {
					t.Errorf("want one minimal EXIF block with orientation %d, got %d blocks", fx.orientation, len(exifBlocks))
				}
			}

			// Stripping is idempotent: a second pass removes nothing.
			again, rep2, err := Bytes(out, Options{})
			if err != nil || !bytes.Equal(again, out) || len(rep2.Removed) != 0 {
				t.Errorf("second Strip changed the file (err %v, removed %q)", err, rep2.Removed)
			}
		})
	}
}

// exifPayloads returns every EXIF block of a file.
func exifPayloads(format Format, b []byte) [][]byte {
	var out [][]byte
	switch format {
	case JPEG:
		for _, c := range jpegSegments(b) {
			if c.typ == "\xE1" && bytes.HasPrefix(c.body, []byte(exifHeader)) {
				out = append(out, c.body)
			}
		}
	case PNG:
		for _, c := range pngChunks(b) {
			if c.typ == "eXIf" {
				out = append(out, c.body)
			}
		}
	case WebP:
		for _, c := range webpChunks(b) {
			if c.typ == "EXIF" {
				out = append(out, c.body)
			}
		}
	}
	return out
}

func TestStripOptions(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			in := readFixture(t, fx.file)
			out, rep, err := Bytes(in, Options{DropOrientation: true, DropICC: true})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(exifPayloads(fx.format, out)); n != 0 || rep.KeptOrientation != 0 {
				t.Errorf("DropOrientation: %d EXIF blocks left, KeptOrientation %d", n, rep.KeptOrientation)
			}
			if n := len(iccOf(fx.format, out)); n != 0 {
				t.Errorf("DropICC: %d ICC blocks left", n)
			}
			if fx.format == WebP {
				flags := webpChunks(out)[0].body[0]
				if flags&(vp8xICC|vp8xEXIF|vp8xXMP) != 0 {
					t.Errorf("VP8X flags %#x still announce metadata", flags)
				}
			}
			mi, _ := decode(in)
			mo, err := decode(out)
			if err != nil || !samePixels(mi, mo) {
				t.Errorf("output does not decode to the same pixels (%v)", err)
			}
		})
	}
}

func TestStripWebPFlags(t *testing.T) {
	out, _, err := Bytes(readFixture(t, "camera_chelsea.webp"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs := webpChunks(out)
	if cs[0].typ != "VP8X" {
		t.Fatalf("first chunk %q", cs[0].typ)
	}
	flags := cs[0].body[0]
	if flags&vp8xXMP != 0 || flags&vp8xEXIF == 0 || flags&vp8xICC == 0 {
		t.Errorf("flags %#x: want ICC and EXIF (orientation) set, XMP clear", flags)
	}
	if size := binary.LittleEndian.Uint32(out[4:]); int(size) != len(out)-8 {
		t.Errorf("RIFF size %d, file %d", size, len(out))
	}
}

// Hand-built files exercise paths the fixtures do not.
func TestStripSynthetic(t *testing.T) {
	jpegBase := readFixture(t, "camera_rocket.jpg")
	sos := jpegSOSOffset(jpegBase)
	body := jpegBase[sos:] // SOS .. EOI
	tables := []byte{}
	for _, c := range jpegSegments(jpegBase) {
		if c.typ[0] >= 0xC0 && c.typ[0] <= 0xDF {
			tables = append(tables, seg(c.typ[0], c.body)...)
		}
	}
	jfif := seg(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	jfxx := seg(0xE0, []byte("JFXX\x00\x10thumbnail"))
	mpf := seg(0xE2, []byte("MPF\x00II*\x00"))
	adobe := seg(0xEE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01"))
	com := seg(0xFE, []byte("a comment"))
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	tests := []struct {
		name    string
		in      []byte
		want    []byte
		removed []string
	}{
		{"jpeg keeps JFIF and Adobe, drops JFXX MPF COM and trailer",
			cat([]byte{0xFF, 0xD8}, jfif, jfxx, mpf, adobe, com, tables, body, []byte("TRAILER")),
			cat([]byte{0xFF, 0xD8}, jfif, adobe, tables, body),
			[]string{"APP0 JFXX", "APP2 MPF", "COM", "trailing data"}},
		{"jpeg fill bytes go with the dropped segment, garbage stays",
			cat([]byte{0xFF, 0xD8}, jfif, []byte{0x12, 0x34, 0xFF, 0xFF}, com, tables, body),
			cat([]byte{0xFF, 0xD8}, jfif, []byte{0x12, 0x34}, tables, body),
			[]string{"COM"}},
		{"jpeg without EOI is kept as it is",
			cat([]byte{0xFF, 0xD8}, com, tables, body[:len(body)-2]),
			cat([]byte{0xFF, 0xD8}, tables, body[:len(body)-2]),
			[]string{"COM"}},
		{"jpeg orientation 1 leaves no EXIF",
			cat([]byte{0xFF, 0xD8}, seg(0xE1, append([]byte(exifHeader), tiffWithOrientation(1, 40)...)), tables, body),
			cat([]byte{0xFF, 0xD8}, tables, body),
			[]string{"APP1 Exif"}},
		{"jpeg orientation 5 from little-endian EXIF is rewritten minimal",
			cat([]byte{0xFF, 0xD8}, seg(0xE1, append([]byte(exifHeader), tiffWithOrientation(5, 40)...)), tables, body),
			cat([]byte{0xFF, 0xD8}, seg(0xE1, append([]byte(exifHeader), minimalTIFF(5)...)), tables, body),
			[]string{"APP1 Exif"}},
		{"png drops trailing data and unknown ancillary chunks, keeps unknown critical ones",
			pngFile(pngChunk("IHDR", pngIHDR), pngChunk("prVt", []byte("private")), pngChunk("ABCD", []byte("crit")),
				pngChunk("gAMA", []byte{0, 0, 0xB1, 0x8F}), pngChunk("IDAT", pngIDAT()), pngChunk("IEND", nil), []byte("junk")),
			pngFile(pngChunk("IHDR", pngIHDR), pngChunk("ABCD", []byte("crit")),
				pngChunk("gAMA", []byte{0, 0, 0xB1, 0x8F}), pngChunk("IDAT", pngIDAT()), pngChunk("IEND", nil)),
			[]string{"prVt", "trailing data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rep, err := Bytes(tt.in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("output differs from the expected bytes (%d vs %d bytes)", len(got), len(tt.want))
			}
			if !slices.Equal(rep.Removed, tt.removed) {
				t.Errorf("Removed = %q, want %q", rep.Removed, tt.removed)
			}
		})
	}
}

func TestStripErrors(t *testing.T) {
	jpg := readFixture(t, "camera_rocket.jpg")
	png := readFixture(t, "camera_chelsea.png")
	webp := readFixture(t, "camera_chelsea.webp")
	badCRC := bytes.Clone(png)
	badCRC[8+8+13] ^= 0xFF // IHDR CRC
	shortLen := bytes.Clone(jpg)
	shortLen[4], shortLen[5] = 0, 1 // APP0 length 1
	tests := []struct {
		name   string
		in     []byte
		want   error
		format Format
	}{
		{"empty", nil, ErrUnsupportedFormat, ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), ErrUnsupportedFormat, ""},
		{"text", []byte("hello, world"), ErrUnsupportedFormat, ""},
		{"jpeg segment cut", jpg[:30], ErrMalformed, JPEG},
		{"jpeg short length", shortLen, ErrMalformed, JPEG},
		{"png cut", png[:100], ErrMalformed, PNG},
		{"png without IEND", png[:len(png)-12], ErrMalformed, PNG},
		{"png bad CRC", badCRC, ErrMalformed, PNG},
		{"webp cut before image", webp[:40], ErrMalformed, WebP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := Bytes(tt.in, Options{})
			if !errors.Is(err, tt.want) || out != nil {
				t.Fatalf("err = %v, out %d bytes; want %v", err, len(out), tt.want)
			}
			if tt.format != "" {
				var fe *FormatError
				if !errors.As(err, &fe) || fe.Format != tt.format {
					t.Fatalf("want *FormatError for %s, got %#v", tt.format, err)
				}
			}
		})
	}
}

func TestRead(t *testing.T) {
	in := readFixture(t, "camera_rocket.jpg")
	want, _, err := Bytes(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, rep, err := Read(t.Context(), bytes.NewReader(in), Options{})
	if err != nil || !bytes.Equal(out, want) || rep.BytesAfter != len(want) {
		t.Fatalf("Read: err %v, %d bytes, want %d", err, len(out), len(want))
	}

	out, _, err = Read(t.Context(), bytes.NewReader(in), Options{MaxBytes: int64(len(in) - 1)})
	if !errors.Is(err, ErrTooLarge) || out != nil {
		t.Errorf("over MaxBytes: err %v, returned %d bytes", err, len(out))
	}
	_, _, err = Read(t.Context(), bytes.NewReader(in), Options{MaxBytes: int64(len(in))})
	if err != nil {
		t.Errorf("exactly MaxBytes: %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out, _, err = Read(ctx, bytes.NewReader(in), Options{})
	if !errors.Is(err, context.Canceled) || out != nil {
		t.Errorf("cancelled: err %v, returned %d bytes", err, len(out))
	}
	if c := errcode.Of(err); c != errcode.Canceled {
		t.Errorf("cancelled: code %s", c)
	}

	_, _, err = Read(t.Context(), iotest.ErrReader(errors.New("disk gone")), Options{})
	if c := errcode.Of(err); c != errcode.Unavailable || err.Error() != "strip: read image: disk gone" {
		t.Errorf("failing reader: %v (code %s)", err, c)
	}
}

func TestFormatErrorHasNoContent(t *testing.T) {
	in := append([]byte{0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x40}, "SECRET-COMMENT"...)
	_, _, err := Bytes(in, Options{})
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("err = %v", err)
	}
}

// seg builds a JPEG marker segment.
func seg(marker byte, payload []byte) []byte {
	b := []byte{0xFF, marker}
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)+2))
	return append(b, payload...)
}

// tiffWithOrientation builds a little-endian TIFF with an Orientation
// entry after an unrelated one, padded to size bytes.
func tiffWithOrientation(v uint16, size int) []byte {
	le := binary.LittleEndian
	b := []byte{'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0}
	b = le.AppendUint16(b, 0x010F) // Make, ASCII, count 4, "ABC\0"
	b = le.AppendUint16(b, 2)
	b = le.AppendUint32(b, 4)
	b = append(b, 'A', 'B', 'C', 0)
	b = le.AppendUint16(b, tagOrientation)
	b = le.AppendUint16(b, 3)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint16(b, v)
	b = append(b, 0, 0, 0, 0, 0, 0)
	for len(b) < size {
		b = append(b, 0)
	}
	return b
}

var pngIHDR = []byte{0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0} // 1×1 grey

// pngIDAT is the zlib stream of one scanline: filter 0, value 0x80.
func pngIDAT() []byte {
	return []byte{0x78, 0x9C, 0x62, 0x68, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x82, 0x00, 0x81}
}

func pngChunk(typ string, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	b = append(b, typ...)
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

func pngFile(chunks ...[]byte) []byte {
	return append([]byte(pngSignature), bytes.Join(chunks, nil)...)
}
