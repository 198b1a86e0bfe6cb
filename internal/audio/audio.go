package audio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"time"

	"github.com/picfre/picfre/internal/video"
)

// Info describes an audio file.
type Info struct {
	Container  string
	Codec      string
	Duration   time.Duration
	SampleRate int
	Channels   int
}

// Probe runs ffprobe on the file at path and returns its audio stream's
// properties. Duration is checked against the packets, not taken from
// the headers (an MP3's Xing frame count, an M4A's mvhd): a file whose
// headers claim another length is refused with video.ErrInvalid (see
// video.Probe). A file with no audio stream fails with an error wrapping
// video.ErrUnsupported; see video.Probe for the other errors. Safe for
// concurrent use.
func Probe(ctx context.Context, tools video.Tools, path string) (Info, error) {
	vi, err := video.Probe(ctx, tools, path)
	if err != nil {
		return Info{}, err
	}
	if !vi.HasAudio {
		return Info{}, &video.Error{Op: "probe", Err: video.ErrUnsupported, Detail: "no audio stream"}
	}
	return Info{Container: vi.Container, Codec: vi.AudioCodec, Duration: vi.Duration, SampleRate: vi.SampleRate, Channels: vi.Channels}, nil
}

// Classify returns the technical keywords of an audio clip: "mono" or
// "stereo", a duration class ("short" under 10 seconds, "long" over 5
// minutes), and, when the tempo was measured (ok), "N BPM" with a tempo
// class: "slow tempo" under 80, "medium tempo" to 120, "fast tempo" above.
func Classify(info Info, bpm float64, ok bool) []string {
	var k []string
	switch {
	case info.Channels == 1:
		k = append(k, "mono")
	case info.Channels >= 2:
		k = append(k, "stereo")
	}
	switch {
	case info.Duration > 0 && info.Duration < 10*time.Second:
		k = append(k, "short")
	case info.Duration > 5*time.Minute:
		k = append(k, "long")
	}
	if ok && bpm > 0 {
		bpm := int(bpm + 0.5)
		k = append(k, strconv.Itoa(bpm)+" BPM")
		switch {
		case bpm < 80:
			k = append(k, "slow tempo")
		case bpm <= 120:
			k = append(k, "medium tempo")
		default:
			k = append(k, "fast tempo")
		}
	}
	return k
}

// Transcode formats.
const (
	TranscodeMP3 = "mp3" // mono 64 kbit/s MP3, 22.05 kHz
	TranscodeWAV = "wav" // mono 16-bit PCM WAV, 16 kHz
)

// Transcode writes a small mono version of the audio at path to w, as MP3
// or WAV, at most maxDuration long (0: the whole file), for providers
// whose inline size limit the original exceeds. The output streams from
// ffmpeg to w without a temporary file. Safe for concurrent use.
func Transcode(ctx context.Context, tools video.Tools, path string, w io.Writer, format string, maxDuration time.Duration) error {
	if tools.FFmpeg == "" {
		return &video.Error{Op: "transcode", Err: video.ErrToolMissing}
	}
	var codec []string
	switch format {
	case TranscodeMP3:
		codec = []string{"-ar", "22050", "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"}
	case TranscodeWAV:
		codec = []string{"-ar", "16000", "-c:a", "pcm_s16le", "-f", "wav"}
	default:
		return fmt.Errorf("audio: transcode: unknown format %q", format)
	}
	args := []string{"-nostdin", "-v", "error", "-i", "file:" + path, "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-map_metadata", "-1"}
	if maxDuration > 0 {
		args = append(args, "-t", strconv.FormatFloat(maxDuration.Seconds(), 'f', 3, 64))
	}
	args = append(append(args, codec...), "pipe:1")
	cmd := video.Command(ctx, tools.FFmpeg, args...)
	cmd.Stdout = w
	err := cmd.Run()
	if ctx.Err() != nil {
		return &video.Error{Op: "transcode", Err: ctx.Err()}
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &video.Error{Op: "transcode", Err: video.ErrInvalid, Detail: "ffmpeg could not convert the audio"}
		}
		return &video.Error{Op: "transcode", Err: err}
	}
	return nil
}
