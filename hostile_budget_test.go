package picfre_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/provider/fake"
)

// motionPhoto appends what a phone writes after the JPEG of a motion
// photo: an MP4 whose video data is full of bytes that look like JPEG
// markers (FF DA, FF D9).
func motionPhoto(jpg []byte) []byte {
	box := func(typ string, body []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
		return append(append(b, typ...), body...)
	}
	var mdat []byte
	for i := range 3000 {
		mdat = append(mdat, 0xFF, 0xDA, 0x00, 0x02, byte(i), 0xFF, 0xD9)
	}
	out := append(bytes.Clone(jpg), box("ftyp", []byte("mp42\x00\x00\x00\x00isommp42"))...)
	return append(out, box("mdat", mdat)...)
}

// A motion photo is tagged as the image before its MP4 trailer.
func TestMotionPhotoIsTagged(t *testing.T) {
	jpg, err := os.ReadFile("testdata/samples/rocket.jpg")
	if err != nil {
		t.Fatal(err)
	}
	p := fake.New(fake.Options{})
	pl := picfre.New(p, picfre.Config{})
	res, err := pl.Tag(t.Context(), picfre.Bytes("PXL_0001.MP.jpg", motionPhoto(jpg)), picfre.Options{})
	if err != nil {
		t.Fatalf("motion photo: %v", err)
	}
	if res.Kind != "image" || res.Width != 640 || res.Height != 427 || res.Title == "" {
		t.Fatalf("result %+v", res)
	}
}
