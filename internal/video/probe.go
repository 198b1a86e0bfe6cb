package video

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	// Duration is the playing time, checked against the packets (see
	// Probe): the shorter of Declared and Measured, which agree within
	// the tolerance of DurationAgrees. It is what billing counts.
	// ParseProbe alone, which reads no packet, sets it to Declared.
	Duration time.Duration
	// Measured is the time the packets of the streams picfre uses span,
	// from the earliest start to the latest end (0 from ParseProbe).
	Measured time.Duration
	// Declared is the playing time the file's headers claim (the MP4
	// mvhd, an MP3's Xing frame count, ...), which a crafted file can set
	// to anything.
	Declared time.Duration
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

	// videoStream and audioStream are the indexes, plus one, of the
	// streams described (0: none).
	videoStream, audioStream int
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
// never followed by later ffmpeg calls.
//
// The duration a file declares is not trusted: Probe then reads every
// packet of the first video and first audio stream (demuxing only, no
// decoding) and sets Info.Measured to the time they span. A file whose
// declared duration differs from the measured one by more than the
// tolerance (see DurationAgrees) is refused with ErrInvalid: its headers
// lie, whichever way. Info.Duration is then the shorter of the two: the
// headers cannot make a file longer than its packets, nor can encoder
// padding in the packets make it longer than it says it is.
//
// Errors are *Error wrapping ErrInvalid, ErrUnsupported, ErrToolMissing
// or ctx's error; their messages do not contain path. Safe for concurrent
// use.
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
	measured, err := measure(ctx, tools, path, info)
	if err != nil {
		return Info{}, err
	}
	if !DurationAgrees(info.Declared, measured) {
		return Info{}, &Error{Op: "probe", Err: ErrInvalid, Detail: fmt.Sprintf(
			"the file declares %s but its streams run %s", info.Declared.Round(time.Millisecond), measured.Round(time.Millisecond))}
	}
	info.Measured = measured
	info.Duration = min(info.Declared, measured)
	return info, nil
}

// The tolerance between a declared and a measured duration: the larger
// of DurationSlack and DurationSlackRatio of the measured duration. It
// absorbs what honest files show (the measurement ends at the last
// packet's start, so a frame or an audio packet short; encoder padding;
// estimates for files without a duration header) and nothing a billing
// lie needs.
const (
	DurationSlack      = 2 * time.Second
	DurationSlackRatio = 0.10
)

// DurationAgrees reports whether a declared duration is within the
// tolerance of a measured one (see DurationSlack).
func DurationAgrees(declared, measured time.Duration) bool {
	diff := declared - measured
	if diff < 0 {
		diff = -diff
	}
	return diff <= max(DurationSlack, time.Duration(float64(measured)*DurationSlackRatio))
}

// measure reads every packet of the first video and the first audio
// stream with ffprobe (demuxing only, no decoding, so it runs at the
// speed of the disk) and returns the time they span, from the earliest
// packet's start to the latest packet's end. Packet times come from the
// stream itself (sample tables, frame counts), not from the header fields
// a file declares its length in. The listing is read as it is written, so
// memory does not grow with the clip.
func measure(ctx context.Context, tools Tools, path string, info Info) (time.Duration, error) {
	args := []string{"-v", "error", "-show_entries", "packet=stream_index,pts_time,dts_time,duration_time",
		"-of", "compact", inputURL(path)}
	cmd := Command(ctx, tools.FFprobe, args...)
	errBuf := &limitedBuffer{max: 8 << 10}
	cmd.Stderr = errBuf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, &Error{Op: "measure", Err: ErrInvalid, Detail: "cannot run ffprobe"}
	}
	if err := cmd.Start(); err != nil {
		return 0, &Error{Op: "measure", Err: ErrInvalid, Detail: "cannot run ffprobe"}
	}
	d, perr := ParsePackets(out, info.videoStream-1, info.audioStream-1)
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return 0, &Error{Op: "measure", Err: ctx.Err()}
	case werr != nil:
		return 0, &Error{Op: "measure", Err: ErrInvalid, Detail: lastLine(errBuf.buf.Bytes(), path)}
	case perr != nil:
		return 0, perr
	}
	return d, nil
}

// ParsePackets reads the packet listing that `ffprobe -show_entries
// packet=stream_index,pts_time,dts_time,duration_time -of compact` writes,
// one "packet|key=value|..." line a packet, and returns the time spanned
// by the packets of the given stream indexes (negative indexes are
// ignored): from the earliest start (pts, else dts) to the latest start
// plus duration. Lines of other streams, unparsable times and values
// outside [0, MaxDuration] are skipped; a span that is empty or longer
// than MaxDuration is an *Error wrapping ErrInvalid. It is safe for
// concurrent use.
func ParsePackets(r io.Reader, streams ...int) (time.Duration, error) {
	want := map[string]bool{}
	for _, s := range streams {
		if s >= 0 {
			want[strconv.Itoa(s)] = true
		}
	}
	first, last := math.Inf(1), math.Inf(-1)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), 4<<10)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "packet|")
		if !ok {
			continue
		}
		var index string
		start, dur := math.NaN(), 0.0
		dts := math.NaN()
		for _, kv := range strings.Split(rest, "|") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "stream_index":
				index = v
			case "pts_time":
				start = packetTime(v)
			case "dts_time":
				dts = packetTime(v)
			case "duration_time":
				if d := packetTime(v); !math.IsNaN(d) {
					dur = d
				}
			}
		}
		if !want[index] {
			continue
		}
		if math.IsNaN(start) {
			start = dts
		}
		if math.IsNaN(start) {
			continue
		}
		first = math.Min(first, start)
		last = math.Max(last, start+dur)
	}
	if err := sc.Err(); err != nil {
		return 0, &Error{Op: "measure", Err: ErrInvalid, Detail: "unreadable packet listing"}
	}
	span := last - first
	if math.IsInf(first, 0) || !(span > 0) || span > MaxDuration.Seconds() {
		return 0, &Error{Op: "measure", Err: ErrInvalid, Detail: "the packets span no usable time"}
	}
	return time.Duration(span * float64(time.Second)), nil
}

// packetTime parses a packet time in seconds; NaN for "N/A", garbage and
// values outside [0, MaxDuration].
func packetTime(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > MaxDuration.Seconds() {
		return math.NaN()
	}
	return v
}

type probeOutput struct {
	Streams []probeStream `json:"streams"`
	Format  struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

type probeStream struct {
	Index        int               `json:"index"`
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
			info.videoStream = s.Index + 1
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
			info.audioStream = s.Index + 1
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
	info.Declared = info.Duration
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
