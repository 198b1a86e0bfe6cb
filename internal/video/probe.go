package video

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Info is what ffprobe reports about a video or audio file.
type Info struct {
	// Container is the demuxer's name for the file's format, such as
	// "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm".
	Container string
	// Duration is the playing time.
	Duration time.Duration
	// HasVideo reports a real video stream (cover art in an audio file
	// does not count).
	HasVideo bool
	// Width and Height are the display size of the video stream, after
	// any rotation the file asks for; 0 without video.
	Width, Height int
	// Rotation is the display rotation in degrees (0, 90, 180 or 270).
	Rotation int
	// FPS is the average frame rate; 0 without video.
	FPS float64
	// Codec is the video codec ("h264", "vp9", ...), or "" without video.
	Codec string
	// HasAudio reports an audio stream.
	HasAudio bool
	// AudioCodec is the audio codec ("aac", "mp3", "pcm_s16le", ...).
	AudioCodec string
	// SampleRate (Hz) and Channels describe the first audio stream.
	SampleRate int
	Channels   int
}

// Bounds that ParseProbe enforces; values outside them are refused as
// invalid rather than passed on.
const (
	MaxDuration = 48 * time.Hour
	MaxSide     = 16384
	maxProbeOut = 1 << 20
)

// Probe runs ffprobe on the file at path and returns what it found. The
// caller should have recognised the file by its content first (see
// media.Detect); Probe also refuses containers outside a short list of
// video and audio formats, so that playlists and other indirections are
// never followed by later ffmpeg calls. Errors are *Error wrapping
// ErrInvalid, ErrUnsupported, ErrToolMissing or ctx's error; their
// messages do not contain path. Safe for concurrent use.
func Probe(ctx context.Context, tools Tools, path string) (Info, error) {
	if err := tools.check(); err != nil {
		return Info{}, &Error{Op: "probe", Err: err}
	}
	args := []string{"-v", "error", "-print_format", "json", "-show_format", "-show_streams", inputURL(path)}
	out, stderr, err := run(ctx, tools.FFprobe, args, maxProbeOut)
	if err != nil {
		if ctx.Err() != nil {
			return Info{}, &Error{Op: "probe", Err: ctx.Err()}
		}
		return Info{}, &Error{Op: "probe", Err: ErrInvalid, Detail: lastLine(stderr, path)}
	}
	info, err := ParseProbe(out)
	if err != nil {
		return Info{}, err
	}
	return info, nil
}

type probeOutput struct {
	Streams []probeStream `json:"streams"`
	Format  struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

type probeStream struct {
	CodecType    string            `json:"codec_type"`
	CodecName    string            `json:"codec_name"`
	Width        int               `json:"width"`
	Height       int               `json:"height"`
	AvgFrameRate string            `json:"avg_frame_rate"`
	RFrameRate   string            `json:"r_frame_rate"`
	Duration     string            `json:"duration"`
	SampleRate   string            `json:"sample_rate"`
	Channels     int               `json:"channels"`
	Disposition  map[string]int    `json:"disposition"`
	Tags         map[string]string `json:"tags"`
	SideData     []struct {
		Rotation float64 `json:"rotation"`
	} `json:"side_data_list"`
}

// containers are the demuxers whose files picfre processes.
func allowedContainer(name string) bool {
	for _, n := range strings.Split(name, ",") {
		switch strings.TrimSpace(n) {
		case "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi",
			"mp3", "wav", "flac", "ogg", "aac":
			return true
		}
	}
	return false
}

// ParseProbe decodes the JSON that `ffprobe -print_format json
// -show_format -show_streams` writes. It never trusts a number: sizes,
// rates and durations outside sane bounds are refused with an *Error
// wrapping ErrInvalid, unknown containers and files with neither video nor
// audio with ErrUnsupported. It is safe for concurrent use.
func ParseProbe(data []byte) (Info, error) {
	invalid := func(format string, args ...any) (Info, error) {
		return Info{}, &Error{Op: "probe", Err: ErrInvalid, Detail: fmt.Sprintf(format, args...)}
	}
	if len(data) > maxProbeOut {
		return invalid("probe output too large")
	}
	var p probeOutput
	if err := json.Unmarshal(data, &p); err != nil {
		return invalid("unreadable probe output")
	}
	name := p.Format.FormatName
	if len(name) > 100 {
		name = name[:100]
	}
	if !allowedContainer(name) {
		return Info{}, &Error{Op: "probe", Err: ErrUnsupported, Detail: fmt.Sprintf("container %q is not supported", printable(name))}
	}
	info := Info{Container: name}
	var streamDur float64
	for _, s := range p.Streams {
		switch s.CodecType {
		case "video":
			if info.HasVideo || s.Disposition["attached_pic"] != 0 {
				continue
			}
			if s.Width <= 0 || s.Height <= 0 || s.Width > MaxSide || s.Height > MaxSide {
				return invalid("video size %d×%d out of range", s.Width, s.Height)
			}
			info.HasVideo = true
			info.Codec = printable(s.CodecName)
			info.Width, info.Height = s.Width, s.Height
			info.FPS = rate(s.AvgFrameRate)
			if info.FPS == 0 {
				info.FPS = rate(s.RFrameRate)
			}
			info.Rotation = rotation(s)
			if info.Rotation == 90 || info.Rotation == 270 {
				info.Width, info.Height = info.Height, info.Width
			}
			if d, ok := seconds(s.Duration); ok {
				streamDur = d
			}
		case "audio":
			if info.HasAudio {
				continue
			}
			info.HasAudio = true
			info.AudioCodec = printable(s.CodecName)
			if r, err := strconv.Atoi(s.SampleRate); err == nil && r > 0 && r <= 1_000_000 {
				info.SampleRate = r
			}
			if s.Channels > 0 && s.Channels <= 64 {
				info.Channels = s.Channels
			}
			if d, ok := seconds(s.Duration); ok && streamDur == 0 {
				streamDur = d
			}
		}
	}
	if !info.HasVideo && !info.HasAudio {
		return Info{}, &Error{Op: "probe", Err: ErrUnsupported, Detail: "no video or audio stream"}
	}
	d, ok := seconds(p.Format.Duration)
	if !ok {
		d = streamDur
	}
	if d <= 0 {
		return invalid("no usable duration")
	}
	info.Duration = time.Duration(d * float64(time.Second))
	return info, nil
}

// seconds parses a duration in seconds, accepting only finite values in
// (0, MaxDuration].
func seconds(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || v <= 0 || v > MaxDuration.Seconds() {
		return 0, false
	}
	return v, true
}

// rate parses a frame rate such as "30000/1001"; 0 for anything unusable
// or above 10,000 frames per second.
func rate(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		den = "1"
	}
	n, err1 := strconv.ParseFloat(num, 64)
	d, err2 := strconv.ParseFloat(den, 64)
	if err1 != nil || err2 != nil || d <= 0 || n <= 0 {
		return 0
	}
	r := n / d
	if math.IsNaN(r) || math.IsInf(r, 0) || r > 10_000 {
		return 0
	}
	return math.Round(r*1000) / 1000
}

// rotation reads the display rotation from the display-matrix side data or
// the older "rotate" tag, normalised to 0, 90, 180 or 270.
func rotation(s probeStream) int {
	var deg float64
	found := false
	for _, sd := range s.SideData {
		if sd.Rotation != 0 && !math.IsNaN(sd.Rotation) && math.Abs(sd.Rotation) <= 3600 {
			deg, found = sd.Rotation, true
			break
		}
	}
	if !found {
		if v, err := strconv.ParseFloat(s.Tags["rotate"], 64); err == nil && math.Abs(v) <= 3600 {
			deg = v
		}
	}
	r := int(math.Round(deg/90)) * 90 % 360
	if r < 0 {
		r += 360
	}
	return r
}

// printable keeps a short ASCII identifier fit for messages and keywords.
func printable(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}
