package mediatest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/testenv"
)

// TestSetMP4Duration checks, with ffprobe, that a patched file declares
// the new length. (ffprobe's stream durations follow the edit lists,
// which are left alone; the container's is the mvhd's.)
func TestSetMP4Duration(t *testing.T) {
	ffmpeg := testenv.Tool(t, "ffmpeg", "ffmpeg")
	ffprobe := testenv.Tool(t, "ffprobe", "ffmpeg")
	out := filepath.Join(t.TempDir(), "a.mp4")
	if b, err := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=1",
		"-f", "lavfi", "-i", "sine=d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	n, err := SetMP4Duration(data, 10*time.Hour)
	if err != nil || n != 5 { // mvhd, and tkhd and mdhd of two tracks
		t.Fatalf("SetMP4Duration = %d, %v", n, err)
	}
	if err := os.WriteFile(out, data, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(b)) {
		if v, err := strconv.ParseFloat(f, 64); err != nil || v < 35999 || v > 36001 {
			t.Fatalf("ffprobe reports %q, want 36000 s", b)
		}
	}
}

func TestSetMP4DurationRefusesOtherFiles(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("hello world"), []byte("\x00\x00\x00\x08free"), []byte("\x00\x00\x00\xffmoov")} {
		if _, err := SetMP4Duration(b, time.Second); err == nil {
			t.Errorf("SetMP4Duration(%q) did not fail", b)
		}
	}
	if err := SetXingFrames([]byte("no header"), 1); err == nil {
		t.Error("SetXingFrames did not fail")
	}
}

// TestEXIFSegment checks with exiftool that the segment reads back as a
// camera's EXIF.
func TestEXIFSegment(t *testing.T) {
	exiftool := testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	ffmpeg := testenv.Tool(t, "ffmpeg", "ffmpeg")
	out := filepath.Join(t.TempDir(), "a.jpg")
	if b, err := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.1", "-frames:v", "1", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	jpg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	jpg, err = InjectSegment(jpg, EXIFSegment(EXIF{Artist: "Jane Doe", Serial: "SN-12345", Latitude: 59}))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, jpg, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(exiftool, "-s", "-s", "-s", "-Artist", "-SerialNumber", "-GPSLatitude", "-GPSLatitudeRef", out).CombinedOutput()
	if err != nil {
		t.Fatalf("exiftool: %v\n%s", err, b)
	}
	if got := strings.Fields(string(b)); strings.Join(got, " ") != `Jane Doe SN-12345 59 deg 30' 0.00" N North` {
		t.Fatalf("exiftool reads %q", b)
	}
	if _, err := InjectSegment([]byte("GIF89a"), nil); err == nil {
		t.Error("InjectSegment took a GIF")
	}
}
