package audio_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/picfre/picfre/internal/audio"
	"github.com/picfre/picfre/internal/video"
)

func ExampleParseWAV() {
	// A 44-byte header of a mono 8 kHz 16-bit file with 2 seconds of data.
	head := []byte("RIFF\x24\x7d\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x7d\x00\x00")
	w, err := audio.ParseWAV(head, 44+32000)
	fmt.Println(w.SampleRate, w.Channels, w.Duration, err)
	// Output: 8000 1 2s <nil>
}

func ExampleTempo() {
	tools, err := video.LookTools()
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "clicks.wav")
	// A click every half second: 120 beats per minute.
	_ = exec.Command(tools.FFmpeg, "-v", "error", "-f", "lavfi", "-i",
		"aevalsrc='if(lt(mod(t,0.5),0.02),sin(2*PI*1000*t),0)':s=44100:d=20", path).Run()

	bpm, ok, err := audio.Tempo(context.Background(), tools, path)
	fmt.Printf("%.0f %v %v\n", bpm, ok, err)
	fmt.Println(audio.Classify(audio.Info{Channels: 1, Duration: 20 * time.Second}, bpm, ok))
	// Output:
	// 120 true <nil>
	// [mono 120 BPM medium tempo]
}
