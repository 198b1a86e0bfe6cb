package video

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// needTools returns ffmpeg and ffprobe, skipping the test when they are
// missing, except under CI=true, where their absence is a failure.
func needTools(tb testing.TB) Tools {
	tb.Helper()
	tools, err := LookTools()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("ffmpeg and ffprobe are required under CI: %v", err)
		}
		tb.Skipf("skipping: %v", err)
	}
	return tools
}

// clips are generated once per test binary into a folder removed at exit.
var clips = struct {
	sync.Mutex
	dir   string
	paths map[string]string
}{paths: map[string]string{}}

func TestMain(m *testing.M) {
	code := m.Run()
	if clips.dir != "" {
		_ = os.RemoveAll(clips.dir)
	}
	os.Exit(code)
}

// clip generates (once) a test clip with the given ffmpeg arguments
// (everything between the inputs and the output file) and returns its path.
func clip(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	tools := needTools(tb)
	clips.Lock()
	defer clips.Unlock()
	if p, ok := clips.paths[name]; ok {
		return p
	}
	if clips.dir == "" {
		d, err := os.MkdirTemp("", "picfre-video-test-")
		if err != nil {
			tb.Fatal(err)
		}
		clips.dir = d
	}
	p := filepath.Join(clips.dir, name)
	cmd := exec.Command(tools.FFmpeg, append(append([]string{"-nostdin", "-v", "error", "-y"}, args...), p)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("generating %s: %v\n%s", name, err, out)
	}
	clips.paths[name] = p
	return p
}

// Test clips. The x264 settings keep generation fast.
var x264 = []string{"-c:v", "libx264", "-preset", "ultrafast", "-crf", "35", "-pix_fmt", "yuv420p"}

func clip20s1080p(tb testing.TB) string {
	return clip(tb, "20s-1080p.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=25:d=20",
		"-f", "lavfi", "-i", "sine=f=440:d=20"}, append(x264, "-c:a", "aac", "-shortest")...)...)
}

func clip4K(tb testing.TB) string {
	return clip(tb, "2s-4k.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=3840x2160:r=25:d=2"}, x264...)...)
}

func clip120fps(tb testing.TB) string {
	return clip(tb, "120fps.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=640x360:r=120:d=2"}, x264...)...)
}

func clipPortrait(tb testing.TB) string {
	return clip(tb, "portrait.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=720x1280:r=30:d=3"}, x264...)...)
}

// clipRotated is stored landscape with a display rotation of 90°, as
// phones record.
func clipRotated(tb testing.TB) string {
	return clip(tb, "rotated.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=2"},
		append(x264, "-metadata:s:v:0", "rotate=90")...)...)
}

// clipPan is a 640×360 window moving right across a larger test
// pattern at 160 pixels a second: a steady pan.
func clipPan(tb testing.TB) string {
	return clip(tb, "pan.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=2560x360:r=25:d=6",
		"-vf", "crop=640:360:x='t*160':y=0"}, x264...)...)
}

// clipTilt moves the window down.
func clipTilt(tb testing.TB) string {
	return clip(tb, "tilt.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=640x1800:r=25:d=6",
		"-vf", "crop=640:360:x=0:y='t*160'"}, x264...)...)
}

// clipStatic is a still test card.
func clipStatic(tb testing.TB) string {
	return clip(tb, "static.mp4", append([]string{"-f", "lavfi", "-i", "smptehdbars=s=640x360:r=25:d=6"}, x264...)...)
}

// clipCuts has hard cuts at 1.3 s, 3.7 s and 6.1 s between flat colours,
// with keyframes exactly there, in an 8-second clip.
func clipCuts(tb testing.TB) string {
	return clip(tb, "cuts.mp4",
		"-f", "lavfi", "-i", "color=c=red:s=320x240:r=25:d=1.3",
		"-f", "lavfi", "-i", "color=c=blue:s=320x240:r=25:d=2.4",
		"-f", "lavfi", "-i", "color=c=green:s=320x240:r=25:d=2.4",
		"-f", "lavfi", "-i", "color=c=yellow:s=320x240:r=25:d=1.9",
		"-filter_complex", "[0][1][2][3]concat=n=4:v=1:a=0",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-g", "1000", "-force_key_frames", "0,1.3,3.7,6.1")
}

// clip10min is a 10-minute low-resolution clip for the memory benchmark.
func clip10min(tb testing.TB) string {
	return clip(tb, "10min.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=320x180:r=5:d=600"}, x264...)...)
}
