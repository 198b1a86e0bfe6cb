package picfre_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/provider"
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

// blockWide is a provider that answers narrow images at once and blocks
// on wide ones until its context ends.
func blockWide() *fake.Provider {
	return fake.New(fake.Options{Respond: func(req *provider.Request) fake.Step {
		if req.Parts[0].Width >= 100 {
			return fake.Step{Delay: 24 * time.Hour} // honours the context, nothing else
		}
		return fake.Step{}
	}})
}

// A file that is not done within Options.FileTimeout fails with
// deadline_exceeded (504), its hold is voided, and the batch goes on.
func TestFileTimeout(t *testing.T) {
	rec := newRecorder()
	pl := picfre.New(blockWide(), picfre.Config{Meter: rec, Pricer: flat(1)})
	// The outer deadline only guards against a hang; it is far longer
	// than the file's limit.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	batch := []picfre.Media{
		picfre.Bytes("narrow-1.png", pngOfWidth(t, 60, 1)),
		picfre.Bytes("wide.png", pngOfWidth(t, 200, 2)),
		picfre.Bytes("narrow-2.png", pngOfWidth(t, 60, 3)),
	}
	var got []*picfre.Result
	err := pl.TagAll(ctx, slices.Values(batch), picfre.Options{Account: "a", FileTimeout: 2 * time.Second, Concurrency: 2},
		func(r *picfre.Result) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatalf("TagAll: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("%d results", len(got))
	}
	for _, r := range got {
		if r.File == "wide.png" {
			if errcode.Of(r.Err) != errcode.DeadlineExceeded || !errors.Is(r.Err, context.DeadlineExceeded) ||
				errcode.Of(r.Err).HTTPStatus() != http.StatusGatewayTimeout {
				t.Errorf("the blocked file: %v (code %q), want deadline_exceeded", r.Err, errcode.Of(r.Err))
			}
			continue
		}
		if r.Err != nil {
			t.Errorf("%s: %v", r.File, r.Err)
		}
	}
	c, v := rec.settledOnce(t)
	if c != 2 || v != 1 {
		t.Fatalf("captures %d voids %d, want the two narrow files captured and the blocked one voided", c, v)
	}
	if reasons := rec.reasons(); !slices.Equal(reasons, []errcode.Code{errcode.DeadlineExceeded}) {
		t.Fatalf("void reasons %v", reasons)
	}
}

// The caller's own deadline is still canceled, not the file's limit; a
// negative FileTimeout sets no limit of the pipeline's own.
func TestCallerDeadlineIsNotFileTimeout(t *testing.T) {
	pl := picfre.New(blockWide(), picfre.Config{})
	for _, ft := range []time.Duration{-1, time.Hour} {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		_, err := pl.Tag(ctx, picfre.Bytes("wide.png", pngOfWidth(t, 200, 4)), picfre.Options{FileTimeout: ft})
		cancel()
		if errcode.Of(err) != errcode.Canceled {
			t.Errorf("FileTimeout %v, caller's deadline: %v (code %q), want canceled", ft, err, errcode.Of(err))
		}
	}
}

// The pipeline's decode budget (Config.DecodeMemory) refuses an image
// whose decode alone needs more, as too_large, before decoding it.
func TestDecodeMemoryRefusesOversize(t *testing.T) {
	p := fake.New(fake.Options{})
	pl := picfre.New(p, picfre.Config{DecodeMemory: 512 << 10})
	// coffee.png is 600×400 RGB: 960,000 bytes decoded.
	_, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	if errcode.Of(err) != errcode.TooLarge {
		t.Fatalf("err = %v (code %q), want too_large", err, errcode.Of(err))
	}
	if p.Calls() != 0 {
		t.Fatal("the provider was called")
	}
	if _, err := picfre.New(p, picfre.Config{}).Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{}); err != nil {
		t.Fatalf("default budget: %v", err)
	}
}
