package mediatest

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// EXIF are the personal fields EXIFSegment writes.
type EXIF struct {
	Artist string // IFD0 Artist
	Serial string // Exif IFD BodySerialNumber
	// Latitude in whole degrees north, written as GPSLatitudeRef "N" and
	// GPSLatitude.
	Latitude uint32
}

// EXIFSegment returns a JPEG APP1 segment (marker included) holding a
// big-endian EXIF block with e's fields: IFD0 with Artist and pointers to
// an Exif IFD (BodySerialNumber) and a GPS IFD (GPSLatitudeRef,
// GPSLatitude), as a camera writes them.
func EXIFSegment(e EXIF) []byte {
	be := binary.BigEndian
	type entry struct {
		tag, typ uint16
		count    uint32
		value    []byte // inline when at most 4 bytes
	}
	ascii := func(s string) []byte { return append([]byte(s), 0) }
	u32 := func(v uint32) []byte { return be.AppendUint32(nil, v) }
	var tiff []byte
	// Layout: header, IFD0, Exif IFD, GPS IFD, then the values.
	ifdSize := func(n int) int { return 2 + 12*n + 4 }
	ifd0At := 8
	exifAt := ifd0At + ifdSize(3)
	gpsAt := exifAt + ifdSize(1)
	dataAt := gpsAt + ifdSize(2)
	lat := append(append(be.AppendUint32(be.AppendUint32(nil, e.Latitude), 1), be.AppendUint32(be.AppendUint32(nil, 30), 1)...), be.AppendUint32(be.AppendUint32(nil, 0), 1)...)
	ifds := [][]entry{
		{{0x013B, 2, uint32(len(e.Artist) + 1), ascii(e.Artist)}, {0x8769, 4, 1, u32(uint32(exifAt))}, {0x8825, 4, 1, u32(uint32(gpsAt))}},
		{{0xA431, 2, uint32(len(e.Serial) + 1), ascii(e.Serial)}},
		{{0x0001, 2, 2, []byte("N\x00")}, {0x0002, 5, 3, lat}},
	}
	tiff = append(tiff, "MM\x00\x2A"...)
	tiff = be.AppendUint32(tiff, uint32(ifd0At))
	var data []byte
	for _, ifd := range ifds {
		tiff = be.AppendUint16(tiff, uint16(len(ifd)))
		for _, en := range ifd {
			tiff = be.AppendUint16(tiff, en.tag)
			tiff = be.AppendUint16(tiff, en.typ)
			tiff = be.AppendUint32(tiff, en.count)
			if len(en.value) <= 4 {
				v := make([]byte, 4)
				copy(v, en.value)
				tiff = append(tiff, v...)
				continue
			}
			tiff = be.AppendUint32(tiff, uint32(dataAt+len(data)))
			data = append(data, en.value...)
			if len(data)%2 == 1 {
				data = append(data, 0)
			}
		}
		tiff = be.AppendUint32(tiff, 0) // no next IFD
	}
	tiff = append(tiff, data...)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = be.AppendUint16(seg, uint16(len(payload)+2))
	return append(seg, payload...)
}

// InjectSegment returns a copy of the JPEG jpg with seg inserted right
// after its start-of-image marker.
func InjectSegment(jpg, seg []byte) ([]byte, error) {
	if !bytes.HasPrefix(jpg, []byte{0xFF, 0xD8}) {
		return nil, errors.New("not a JPEG")
	}
	out := make([]byte, 0, len(jpg)+len(seg))
	out = append(out, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...), nil
}
