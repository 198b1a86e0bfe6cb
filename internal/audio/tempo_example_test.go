package audio_test

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/audio"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/internal/video"
)

// A click every half second is 120 beats per minute. It needs ffmpeg, so
// it is a test that skips without it rather than an example that fails.
func TestTempoWalkthrough(t *testing.T) {
	testenv.Tool(t, "ffmpeg", "ffmpeg")
	tools, err := video.LookTools()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "clicks.wav")
	if out, err := exec.Command(tools.FFmpeg, "-v", "error", "-f", "lavfi", "-i",
		"aevalsrc='if(lt(mod(t,0.5),0.02),sin(2*PI*1000*t),0)':s=44100:d=20", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	bpm, ok, err := audio.Tempo(t.Context(), tools, path)
	if err != nil || !ok || bpm < 119.5 || bpm > 120.5 {
		t.Fatalf("tempo %.1f %v %v, want 120 true nil", bpm, ok, err)
	}
	got := audio.Classify(audio.Info{Channels: 1, Duration: 20 * time.Second}, bpm, ok)
	if want := []string{"mono", "120 BPM", "medium tempo"}; !slices.Equal(got, want) {
		t.Errorf("classify %v, want %v", got, want)
	}
}
