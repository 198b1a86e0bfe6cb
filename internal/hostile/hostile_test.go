package hostile

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/testenv"
)

// The generators must make what they claim, or the tests built on them
// prove nothing: each is read back by a reference decoder or ffprobe.

func TestProgressiveJPEGDecodes(t *testing.T) {
	data := ProgressiveJPEG(33, 17, 1)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 33 || cfg.Height != 17 {
		t.Fatalf("config %+v, %v", cfg, err)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 33 || b.Dy() != 17 {
		t.Fatalf("bounds %v", b)
	}
	if !bytes.Contains(data, []byte{0xFF, 0xC2}) {
		t.Fatal("no SOF2 marker: not progressive")
	}
	if n := len(ProgressiveJPEG(10000, 10000, 1)); n > 250_000 {
		t.Fatalf("10000x10000 is %d bytes, want a small bomb", n)
	}
}

func TestDeepPNGDecodes(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(DeepPNG(20, 10)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.NRGBA64); !ok {
		t.Fatalf("decoded as %T, want a 16-bit image", img)
	}
	if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 10 {
		t.Fatalf("bounds %v", b)
	}
}

func TestSegmentsStayValidJPEG(t *testing.T) {
	photo := PhotoJPEG(64, 48)
	for name, data := range map[string][]byte{
		"exif":   withSegment(photo, exifFor("MARK")),
		"xmp16":  withSegment(photo, UTF16XMP("t")),
		"motion": MotionPhoto(photo, nil),
	} {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !bytes.Contains(exifFor("MARK"), []byte("MARK-serial")) {
		t.Fatal("marker missing from the EXIF segment")
	}
}

func TestExifReadByExiftool(t *testing.T) {
	exiftool := testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	p := filepath.Join(t.TempDir(), "e.jpg")
	if err := os.WriteFile(p, withSegment(PhotoJPEG(64, 48), exifFor("MARK")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exiftool, "-s3", "-Artist", "-SerialNumber", "-GPSLatitude#", p).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(out))
	if len(got) != 3 || got[0] != "MARK-artist" || got[1] != "MARK-serial" || !strings.HasPrefix(got[2], "48") {
		t.Fatalf("exiftool read %q", got)
	}
}

func TestPatchedDurations(t *testing.T) {
	ffmpeg := testenv.Tool(t, "ffmpeg", "ffmpeg")
	ffprobe := testenv.Tool(t, "ffprobe", "ffmpeg")
	dir := t.TempDir()
	declared := func(p string) float64 {
		t.Helper()
		out, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", p).Output()
		if err != nil {
			t.Fatalf("ffprobe %s: %v", p, err)
		}
		d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			t.Fatalf("ffprobe %s said %q", p, out)
		}
		return d
	}
	mp4 := filepath.Join(dir, "v.mp4")
	if err := Video(ffmpeg, mp4, 2, "-c:v", "mjpeg"); err != nil {
		t.Fatal(err)
	}
	if err := SetDuration(mp4, 10*time.Hour); err != nil {
		t.Fatal(err)
	}
	if d := declared(mp4); d < 35000 {
		t.Fatalf("patched MP4 declares %v s", d)
	}
	mp3 := filepath.Join(dir, "a.mp3")
	if err := Audio(ffmpeg, mp3, 2, "-c:a", "libmp3lame", "-q:a", "4"); err != nil {
		t.Fatal(err)
	}
	if err := SetMP3Duration(mp3, 10*time.Hour); err != nil {
		t.Fatal(err)
	}
	if d := declared(mp3); d < 35000 {
		t.Fatalf("patched MP3 declares %v s", d)
	}
	mov := filepath.Join(dir, "m.mov")
	if err := Video(ffmpeg, mov, 1, "-c:v", "mjpeg", "-movflags", "+faststart"); err != nil {
		t.Fatal(err)
	}
	if err := StripFirstAtom(mov); err != nil {
		t.Fatal(err)
	}
	head, _ := os.ReadFile(mov)
	if string(head[4:8]) != "moov" {
		t.Fatalf("stripped MOV begins with %q", head[4:8])
	}
}

func TestFolder(t *testing.T) {
	dir := t.TempDir()
	cases, err := Folder(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if _, err := os.Lstat(filepath.Join(dir, c.Name)); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
	if len(cases) < 20 {
		t.Fatalf("%d cases", len(cases))
	}
}
