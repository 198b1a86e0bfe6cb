package video

import (
	"bufio"
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

func FuzzParseProbe(f *testing.F) {
	f.Add([]byte(`{"streams":[{"codec_type":"video","codec_name":"h264","width":1920,"height":1080,"avg_frame_rate":"25/1","r_frame_rate":"25/1","duration":"20.0"},{"codec_type":"audio","codec_name":"aac","sample_rate":"44100","channels":2}],"format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"20.000000"}}`))
	f.Add([]byte(`{"streams":[{"codec_type":"video","width":1280,"height":720,"avg_frame_rate":"0/0","r_frame_rate":"30000/1001","side_data_list":[{"rotation":-90}]}],"format":{"format_name":"matroska,webm","duration":"1e400"}}`))
	f.Add([]byte(`{"streams":[{"codec_type":"audio","codec_name":"mp3"},{"codec_type":"video","disposition":{"attached_pic":1},"width":500,"height":500}],"format":{"format_name":"mp3","duration":"180.5"}}`))
	f.Add([]byte(`{"streams":[],"format":{"format_name":"hls","duration":"NaN"}}`))
	f.Add([]byte(`{"streams":[{"codec_type":"video","width":-1,"height":99999999}],"format":{"format_name":"avi"}}`))
	f.Add([]byte(`not json`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseProbe(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (!errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported)) {
				t.Fatalf("untyped error %T %v", err, err)
			}
			return
		}
		if info.Duration <= 0 || info.Duration > MaxDuration {
			t.Fatalf("duration %v accepted", info.Duration)
		}
		if info.HasVideo && (info.Width <= 0 || info.Height <= 0 || info.Width > MaxSide || info.Height > MaxSide) {
			t.Fatalf("size %d×%d accepted", info.Width, info.Height)
		}
		if info.FPS < 0 || info.FPS > 10_000 || info.Rotation%90 != 0 || info.Rotation < 0 || info.Rotation >= 360 {
			t.Fatalf("bad info %+v", info)
		}
		if !info.HasVideo && !info.HasAudio {
			t.Fatal("accepted a file with no stream")
		}
	})
}

func smallJPEG(tb testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(3, 3, color.RGBA{255, 255, 255, 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func TestReadJPEGStream(t *testing.T) {
	one := smallJPEG(t)
	stream := append(append(append([]byte{}, one...), one...), one...)
	r := bufio.NewReader(bytes.NewReader(stream))
	for i := range 3 {
		got, err := readJPEG(r, 1<<20)
		if err != nil || !bytes.Equal(got, one) {
			t.Fatalf("image %d: %v, %d bytes, want %d", i, err, len(got), len(one))
		}
	}
	if _, err := readJPEG(r, 1<<20); err == nil || err.Error() != "EOF" {
		t.Fatalf("at the end: %v, want EOF", err)
	}
	if _, err := readJPEG(bufio.NewReader(bytes.NewReader(one[:len(one)-5])), 1<<20); !errors.Is(err, errJPEGStream) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := readJPEG(bufio.NewReader(bytes.NewReader(one)), 100); err == nil {
		t.Fatal("limit not enforced")
	}
	if _, err := readJPEG(bufio.NewReader(bytes.NewReader([]byte("hello"))), 100); !errors.Is(err, errJPEGStream) {
		t.Fatalf("text: %v", err)
	}
}

func FuzzReadJPEG(f *testing.F) {
	one := smallJPEG(f)
	f.Add(one)
	f.Add(append(append([]byte{}, one...), one...))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0x00, 0xFF, 0xD0, 0xFF, 0xD9})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		total := 0
		for range 100 {
			img, err := readJPEG(r, 4096)
			if err != nil {
				break
			}
			if len(img) > 4096 || len(img) < 4 || img[0] != 0xFF || img[1] != 0xD8 || img[len(img)-2] != 0xFF || img[len(img)-1] != 0xD9 {
				t.Fatalf("bad image of %d bytes", len(img))
			}
			total += len(img)
		}
		if total > len(data) {
			t.Fatalf("read %d bytes out of %d", total, len(data))
		}
	})
}
