package video

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/mediatest"
)

// lying writes a copy of the clip at src whose headers declare d, patched
// by set, and returns its path.
func lying(t *testing.T, src string, set func([]byte) error) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := set(data); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "lying"+filepath.Ext(src))
	if err := os.WriteFile(out, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func mp4Lie(d time.Duration) func([]byte) error {
	return func(b []byte) error { _, err := mediatest.SetMP4Duration(b, d); return err }
}

func xingLie(d time.Duration) func([]byte) error {
	return func(b []byte) error { return mediatest.SetXingFrames(b, mediatest.XingFrames(d, 44100)) }
}

func clip3sMP4(tb testing.TB) string {
	return clip(tb, "3s.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=3",
		"-f", "lavfi", "-i", "sine=d=3"}, append(x264, "-c:a", "aac", "-shortest")...)...)
}

func clip5minMP4(tb testing.TB) string {
	return clip(tb, "5min.mp4", append([]string{"-f", "lavfi", "-i", "color=c=gray:s=32x32:r=2:d=300"}, x264...)...)
}

func clip3sMP3(tb testing.TB) string {
	return clip(tb, "3s.mp3", "-f", "lavfi", "-i", "sine=d=3:r=44100", "-c:a", "libmp3lame", "-q:a", "4")
}

func clip5minMP3(tb testing.TB) string {
	return clip(tb, "5min.mp3", "-f", "lavfi", "-i", "sine=d=300:r=44100", "-c:a", "libmp3lame", "-q:a", "9")
}

func clip3sM4A(tb testing.TB) string {
	return clip(tb, "3s.m4a", "-f", "lavfi", "-i", "sine=d=3", "-c:a", "aac")
}

// TestProbeMeasuresDuration: the duration Probe reports is the one the
// packets span, and a file whose headers claim another length (10 hours
// for a 3-second clip, 1 ms for a 5-minute one: issue 11) is refused as
// invalid whichever way it lies.
func TestProbeMeasuresDuration(t *testing.T) {
	tools := needTools(t)
	honest := []struct {
		name string
		path func(testing.TB) string
		want time.Duration
	}{
		{"mp4", clip3sMP4, 3 * time.Second},
		{"mp3", clip3sMP3, 3 * time.Second},
		{"m4a", clip3sM4A, 3 * time.Second},
		{"5 min mp4", clip5minMP4, 5 * time.Minute},
	}
	for _, tt := range honest {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Probe(t.Context(), tools, tt.path(t))
			if err != nil {
				t.Fatal(err)
			}
			if d := info.Measured - tt.want; d < -100*time.Millisecond || d > 100*time.Millisecond {
				t.Fatalf("measured %v, want about %v", info.Measured, tt.want)
			}
			if !DurationAgrees(info.Declared, info.Measured) || info.Duration != min(info.Declared, info.Measured) {
				t.Fatalf("duration %v, declared %v, measured %v", info.Duration, info.Declared, info.Measured)
			}
		})
	}
	lies := []struct {
		name string
		path func(testing.TB) string
		lie  func([]byte) error
	}{
		{"mp4 says 10 h", clip3sMP4, mp4Lie(10 * time.Hour)},
		{"mp4 says 1 ms", clip5minMP4, mp4Lie(time.Millisecond)},
		{"mp3 Xing says 10 h", clip3sMP3, xingLie(10 * time.Hour)},
		{"mp3 Xing says one frame", clip5minMP3, xingLie(time.Millisecond)},
		{"m4a says 10 h", clip3sM4A, mp4Lie(10 * time.Hour)},
	}
	for _, tt := range lies {
		t.Run(tt.name, func(t *testing.T) {
			path := lying(t, tt.path(t), tt.lie)
			info, err := Probe(t.Context(), tools, path)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Probe = %+v, %v; want ErrInvalid", info, err)
			}
			if !strings.Contains(err.Error(), "declares") || strings.Contains(err.Error(), path) {
				t.Fatalf("message %q", err)
			}
		})
	}
}

func TestDurationAgrees(t *testing.T) {
	for _, tt := range []struct {
		declared, measured time.Duration
		want               bool
	}{
		{3 * time.Second, 2900 * time.Millisecond, true},
		{5 * time.Second, 3 * time.Second, true}, // within the 2 s slack
		{10 * time.Hour, 3 * time.Second, false},
		{time.Millisecond, 5 * time.Minute, false},
		{330 * time.Second, 300 * time.Second, true},  // 10 %
		{331 * time.Second, 300 * time.Second, false}, // past it
	} {
		if got := DurationAgrees(tt.declared, tt.measured); got != tt.want {
			t.Errorf("DurationAgrees(%v, %v) = %v", tt.declared, tt.measured, got)
		}
	}
}

func TestParsePackets(t *testing.T) {
	const listing = "packet|stream_index=0|pts_time=0.080000|dts_time=0.000000|duration_time=0.040000\n" +
		"packet|stream_index=1|pts_time=0.000000|dts_time=0.000000|duration_time=0.023220\n" +
		"packet|stream_index=0|pts_time=0.000000|dts_time=0.040000|duration_time=0.040000\n" +
		"packet|stream_index=2|pts_time=0.000000|dts_time=0.000000|duration_time=36000.0\n" + // a data stream
		"packet|stream_index=0|pts_time=N/A|dts_time=3.960000|duration_time=0.040000\n" +
		"packet|stream_index=1|pts_time=2.995374|dts_time=2.995374|duration_time=0.004626\n" +
		"packet|stream_index=1|pts_time=nan|dts_time=-1|duration_time=inf\n" +
		"garbage line\n"
	for _, tt := range []struct {
		streams []int
		want    time.Duration
	}{
		{[]int{0, 1}, 4 * time.Second},
		{[]int{1}, 3 * time.Second},
		{[]int{0, -1}, 4 * time.Second},
	} {
		d, err := ParsePackets(strings.NewReader(listing), tt.streams...)
		if err != nil || (d-tt.want).Abs() > time.Microsecond {
			t.Errorf("ParsePackets(%v) = %v, %v; want %v", tt.streams, d, err, tt.want)
		}
	}
	for _, in := range []string{"", "packet|stream_index=0|pts_time=N/A|dts_time=N/A\n", "packet|stream_index=0|pts_time=1\n",
		"packet|stream_index=0|pts_time=0|duration_time=172801\n", strings.Repeat("x", 5000)} {
		if d, err := ParsePackets(strings.NewReader(in), 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParsePackets(%.40q) = %v, %v; want ErrInvalid", in, d, err)
		}
	}
}

func FuzzParsePackets(f *testing.F) {
	f.Add([]byte("packet|stream_index=0|pts_time=0.0|dts_time=0.0|duration_time=0.04\npacket|stream_index=0|pts_time=3.96|duration_time=0.04\n"))
	f.Add([]byte("packet|stream_index=0|pts_time=N/A|dts_time=1e308|duration_time=1e308\n"))
	f.Add([]byte("packet|stream_index=0|pts_time=172800|duration_time=0\npacket|stream_index=0|pts_time=0\n"))
	f.Add([]byte("packet|stream_index=00|pts_time=-0\n|||==\npacket|"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParsePackets(bytes.NewReader(data), 0, 1)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || d != 0 {
				t.Fatalf("ParsePackets = %v, %v", d, err)
			}
			return
		}
		if d <= 0 || d > MaxDuration {
			t.Fatalf("accepted %v", d)
		}
	})
}
