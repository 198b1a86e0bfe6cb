package video

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picfre/picfre/errcode"
)

// TestSanitizeDropsInFrameMetadata: the user-data SEI that x264 writes
// into the first frame (as cameras write settings, serials and positions)
// is gone after Sanitize while the codec is kept (a bitstream filter, not
// a re-encode); MJPEG frames, whose EXIF no filter removes, and HEVC,
// whose SEI x265 puts in the hvcC record, come out re-encoded as H.264.
func TestSanitizeDropsInFrameMetadata(t *testing.T) {
	tools := needTools(t)
	src := []struct {
		name, codec, format string
		args                []string
		marker              string
		want                string
	}{
		{"h264", "h264", "mp4", []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}, "x264 - core", "h264"},
		{"hevc", "hevc", "mp4", []string{"-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-x265-params", "log-level=error"}, "x265 (build", "h264"},
		{"mjpeg", "mjpeg", "avi", []string{"-c:v", "mjpeg"}, "Lavc", "h264"}, // each frame's COM segment
	}
	for _, tt := range src {
		t.Run(tt.name, func(t *testing.T) {
			in := clip(t, "sei-"+tt.name+"."+tt.format, append([]string{"-f", "lavfi", "-i", "testsrc2=s=64x48:r=5:d=1"}, tt.args...)...)
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(raw, []byte(tt.marker)) {
				t.Fatalf("the fixture lacks %q", tt.marker)
			}
			info, err := Probe(t.Context(), tools, in)
			if err != nil || info.Codec != tt.codec {
				t.Fatalf("Probe = %+v, %v", info, err)
			}
			out := filepath.Join(t.TempDir(), "clean."+tt.format)
			if err := Sanitize(t.Context(), tools, in, out, tt.format, info.Codec, false); err != nil {
				t.Fatal(err)
			}
			clean, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			// (A re-encoded MP4 names its compressor, "Lavc libx264", in
			// the sample description; that names no person or device.)
			for _, m := range []string{tt.marker, "x264 - core", "x265 (build", "Lavf"} {
				if bytes.Contains(clean, []byte(m)) {
					t.Errorf("the clean file carries %q", m)
				}
			}
			got, err := Probe(t.Context(), tools, out)
			if err != nil || got.Codec != tt.want || got.Width != 64 || got.Height != 48 {
				t.Fatalf("clean file: %+v, %v; want %s 64×48", got, err, tt.want)
			}
		})
	}
}

func TestVideoCleaning(t *testing.T) {
	for codec, want := range map[string]string{"h264": "filter", "hevc": "reencode", "av1": "filter",
		"vp8": "copy", "vp9": "copy", "mjpeg": "reencode", "mpeg4": "reencode", "prores": "reencode", "": "reencode"} {
		if got := VideoCleaning(codec); got != want {
			t.Errorf("VideoCleaning(%q) = %q, want %q", codec, got, want)
		}
	}
}

// TestSanitizeOnAFullDisk: ffmpeg writing its output to /dev/full (every
// write fails with ENOSPC, as on a full scratch disk) fails with
// ErrResources, code internal, not ErrInvalid, and without the path.
func TestSanitizeOnAFullDisk(t *testing.T) {
	tools := needTools(t)
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full on this system: %v", err)
	}
	in := clip(t, "full-disk.avi", "-f", "lavfi", "-i", "testsrc2=s=64x48:r=5:d=2", "-c:v", "mjpeg")
	err := Sanitize(t.Context(), tools, in, "/dev/full", "avi", "mjpeg", false)
	if !errors.Is(err, ErrResources) || errors.Is(err, ErrInvalid) || errcode.Of(err) != errcode.Internal {
		t.Fatalf("Sanitize = %v (code %s), want ErrResources", err, errcode.Of(err))
	}
	if strings.Contains(err.Error(), "/dev/full") || strings.Contains(err.Error(), in) {
		t.Fatalf("message has a path: %v", err)
	}
}
