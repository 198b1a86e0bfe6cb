package video

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/picfre/picfre/internal/testenv"
)

// needTools returns ffmpeg and ffprobe, skipping the test when they are
// missing, except under CI=true, where their absence is a failure.
func needTools(tb testing.TB) Tools {
	tb.Helper()
	return Tools{FFmpeg: testenv.Tool(tb, "ffmpeg", "ffmpeg"), FFprobe: testenv.Tool(tb, "ffprobe", "ffmpeg")}
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

// Test clips. The x264 settings keep generation fast; a keyframe every 25
// frames is what cameras and editors write (seeking decodes from one).
var x264 = []string{"-c:v", "libx264", "-preset", "ultrafast", "-crf", "35", "-pix_fmt", "yuv420p", "-g", "25"}

func clip20s1080p(tb testing.TB) string {
	return clip(tb, "20s-1080p.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=10:d=20",
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
	// ffmpeg 5 sets the display matrix only when copying a stream.
	src := clip(tb, "rotated-src.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=2"},
		x264...)...)
	return clip(tb, "rotated.mp4", "-i", src, "-c", "copy", "-metadata:s:v:0", "rotate=90")
}

// texture is a still, blurred random texture of w×h pixels, frozen so
// that only the crop window moves.
func texture(w, h int) string {
	return fmt.Sprintf("nullsrc=s=%dx%d:r=25,geq=lum='random(1)*255':cb=128:cr=128,gblur=sigma=10,eq=contrast=6,"+
		"trim=end_frame=1,loop=loop=-1:size=1,trim=duration=6", w, h)
}

// clipPan is a 640×360 window moving right across a still texture at 160
// pixels a second: a steady pan.
func clipPan(tb testing.TB) string {
	return clip(tb, "pan.mp4", append([]string{"-f", "lavfi", "-i", texture(1600, 360) + ",crop=640:360:x='t*160':y=0"}, x264...)...)
}

// clipTilt moves the window down at 90 pixels a second.
func clipTilt(tb testing.TB) string {
	return clip(tb, "tilt.mp4", append([]string{"-f", "lavfi", "-i", texture(640, 900) + ",crop=640:360:x=0:y='t*90'"}, x264...)...)
}

// clipStatic is a still test card.
func clipStatic(tb testing.TB) string {
	return clip(tb, "static.mp4", append([]string{"-f", "lavfi", "-i", "smptehdbars=s=640x360:r=25:d=6"}, x264...)...)
}

// clipCuts has hard cuts at 1.3 s, 3.7 s and 6.1 s between flat greys (levels 32, 96, 196, 0:
// each change larger than the one before, as ffmpeg's scene score
// measures the change of the difference),
// with keyframes exactly there, in an 8-second clip.
func clipCuts(tb testing.TB) string {
	return clip(tb, "cuts.mp4",
		"-f", "lavfi", "-i", "color=c=0x202020:s=320x240:r=25:d=1.3",
		"-f", "lavfi", "-i", "color=c=0x606060:s=320x240:r=25:d=2.4",
		"-f", "lavfi", "-i", "color=c=0xc4c4c4:s=320x240:r=25:d=2.4",
		"-f", "lavfi", "-i", "color=c=0x000000:s=320x240:r=25:d=1.9",
		"-filter_complex", "[0][1][2][3]concat=n=4:v=1:a=0",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-g", "1000", "-force_key_frames", "0,1.3,3.7,6.1")
}

// clip10min is a 10-minute low-resolution clip for the memory benchmark.
func clip10min(tb testing.TB) string {
	return clip(tb, "10min.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=320x180:r=5:d=600"}, x264...)...)
}

// clipTiny is a 4-second clip small enough to take many frames from.
func clipTiny(tb testing.TB) string {
	return clip(tb, "tiny.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=4"}, x264...)...)
}
