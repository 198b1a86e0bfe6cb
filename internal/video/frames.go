package video

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults for a zero FrameOptions.
const (
	DefaultMaxFrames = 8
	DefaultLongEdge  = 768
	// MaxFrames bounds FrameOptions.Max whatever the caller asks.
	MaxFrames   = 32
	maxLongEdge = 4096
)

// FrameOptions configure Frames. The zero value gives the defaults.
type FrameOptions struct {
	// Max is the number of frames wanted; 0 means DefaultMaxFrames, values
	// above MaxFrames are lowered to it. A clip shorter than Max frames
	// gives fewer.
	Max int
	// LongEdge is the long side of each frame in pixels; 0 means
	// DefaultLongEdge. Frames are only ever scaled down.
	LongEdge int
	// SceneThreshold, when above 0, prefers scene changes: the clip is
	// divided into Max equal segments and each segment contributes the
	// keyframe with the largest scene change above the threshold (0.3 is
	// a good value), or its middle frame when it has none. This decodes
	// every keyframe of the clip, so it costs more than the default,
	// which seeks straight to the middle of each segment.
	SceneThreshold float64
	// Quality is the JPEG quality scale of ffmpeg's -q:v, 2 (best) to 31;
	// 0 means 4.
	Quality int
	// Info, when not nil, is the file's Probe result, so that Frames does
	// not probe again.
	Info *Info
}

func (o FrameOptions) withDefaults() FrameOptions {
	if o.Max <= 0 {
		o.Max = DefaultMaxFrames
	}
	o.Max = min(o.Max, MaxFrames)
	if o.LongEdge <= 0 {
		o.LongEdge = DefaultLongEdge
	}
	o.LongEdge = min(o.LongEdge, maxLongEdge)
	if o.Quality < 2 || o.Quality > 31 {
		o.Quality = 4
	}
	return o
}

// Frame is one still taken from a clip, as a JPEG.
type Frame struct {
	// At is the frame's time from the start of the clip.
	At time.Duration
	// JPEG is the encoded image, without any metadata.
	JPEG []byte
	// Width and Height are the JPEG's pixel size.
	Width, Height int
}

// Frames returns up to opts.Max representative frames of the video at
// path, in time order: one from each of Max equal segments of the clip
// (see FrameOptions.SceneThreshold for scene-change preference), scaled by
// ffmpeg so that the long edge is at most opts.LongEdge, with the file's
// rotation applied.
//
// Frames are streamed from ffmpeg through a pipe; no file is written, and
// memory use is bounded by the frames kept, whatever the clip's length.
// When ctx is done the ffmpeg process is killed and ctx's error returned
// (wrapped in an *Error). Safe for concurrent use.
func Frames(ctx context.Context, tools Tools, path string, opts FrameOptions) ([]Frame, error) {
	if err := tools.check(); err != nil {
		return nil, &Error{Op: "frames", Err: err}
	}
	opts = opts.withDefaults()
	var info Info
	if opts.Info != nil {
		info = *opts.Info
	} else {
		var err error
		if info, err = Probe(ctx, tools, path); err != nil {
			return nil, err
		}
	}
	if !info.HasVideo {
		return nil, &Error{Op: "frames", Err: ErrUnsupported, Detail: "no video stream"}
	}
	n := opts.Max
	if info.FPS > 0 {
		if available := int(info.Duration.Seconds() * info.FPS); available < n {
			n = max(available, 1)
		}
	}
	segment := info.Duration / time.Duration(n)
	picked := make([]*Frame, n)
	if opts.SceneThreshold > 0 {
		var err error
		if picked, err = sceneFrames(ctx, tools, path, opts, segment, n); err != nil {
			return nil, err
		}
	}
	if err := fillEven(ctx, tools, path, info, opts, segment, picked); err != nil {
		return nil, err
	}
	var out []Frame
	for _, f := range picked {
		if f != nil { // nil: a timestamp past the last decodable frame
			out = append(out, *f)
		}
	}
	if len(out) == 0 {
		return nil, &Error{Op: "frames", Err: ErrInvalid, Detail: "no frame could be decoded"}
	}
	return out, nil
}

// extractWorkers is how many ffmpeg processes fillEven runs at once.
const extractWorkers = 2

// fillEven extracts the middle frame of every segment that has no frame
// yet, a few ffmpeg processes at a time; the first failure cancels the
// rest.
func fillEven(ctx context.Context, tools Tools, path string, info Info, opts FrameOptions, segment time.Duration, picked []*Frame) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, extractWorkers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range picked {
		if picked[i] != nil {
			continue
		}
		at := segment*time.Duration(i) + segment/2
		if info.FPS > 0 {
			// Seeking past the last frame yields nothing.
			last := info.Duration - time.Duration(1.5*float64(time.Second)/info.FPS)
			at = max(0, min(at, last))
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			f, err := frameAt(ctx, tools, path, at, opts)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
					cancel()
				}
				return
			}
			picked[i] = f
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if first == nil && ctx.Err() != nil {
		first = &Error{Op: "frames", Err: ctx.Err()}
	}
	return first
}

// scaleFilter scales so that the long edge is at most edge, never up, and
// keeps both sides even and at least 2 pixels.
func scaleFilter(edge int) string {
	e := strconv.Itoa(edge)
	return "scale=w='if(gte(iw,ih),min(" + e + ",iw),-2)':h='if(gte(iw,ih),-2,min(" + e + ",ih))'"
}

// frameAt extracts the frame at (or just after) at, or nil when the clip
// has no frame there.
func frameAt(ctx context.Context, tools Tools, path string, at time.Duration, opts FrameOptions) (*Frame, error) {
	args := []string{
		"-nostdin", "-v", "error",
		"-ss", strconv.FormatFloat(at.Seconds(), 'f', 3, 64),
		"-i", inputURL(path),
		"-map", "0:v:0", "-an", "-sn", "-dn", "-frames:v", "1",
		"-vf", scaleFilter(opts.LongEdge) + ",format=yuvj420p",
		"-c:v", "mjpeg", "-q:v", strconv.Itoa(opts.Quality),
		"-map_metadata", "-1", "-f", "image2pipe", "pipe:1",
	}
	out, stderr, err := run(ctx, tools.FFmpeg, args, maxJPEG(opts.LongEdge))
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{Op: "frames", Err: ctx.Err()}
		}
		return nil, &Error{Op: "frames", Err: ErrInvalid, Detail: lastLine(stderr, path)}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return newFrame(at, out)
}

func newFrame(at time.Duration, data []byte) (*Frame, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, &Error{Op: "frames", Err: ErrInvalid, Detail: "ffmpeg wrote an unreadable frame"}
	}
	return &Frame{At: at, JPEG: data, Width: cfg.Width, Height: cfg.Height}, nil
}

// maxJPEG bounds the size of one encoded frame: far more than any real
// mjpeg frame of that size needs.
func maxJPEG(edge int) int { return edge*edge*3 + 1<<16 }

// sceneRecord is what ffmpeg's metadata filter reports for one selected
// frame.
type sceneRecord struct {
	at    time.Duration
	score float64
}

// sceneFrames decodes the keyframes of the clip, selects scene changes
// above the threshold and keeps, for each segment, the one with the
// largest score. Memory holds at most one frame per segment plus the one
// being read.
func sceneFrames(ctx context.Context, tools Tools, path string, opts FrameOptions, segment time.Duration, n int) ([]*Frame, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	filter := fmt.Sprintf("select='gt(scene\\,%s)',metadata=print:key=lavfi.scene_score,%s,format=yuvj420p",
		strconv.FormatFloat(min(max(opts.SceneThreshold, 0.01), 1), 'f', 3, 64), scaleFilter(opts.LongEdge))
	args := []string{
		"-nostdin", "-hide_banner", "-nostats", "-v", "info",
		"-skip_frame", "nokey", "-i", inputURL(path),
		"-map", "0:v:0", "-an", "-sn", "-dn",
		"-vf", filter, "-fps_mode", "vfr",
		"-c:v", "mjpeg", "-q:v", strconv.Itoa(opts.Quality),
		"-map_metadata", "-1", "-f", "image2pipe", "pipe:1",
	}
	cmd := Command(ctx, tools.FFmpeg, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, &Error{Op: "frames", Err: ErrToolMissing, Detail: "cannot start ffmpeg"}
	}
	recs := &recordQueue{}
	recs.cond = sync.NewCond(&recs.mu)
	done := make(chan struct{})
	go func() {
		defer close(done)
		recs.readFrom(stderr)
	}()

	picked := make([]*Frame, n)
	scores := make([]float64, n)
	r := bufio.NewReaderSize(stdout, 64<<10)
	limit := maxJPEG(opts.LongEdge)
	var readErr error
	for {
		data, err := readJPEG(r, limit)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
		rec, ok := recs.next()
		if !ok {
			readErr = errors.New("frame without a timestamp")
			break
		}
		i := int(rec.at / max(segment, 1))
		if i < 0 || i >= n || rec.score <= scores[i] {
			continue
		}
		f, err := newFrame(rec.at, data)
		if err != nil {
			readErr = err
			break
		}
		picked[i], scores[i] = f, rec.score
	}
	if readErr != nil {
		cancel()
	}
	_, _ = io.Copy(io.Discard, stdout)
	<-done
	werr := cmd.Wait()
	switch {
	case ctx.Err() != nil && readErr == nil:
		return nil, &Error{Op: "frames", Err: ctx.Err()}
	case readErr != nil:
		if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
			return nil, &Error{Op: "frames", Err: err}
		}
		return nil, &Error{Op: "frames", Err: ErrInvalid, Detail: readErr.Error()}
	case werr != nil:
		return nil, &Error{Op: "frames", Err: ErrInvalid, Detail: recs.lastLine(path)}
	}
	return picked, nil
}

// recordQueue collects the metadata filter's records from ffmpeg's stderr
// as they come, so that stderr never blocks while stdout is read.
type recordQueue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	recs  []sceneRecord
	taken int
	eof   bool
	last  string
}

// maxRecords bounds the records kept unread, against a stderr that lies.
const maxRecords = 1 << 16

func (q *recordQueue) readFrom(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	var pending sceneRecord
	havePTS := false
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "pts_time:"); i >= 0 {
			f := strings.Fields(line[i+len("pts_time:"):])
			if len(f) > 0 {
				if v, err := strconv.ParseFloat(f[0], 64); err == nil && !math.IsNaN(v) && v >= 0 && v < MaxDuration.Seconds() {
					pending = sceneRecord{at: time.Duration(v * float64(time.Second))}
					havePTS = true
				}
			}
			continue
		}
		if i := strings.Index(line, "lavfi.scene_score="); i >= 0 && havePTS {
			v, err := strconv.ParseFloat(strings.TrimSpace(line[i+len("lavfi.scene_score="):]), 64)
			if err != nil || math.IsNaN(v) {
				v = 0
			}
			pending.score = v
			havePTS = false
			q.mu.Lock()
			if len(q.recs)-q.taken < maxRecords {
				q.recs = append(q.recs, pending)
			}
			q.cond.Broadcast()
			q.mu.Unlock()
			continue
		}
		if strings.TrimSpace(line) != "" {
			q.mu.Lock()
			q.last = line
			q.mu.Unlock()
		}
	}
	q.mu.Lock()
	q.eof = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// next waits for the next record; false when stderr ended without one.
func (q *recordQueue) next() (sceneRecord, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.taken >= len(q.recs) && !q.eof {
		q.cond.Wait()
	}
	if q.taken >= len(q.recs) {
		return sceneRecord{}, false
	}
	r := q.recs[q.taken]
	q.taken++
	if q.taken == len(q.recs) { // drop consumed records
		q.recs, q.taken = q.recs[:0], 0
	}
	return r, true
}

func (q *recordQueue) lastLine(path string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.last == "" {
		return "ffmpeg failed"
	}
	return lastLine([]byte(q.last), path)
}
