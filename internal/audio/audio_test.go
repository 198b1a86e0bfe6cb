package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/video"
)

// wavHeader builds a PCM WAV header with the given extra chunk before
// the data chunk.
func wavHeader(rate, channels, bits int, dataBytes uint32, extra []byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+len(extra))+dataBytes)
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	binary.Write(&b, binary.LittleEndian, uint16(1))
	binary.Write(&b, binary.LittleEndian, uint16(channels))
	binary.Write(&b, binary.LittleEndian, uint32(rate))
	binary.Write(&b, binary.LittleEndian, uint32(rate*channels*bits/8))
	binary.Write(&b, binary.LittleEndian, uint16(channels*bits/8))
	binary.Write(&b, binary.LittleEndian, uint16(bits))
	b.Write(extra)
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, dataBytes)
	return b.Bytes()
}

func TestParseWAV(t *testing.T) {
	list := append([]byte("LIST"), 3, 0, 0, 0, 'a', 'b', 'c', 0) // odd size, padded
	tests := []struct {
		name     string
		head     []byte
		size     int64
		want     time.Duration
		channels int
	}{
		{"stereo 44.1k 2s", wavHeader(44100, 2, 16, 44100*4*2, nil), 44 + 44100*4*2, 2 * time.Second, 2},
		{"mono 8k with LIST", wavHeader(8000, 1, 16, 16000*3, list), 0, 3 * time.Second, 1},
		{"truncated file", wavHeader(8000, 1, 16, 16000*10, nil), 44 + 16000, time.Second, 1},
		{"open-ended stream", wavHeader(8000, 1, 16, 0xFFFFFFFF, nil), 44 + 8000, 500 * time.Millisecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == 0 {
				size = int64(len(tt.head)) + 16000*3
			}
			w, err := ParseWAV(tt.head, size)
			if err != nil {
				t.Fatal(err)
			}
			if w.Duration != tt.want || w.Channels != tt.channels || w.Format != 1 || w.BitsPerSample != 16 {
				t.Fatalf("ParseWAV = %+v, want %v, %d channels", w, tt.want, tt.channels)
			}
		})
	}
	bad := map[string][]byte{
		"empty":          nil,
		"not riff":       []byte("RIFX\x00\x00\x00\x00WAVEfmt "),
		"no data":        wavHeader(8000, 1, 16, 0, nil)[:36],
		"zero channels":  wavHeader(8000, 0, 16, 100, nil),
		"silly rate":     wavHeader(10, 1, 16, 100, nil),
		"wrong byterate": func() []byte { h := wavHeader(8000, 1, 16, 100, nil); h[28] ^= 1; return h }(),
		"data first":     append([]byte("RIFF\x00\x00\x00\x00WAVEdata\x04\x00\x00\x00"), 0, 0, 0, 0),
		"short fmt":      []byte("RIFF\x00\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00"),
	}
	for name, head := range bad {
		if _, err := ParseWAV(head, int64(len(head))); !errors.Is(err, ErrInvalidWAV) {
			t.Errorf("%s: err = %v, want ErrInvalidWAV", name, err)
		}
	}
}

func TestParseWAVFromFFmpeg(t *testing.T) {
	path := generate(t, "tone.wav", "-f", "lavfi", "-i", "sine=f=440:d=1.5:sample_rate=22050", "-ac", "2")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWAV(data[:min(len(data), 4096)], int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if w.SampleRate != 22050 || w.Channels != 2 || w.Duration != 1500*time.Millisecond {
		t.Fatalf("ParseWAV = %+v", w)
	}
}

func TestProbeFormats(t *testing.T) {
	tools := needTools(t)
	src := []string{"-f", "lavfi", "-i", "sine=f=440:d=3:sample_rate=44100"}
	tests := []struct {
		file  string
		args  []string
		codec string
	}{
		{"a.wav", nil, "pcm_s16le"},
		{"a.mp3", nil, "mp3"},
		{"a.flac", nil, "flac"},
		{"a.ogg", []string{"-c:a", "libvorbis"}, "vorbis"},
		{"a.m4a", []string{"-c:a", "aac"}, "aac"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := generate(t, tt.file, append(slices.Clone(src), tt.args...)...)
			info, err := Probe(t.Context(), tools, path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Codec != tt.codec || info.SampleRate != 44100 || info.Channels != 1 {
				t.Fatalf("info = %+v", info)
			}
			if d := info.Duration - 3*time.Second; d < -100*time.Millisecond || d > 100*time.Millisecond {
				t.Fatalf("duration %v", info.Duration)
			}
		})
	}
	silent := generate(t, "silent.mp4", "-f", "lavfi", "-i", "testsrc2=s=64x48:d=1", "-pix_fmt", "yuv420p")
	if _, err := Probe(t.Context(), tools, silent); !errors.Is(err, video.ErrUnsupported) {
		t.Fatalf("Probe(video without audio) = %v, want ErrUnsupported", err)
	}
}

func TestTempo(t *testing.T) {
	tools := needTools(t)
	for _, bpm := range []struct {
		s    string
		want float64
		file string
	}{{"120", 120, "click120.wav"}, {"90", 90, "click90.mp3"}, {"150", 150, "click150.flac"}, {"72", 72, "click72.wav"}} {
		t.Run(bpm.s, func(t *testing.T) {
			path := generate(t, bpm.file, "-f", "lavfi", "-i", clickTrack(bpm.s))
			got, ok, err := Tempo(t.Context(), tools, path)
			if err != nil {
				t.Fatal(err)
			}
			if !ok || math.Abs(got-bpm.want) > 3 {
				t.Fatalf("Tempo = %v, %v; want %v ± 3", got, ok, bpm.want)
			}
		})
	}
	for _, tc := range []struct{ name, src string }{
		{"pure tone", "sine=f=440:d=10"},
		{"silence", "anullsrc=d=10"},
		{"noise", "anoisesrc=d=10:c=white:a=0.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := generate(t, "x.wav", "-f", "lavfi", "-i", tc.src)
			got, ok, err := Tempo(t.Context(), tools, path)
			if err != nil {
				t.Fatal(err)
			}
			if ok || got != 0 {
				t.Fatalf("Tempo(%s) = %v, %v; want no beat", tc.name, got, ok)
			}
		})
	}
}

func TestTempoCancelled(t *testing.T) {
	tools := needTools(t)
	path := generate(t, "long.wav", "-f", "lavfi", "-i", clickTrack("120"))
	ctx, cancel := contextCancelled(t)
	defer cancel()
	if _, _, err := Tempo(ctx, tools, path); !errors.Is(err, ctx.Err()) {
		t.Fatalf("err = %v", err)
	}
}

func TestTranscode(t *testing.T) {
	tools := needTools(t)
	path := generate(t, "big.wav", "-f", "lavfi", "-i", "sine=f=440:d=4:sample_rate=48000", "-ac", "2")
	orig, _ := os.Stat(path)
	for _, format := range []string{TranscodeMP3, TranscodeWAV} {
		var out bytes.Buffer
		if err := Transcode(t.Context(), tools, path, &out, format, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		if int64(out.Len()) >= orig.Size()/4 {
			t.Fatalf("%s: %d bytes from %d", format, out.Len(), orig.Size())
		}
		p := filepath.Join(t.TempDir(), "out."+format)
		if err := os.WriteFile(p, out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		info, err := Probe(t.Context(), tools, p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Channels != 1 || info.Duration < 1900*time.Millisecond || info.Duration > 2100*time.Millisecond {
			t.Fatalf("%s: %+v", format, info)
		}
	}
	if err := Transcode(t.Context(), tools, path, &bytes.Buffer{}, "ogg", 0); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestClassify(t *testing.T) {
	got := Classify(Info{Channels: 2, Duration: 5 * time.Second}, 128.4, true)
	want := []string{"stereo", "short", "128 BPM", "fast tempo"}
	if !slices.Equal(got, want) {
		t.Fatalf("Classify = %v, want %v", got, want)
	}
	got = Classify(Info{Channels: 1, Duration: 6 * time.Minute}, 70, false)
	if !slices.Equal(got, []string{"mono", "long"}) {
		t.Fatalf("Classify without tempo = %v", got)
	}
}
