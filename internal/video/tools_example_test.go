package video_test

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/internal/video"
)

// What an example would show, as a test: it needs ffmpeg, so on a machine
// without it it skips (and fails when CI=true) instead of failing the
// README's test command.
func TestProbeAndFramesWalkthrough(t *testing.T) {
	testenv.Tool(t, "ffmpeg", "ffmpeg")
	testenv.Tool(t, "ffprobe", "ffmpeg")
	tools, err := video.LookTools()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(tools.FFmpeg) != "ffmpeg" || filepath.Base(tools.FFprobe) != "ffprobe" {
		t.Fatalf("tools %+v", tools)
	}
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if out, err := exec.Command(tools.FFmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25:d=4",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	info, err := video.Probe(t.Context(), tools, clip)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 1280 || info.Height != 720 || info.FPS != 25 || info.Duration != 4*time.Second {
		t.Fatalf("probe %+v", info)
	}
	frames, err := video.Frames(t.Context(), tools, clip, video.FrameOptions{Max: 4, LongEdge: 320, Info: &info})
	if err != nil {
		t.Fatal(err)
	}
	var at []time.Duration
	for _, f := range frames {
		if f.Width != 320 || f.Height != 180 {
			t.Errorf("frame at %s is %dx%d, want 320x180", f.At, f.Width, f.Height)
		}
		at = append(at, f.At)
	}
	if want := []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, 2500 * time.Millisecond, 3500 * time.Millisecond}; !slices.Equal(at, want) {
		t.Errorf("frames at %v, want %v", at, want)
	}
}
