package audio

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/internal/video"
)

// needTools returns ffmpeg and ffprobe, skipping the test when they are
// missing, except under CI=true, where their absence is a failure.
func needTools(tb testing.TB) video.Tools {
	tb.Helper()
	return video.Tools{FFmpeg: testenv.Tool(tb, "ffmpeg", "ffmpeg"), FFprobe: testenv.Tool(tb, "ffprobe", "ffmpeg")}
}

// generate runs ffmpeg with args and the output file name in a fresh
// temporary folder and returns the file's path.
func generate(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	tools := needTools(tb)
	p := filepath.Join(tb.TempDir(), name)
	cmd := exec.Command(tools.FFmpeg, append(append([]string{"-nostdin", "-v", "error", "-y"}, args...), p)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("generating %s: %v\n%s", name, err, out)
	}
	return p
}

// clickTrack is a 1 kHz click of 20 ms every 60/bpm seconds.
func clickTrack(bpm string) string {
	return "aevalsrc='if(lt(mod(t\\,60/" + bpm + ")\\,0.02)\\,sin(2*PI*1000*t)\\,0)':s=44100:d=20"
}
