package picfre

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/audio"
	"github.com/picfre/picfre/internal/media"
	"github.com/picfre/picfre/internal/scratch"
	"github.com/picfre/picfre/internal/shape"
	"github.com/picfre/picfre/internal/vector"
	"github.com/picfre/picfre/internal/video"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/stock"
)

// defaultMaxTimedBytes bounds video and audio files.
const defaultMaxTimedBytes = 4 << 30

// timed holds what video and audio need: the tools, found once, and the
// scratch folders, whose crashed leftovers are cleaned once.
type timed struct {
	once    sync.Once
	tools   video.Tools
	err     error
	scratch *scratch.Root
}

func (t *timed) setup(ctx context.Context, cfg Config, tel *telemetry) (video.Tools, *scratch.Root, error) {
	t.once.Do(func() {
		t.scratch = scratch.New(cfg.ScratchDir)
		// Folders of processes that died (crash, SIGKILL) are removed;
		// a failure here must not stop the work, but the operator hears
		// of it (a scratch folder on a file system without locks).
		if _, err := t.scratch.CleanStale(ctx, 0); err != nil {
			tel.warn(ctx, "picfre: cleaning stale scratch folders", err)
		}
		if cfg.FFmpeg != "" && cfg.FFprobe != "" {
			t.tools = video.Tools{FFmpeg: cfg.FFmpeg, FFprobe: cfg.FFprobe}
			return
		}
		t.tools, t.err = video.LookTools()
	})
	return t.tools, t.scratch, t.err
}

func (pl *Pipeline) limits() media.Limits {
	return media.Limits{MaxBytes: pl.cfg.MaxBytes, MaxPixels: pl.cfg.MaxPixels}
}

// prepare reads the file, detects its kind from the content and turns it
// into the parts a provider receives: one metadata-free JPEG for an image
// or a vector drawing, frames or the clip for a video, the audio itself.
// Every check that can refuse the file runs here, before any credit is
// held.
func (pl *Pipeline) prepare(ctx context.Context, j *job, o *settings) {
	if j.media.Open == nil {
		j.fail(errNoOpen)
		return
	}
	rc, err := j.media.Open()
	if err != nil {
		j.fail(openError(err))
		return
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, media.SniffLen)
	head, err := r.Peek(media.SniffLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		j.fail(errcode.Wrap(errcode.InvalidMedia, err))
		return
	}
	f, err := media.Detect(head)
	if err != nil {
		j.fail(err)
		return
	}
	j.kind = f.Kind()
	j.result.Kind = string(j.kind)
	switch j.kind {
	case media.KindImage:
		data, err := readLimited(r, pl.limits().MaxBytes)
		if err != nil {
			j.fail(err)
			return
		}
		j.digest = sha256.Sum256(data)
		pl.prepareImage(ctx, j, data)
	case media.KindVector:
		pl.prepareVector(ctx, j, r, f)
	case media.KindVideo, media.KindAudio:
		pl.prepareTimed(ctx, j, r, f, o)
	default:
		j.fail(errcode.Errorf(errcode.UnsupportedMedia, "%s files are not supported", f))
	}
}

// openError is the error of a Media.Open that failed: its own code if it
// has one (an embedder may refuse a file with a reason), else
// invalid_media (a missing or unreadable file).
func openError(err error) error { return errcode.WrapIfNone(errcode.InvalidMedia, err) }

// readLimited reads r to the end, at most limit bytes (0 means media's
// default), and fails with too_large past that without reading the rest.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = media.DefaultMaxBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, errcode.Wrap(errcode.InvalidMedia, err)
	}
	if int64(len(data)) > limit {
		return nil, errcode.Errorf(errcode.TooLarge, "file is larger than %d bytes", limit)
	}
	return data, nil
}

// prepareImage guards, orients, downscales and re-encodes an image to the
// size and detail level the provider bills least for. The decode holds its
// cost in the pipeline's decode memory budget (Config.DecodeMemory) while
// it runs, waiting for its turn within ctx.
func (pl *Pipeline) prepareImage(ctx context.Context, j *job, data []byte) {
	info, err := media.Probe(data, pl.limits())
	if err != nil {
		j.fail(err)
		return
	}
	w, h := info.DisplaySize()
	size, detail := pl.cfg.ImageSize, provider.DetailAuto
	if size == 0 {
		size, detail = shape.ChooseImage(pl.caps, w, h)
	}
	p, err := pl.decodeMemory.Prepare(ctx, data, pl.limits(), media.PrepareOptions{LongEdge: size, KeepImage: true})
	if err != nil {
		j.fail(err)
		return
	}
	if p.Fallback != "" {
		pl.tel.jpegFallback(ctx, string(p.Fallback))
	}
	j.detail = detail
	j.dhash, j.hashed = stock.DHash(p.Image), true
	if j.result.Width == 0 {
		j.result.Width, j.result.Height = w, h
	}
	part := provider.Part{MIMEType: p.MIMEType, Data: p.Data, Width: p.Width, Height: p.Height}
	if pl.caps.Pixels {
		// The provider analyses pixels: hand it the ones Data encodes
		// instead of having it decode the JPEG again. Only then, since
		// holding them for every request in flight costs memory.
		part.Image = p.Image
	}
	j.parts = []provider.Part{part}
}

// vectorRasterEdge is the long edge SVG drawings are rasterized at before
// the image path scales them to the provider's size.
const vectorRasterEdge = 2048

// prepareVector rasterizes an SVG in pure Go (nothing external is ever
// fetched) and prepares the raster as an image. EPS and AI files are
// tagged through their JPEG preview, which the caller passes instead.
func (pl *Pipeline) prepareVector(ctx context.Context, j *job, r io.Reader, f media.Format) {
	if f != media.FormatSVG {
		j.fail(vector.ErrNoPreview)
		return
	}
	data, err := readLimited(r, pl.limits().MaxBytes)
	if err != nil {
		j.fail(err)
		return
	}
	j.digest = sha256.Sum256(data)
	png, err := vector.PreviewPNG(ctx, data, vectorRasterEdge, vector.Limits{})
	if err != nil {
		j.fail(vectorError(err))
		return
	}
	pl.prepareImage(ctx, j, png)
}

func vectorError(err error) error { return errcode.WrapIfNone(errcode.InvalidMedia, err) }

// prepareTimed handles video and audio. The file is streamed into a
// private scratch folder (ffmpeg needs a path), probed, and turned into
// parts: the clip or recording itself, stripped of its metadata, where the
// provider takes it natively (held in memory when it fits the inline
// limit, streamed from the scratch folder to the provider's upload API
// when it does not), else sampled frames (video). The scratch folder is
// removed when the job settles, on every path.
func (pl *Pipeline) prepareTimed(ctx context.Context, j *job, r io.Reader, f media.Format, o *settings) {
	isAudio := j.kind == media.KindAudio
	if isAudio && !pl.caps.Audio {
		// Refused before anything is held or written: it costs nothing.
		j.fail(errcode.Errorf(errcode.UnsupportedMedia, "provider %s cannot take audio", pl.prov.Name()))
		return
	}
	tools, root, err := pl.timed.setup(ctx, pl.cfg, pl.tel)
	if err != nil {
		j.fail(errcode.WrapIfNone(errcode.UnsupportedMedia, err))
		return
	}
	dir, cleanup, err := root.Dir(ctx)
	if err != nil {
		j.fail(errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("scratch folder: %w", pathless(err))))
		return
	}
	// Removed by settle, on every path, once the request is done: a part
	// streamed to the provider reads from this folder.
	j.cleanup = cleanup
	path := filepath.Join(dir, "input")
	size, digest, err := copyLimited(path, r, pl.maxTimedBytes())
	if err != nil {
		j.fail(err)
		return
	}
	j.digest = digest
	if isAudio {
		pl.prepareAudio(ctx, j, tools, path, size, f)
	} else {
		pl.prepareVideo(ctx, j, tools, path, size, f)
	}
	// The folder must outlive this call only for a part streamed from it.
	if !slices.ContainsFunc(j.parts, provider.Part.Streamed) {
		cleanup()
		j.cleanup = nil
	}
}

func (pl *Pipeline) maxDuration() time.Duration {
	if pl.cfg.MaxDuration > 0 {
		return pl.cfg.MaxDuration
	}
	return DefaultMaxDuration
}

// checkDuration refuses a clip whose measured running time is past the
// ceiling: it would be held and charged more than a file may cost.
func (pl *Pipeline) checkDuration(d time.Duration) error {
	if d > pl.maxDuration() {
		return errcode.Errorf(errcode.TooLarge, "the file runs %s, more than the %s allowed", d.Round(time.Second), pl.maxDuration())
	}
	return nil
}

func (pl *Pipeline) maxTimedBytes() int64 {
	if pl.cfg.MaxTimedBytes > 0 {
		return pl.cfg.MaxTimedBytes
	}
	return defaultMaxTimedBytes
}

// copyLimited streams r into a new file at path, hashing it on the way,
// and fails with too_large past limit bytes.
func copyLimited(path string, r io.Reader, limit int64) (int64, [32]byte, error) {
	var digest [32]byte
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, digest, scratch.FileError("creating a scratch file", err)
	}
	defer f.Close()
	n, digest, err := fillScratch(f, r, limit)
	if err != nil {
		return 0, digest, err
	}
	if err := f.Close(); err != nil {
		return 0, digest, scratch.FileError("writing a scratch file", err)
	}
	return n, digest, nil
}

// fillScratch copies r into w, a scratch file, hashing it on the way. A
// failure to read r is the file's (invalid_media); a failure to write w
// is the scratch disk's (see scratch.FileError: internal when the disk or
// a quota is full), whose message never holds the scratch path.
func fillScratch(w io.Writer, r io.Reader, limit int64) (int64, [32]byte, error) {
	var digest [32]byte
	h := sha256.New()
	sw := &scratchWriter{w: w}
	n, err := io.Copy(io.MultiWriter(sw, h), io.LimitReader(r, limit+1))
	if sw.err != nil {
		return 0, digest, scratch.FileError("writing a scratch file", sw.err)
	}
	if err != nil {
		return 0, digest, errcode.Wrap(errcode.InvalidMedia, err)
	}
	if n > limit {
		return 0, digest, errcode.Errorf(errcode.TooLarge, "file is larger than %d bytes", limit)
	}
	copy(digest[:], h.Sum(nil))
	return n, digest, nil
}

// scratchWriter remembers the first error of its writer, so that a write
// failure is told from a read failure of the same io.Copy.
type scratchWriter struct {
	w   io.Writer
	err error
}

func (s *scratchWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}

// wholePart is the part for a clip or recording sent whole: the file at
// path copied into one with no metadata at all (tags, chapters, cover art,
// subtitles, and the metadata inside frames: SEI removed, MJPEG and other
// codecs whose frames carry EXIF re-encoded; see video.Sanitize), held in
// memory when it fits the provider's inline limit, else streamed from the
// scratch folder.
func (pl *Pipeline) wholePart(ctx context.Context, tools video.Tools, path string, f media.Format, codec string, audioOnly bool) (provider.Part, error) {
	clean := path + ".clean"
	if err := video.Sanitize(ctx, tools, path, clean, string(f), codec, audioOnly); err != nil {
		return provider.Part{}, timedError(err)
	}
	info, err := os.Stat(clean)
	if err != nil {
		return provider.Part{}, scratch.FileError("reading a scratch file", err)
	}
	part := provider.Part{MIMEType: f.MIMEType(), Size: info.Size()}
	if pl.fitsInline(info.Size()) {
		part.Data, err = os.ReadFile(clean)
		if err != nil {
			return provider.Part{}, scratch.FileError("reading a scratch file", err)
		}
		return part, nil
	}
	if !pl.canSend(info.Size()) {
		return provider.Part{}, errcode.Errorf(errcode.TooLarge, "%d bytes is more than the provider takes", info.Size())
	}
	part.Open = func() (io.ReadCloser, error) { return os.Open(clean) }
	return part, nil
}

// pathless drops the path from a file-system error: scratch paths are no
// business of the caller's logs.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s scratch file: %w", pe.Op, pe.Err)
	}
	return err
}

// timedError gives the video and audio packages' errors a code: their
// sentinels have their own; anything else (a tool that failed on the
// file) is invalid_media.
func timedError(err error) error { return errcode.WrapIfNone(errcode.InvalidMedia, err) }

// fitsInline reports whether size bytes may be sent in one request.
func (pl *Pipeline) fitsInline(size int64) bool {
	return pl.caps.MaxInlineBytes == 0 || size <= pl.caps.MaxInlineBytes
}

// canSend reports whether a media part of size bytes can reach the
// provider whole: inline, or through its upload API.
func (pl *Pipeline) canSend(size int64) bool {
	return pl.fitsInline(size) || size <= pl.caps.MaxUploadBytes
}

func (pl *Pipeline) prepareVideo(ctx context.Context, j *job, tools video.Tools, path string, size int64, f media.Format) {
	info, err := video.Probe(ctx, tools, path)
	if err != nil {
		j.fail(timedError(err))
		return
	}
	if !info.HasVideo {
		j.fail(errcode.New(errcode.UnsupportedMedia, "the file has no video stream"))
		return
	}
	// info.Duration is measured from the packets (video.Probe refuses a
	// file whose headers declare another length): it is what is billed.
	if err := pl.checkDuration(info.Duration); err != nil {
		j.fail(err)
		return
	}
	j.duration, j.result.Duration = info.Duration, info.Duration
	j.result.Width, j.result.Height = info.Width, info.Height
	j.extra = video.Classify(info)
	if m, err := video.CameraMotion(ctx, tools, path, info); err == nil {
		j.extra = append(j.extra, m.Camera.Keywords()...)
	} else if ctx.Err() != nil {
		j.fail(timedError(err))
		return
	}
	if pl.caps.Video && pl.canSend(size) {
		part, err := pl.wholePart(ctx, tools, path, f, info.Codec, false)
		if err != nil {
			j.fail(err)
			return
		}
		part.Width, part.Height = info.Width, info.Height
		j.parts = []provider.Part{part}
		return
	}
	edge := pl.cfg.ImageSize
	if edge == 0 {
		edge, j.detail = shape.ChooseImage(pl.caps, info.Width, info.Height)
	}
	frames, err := video.Frames(ctx, tools, path, video.FrameOptions{
		Max: max(pl.caps.MaxImagesPerItem, 1), LongEdge: edge, Info: &info,
	})
	if err != nil {
		j.fail(timedError(err))
		return
	}
	if len(frames) == 0 {
		j.fail(errcode.New(errcode.InvalidMedia, "no frame could be extracted"))
		return
	}
	// Frames come from ffmpeg as JPEG only, never decoded here, so their
	// parts carry no Image even for a provider that declares Pixels.
	for _, fr := range frames {
		j.parts = append(j.parts, provider.Part{MIMEType: "image/jpeg", Data: fr.JPEG, Width: fr.Width, Height: fr.Height})
	}
}

// maxAudioSent bounds the audio sent when the original exceeds the
// provider's inline limit and is transcoded down.
const maxAudioSent = 5 * 60e9

func (pl *Pipeline) prepareAudio(ctx context.Context, j *job, tools video.Tools, path string, size int64, f media.Format) {
	info, err := audio.Probe(ctx, tools, path)
	if err != nil {
		j.fail(timedError(err))
		return
	}
	// Measured, like a video's (see prepareVideo).
	if err := pl.checkDuration(info.Duration); err != nil {
		j.fail(err)
		return
	}
	j.duration, j.result.Duration = info.Duration, info.Duration
	bpm, ok, err := audio.Tempo(ctx, tools, path)
	if err != nil && ctx.Err() != nil {
		j.fail(timedError(err))
		return
	}
	j.extra = audio.Classify(info, bpm, ok && err == nil)
	if pl.canSend(size) {
		part, err := pl.wholePart(ctx, tools, path, f, "", true)
		if err != nil {
			j.fail(err)
			return
		}
		j.parts = []provider.Part{part}
		return
	}
	var buf bytes.Buffer
	if err := audio.Transcode(ctx, tools, path, &buf, audio.TranscodeMP3, maxAudioSent); err != nil {
		j.fail(timedError(err))
		return
	}
	if !pl.fitsInline(int64(buf.Len())) {
		j.fail(errcode.New(errcode.TooLarge, "the audio is too long to send, even transcoded"))
		return
	}
	// Only what is sent is billed: the transcode stops at maxAudioSent.
	j.duration = min(j.duration, maxAudioSent)
	j.parts = []provider.Part{{MIMEType: "audio/mpeg", Data: buf.Bytes()}}
}
