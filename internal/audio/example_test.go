package audio_test

import (
	"fmt"

	"github.com/picfre/picfre/internal/audio"
)

func ExampleParseWAV() {
	// A 44-byte header of a mono 8 kHz 16-bit file with 2 seconds of data.
	head := []byte("RIFF\x24\x7d\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x7d\x00\x00")
	w, err := audio.ParseWAV(head, 44+32000)
	fmt.Println(w.SampleRate, w.Channels, w.Duration, err)
	// Output: 8000 1 2s <nil>
}
