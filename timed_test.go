package picfre_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/mediatest"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/provider/gemini"
)

func makeClip(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	bin := testenv.Tool(t, "ffmpeg", "ffmpeg")
	out := filepath.Join(dir, name)
	if b, err := exec.Command(bin, append(append([]string{"-v", "error", "-y"}, args...), out)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	return out
}

// TestClipsReachProvidersWithoutMetadata: a video and a recording sent
// whole to a provider that takes them carry the picture and the sound,
// not the titles, artists, comments and locations their files hold.
func TestClipsReachProvidersWithoutMetadata(t *testing.T) {
	dir := t.TempDir()
	tags := []string{"-metadata", "title=SECRET-CLIENT-ACME", "-metadata", "artist=Jane Doe",
		"-metadata", "comment=jane@example.com", "-metadata", "location=+59.3293+018.0686/"}
	mp4 := makeClip(t, dir, "clip.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=2",
		"-f", "lavfi", "-i", "sine=duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest"}, tags...)...)
	mp3 := makeClip(t, dir, "song.mp3", append([]string{"-f", "lavfi", "-i", "sine=duration=2", "-c:a", "libmp3lame"}, tags...)...)
	for _, f := range []string{mp4, mp3} {
		raw, _ := os.ReadFile(f)
		if !bytes.Contains(raw, []byte("SECRET-CLIENT-ACME")) {
			t.Fatalf("%s: the fixture lacks its tags", f)
		}
	}
	p := fake.New(fake.Options{Capabilities: provider.Capabilities{Video: true, Audio: true}})
	pl := picfre.New(p, picfre.Config{ScratchDir: t.TempDir()})
	for _, f := range []string{mp4, mp3} {
		if _, err := pl.Tag(t.Context(), picfre.File(f), picfre.Options{}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	reqs := p.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, want := range []string{"video/mp4", "audio/mpeg"} {
		part := reqs[i].Parts[0]
		if part.MIMEType != want || len(part.Data) < 1000 {
			t.Fatalf("request %d: %s, %d bytes", i, part.MIMEType, len(part.Data))
		}
		for _, leak := range []string{"SECRET-CLIENT-ACME", "Jane Doe", "jane@example.com", "+59.3293", "ID3"} {
			if bytes.Contains(part.Data, []byte(leak)) {
				t.Errorf("%s part carries %q", want, leak)
			}
		}
	}
}

// TestScratchRemovedWhenCancelledDuringFFmpeg cancels while ffmpeg is
// still at work on a video (a wrapper holds it back) and checks that the
// scratch folder is gone when Tag returns.
func TestScratchRemovedWhenCancelledDuringFFmpeg(t *testing.T) {
	ffmpegBin := testenv.Tool(t, "ffmpeg", "ffmpeg")
	ffprobeBin := testenv.Tool(t, "ffprobe", "ffmpeg")
	dir := t.TempDir()
	clip := makeClip(t, dir, "clip.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=3",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
	started := filepath.Join(dir, "started")
	slow := filepath.Join(dir, "slow-ffmpeg")
	script := "#!/bin/sh\ntouch '" + started + "'\nsleep 30\nexec '" + ffmpegBin + "' \"$@\"\n"
	if err := os.WriteFile(slow, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{ScratchDir: scratch, FFmpeg: slow, FFprobe: ffprobeBin})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for {
			if _, err := os.Stat(started); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	start := time.Now()
	_, err := pl.Tag(ctx, picfre.File(clip), picfre.Options{})
	if !errors.Is(err, errcode.Canceled) {
		t.Fatalf("got %v, want canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Tag took %s after cancel: ffmpeg was not stopped", d)
	}
	entries, _ := os.ReadDir(scratch)
	if len(entries) != 0 {
		t.Fatalf("scratch left after cancellation: %v", entries)
	}
}

// TestLargeClipUploadedAndDeleted: a clip over Gemini's inline limit is
// streamed from the scratch folder through the Files API, referenced in
// the request, and deleted afterwards; nothing stays in the scratch
// folder or at the provider.
func TestLargeClipUploadedAndDeleted(t *testing.T) {
	dir := t.TempDir()
	clip := makeClip(t, dir, "clip.mp4", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=4",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-metadata", "title=SECRET-TITLE")
	s := wiretest.NewGemini(t)
	g, err := gemini.New(gemini.Options{APIKey: s.Secret(), BaseURL: s.BaseURL(), MaxInlineBytes: 32 << 10, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	pl := picfre.New(g, picfre.Config{ScratchDir: scratch})
	res, err := pl.Tag(t.Context(), picfre.File(clip), picfre.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != "video" || res.Title == "" {
		t.Fatalf("result %+v", res)
	}
	ups := s.Uploads()
	if len(ups) != 1 || len(ups[0].Data) <= 32<<10 || bytes.Contains(ups[0].Data, []byte("SECRET-TITLE")) {
		t.Fatalf("%d uploads (want 1 clip over the inline limit, without its metadata)", len(ups))
	}
	if files := s.Files(); len(files) != 0 {
		t.Fatalf("uploaded files left at the provider: %v", files)
	}
	if entries, _ := os.ReadDir(scratch); len(entries) != 0 {
		t.Fatalf("scratch left: %v", entries)
	}
}

// TestScratchFoldersDoNotPileUp: eight recordings share a group; while
// each is at the provider, at most its own scratch folder exists (inline
// parts need none at all), not one per file of the group.
func TestScratchFoldersDoNotPileUp(t *testing.T) {
	dir := t.TempDir()
	var batch []picfre.Media
	for i := range 8 {
		f := makeClip(t, dir, fmt.Sprintf("tone-%d.wav", i), "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=%d:duration=1", 300+40*i))
		batch = append(batch, picfre.File(f))
	}
	scratch := t.TempDir()
	var mu sync.Mutex
	most := 0
	p := fake.New(fake.Options{Capabilities: provider.Capabilities{Audio: true, MaxItemsPerRequest: 8}, Respond: func(*provider.Request) fake.Step {
		entries, _ := os.ReadDir(scratch)
		mu.Lock()
		most = max(most, len(entries))
		mu.Unlock()
		return fake.Step{}
	}})
	pl := picfre.New(p, picfre.Config{ScratchDir: scratch})
	err := pl.TagAll(t.Context(), slices.Values(batch), picfre.Options{Concurrency: 1}, func(r *picfre.Result) error {
		if r.Err != nil {
			t.Error(r.Err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Calls() != 8 || most > 0 {
		t.Fatalf("%d requests; up to %d scratch folders existed during a request, want none (inline audio)", p.Calls(), most)
	}
}

// recordingMeter remembers the credits of every hold asked for and what
// was captured.
type recordingMeter struct {
	metering.Discard
	mu       sync.Mutex
	held     []int64
	captured int
}

func (m *recordingMeter) Authorize(ctx context.Context, a metering.Authorization) (metering.Hold, error) {
	m.mu.Lock()
	m.held = append(m.held, a.Credits)
	m.mu.Unlock()
	return m.Discard.Authorize(ctx, a)
}

func (m *recordingMeter) Capture(ctx context.Context, h metering.Hold, e metering.Event) error {
	m.mu.Lock()
	m.captured++
	m.mu.Unlock()
	return m.Discard.Capture(ctx, h, e)
}

// withDuration copies the clip at src into dir with every duration its
// headers declare set to d (the samples keep their real times).
func withDuration(t *testing.T, src, dir, name string, d time.Duration, set func([]byte, time.Duration) error) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := set(data, d); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	if err := os.WriteFile(out, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func setMP4(b []byte, d time.Duration) error { _, err := mediatest.SetMP4Duration(b, d); return err }
func setXing(b []byte, d time.Duration) error {
	return mediatest.SetXingFrames(b, mediatest.XingFrames(d, 44100))
}

// TestBillingCountsMeasuredDuration (issue 11): at 1 credit a file plus
// 10 a started minute, an honest 3-second clip holds 11 and a 5-minute
// one 51, measured from their packets; the same clips with headers that
// claim 10 hours or 1 ms (MP4 mvhd/tkhd/mdhd, an MP3's Xing frame count,
// an M4A) are refused as invalid_media before anything is held; and a
// clip past Config.MaxDuration is refused as too_large, so no file ever
// holds more than the price of the ceiling.
func TestBillingCountsMeasuredDuration(t *testing.T) {
	dir := t.TempDir()
	mp4 := makeClip(t, dir, "3s.mp4", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=3",
		"-f", "lavfi", "-i", "sine=duration=3", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest")
	long := makeClip(t, dir, "5min.mp4", "-f", "lavfi", "-i", "color=c=gray:s=32x32:r=2:d=300",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
	mp3 := makeClip(t, dir, "3s.mp3", "-f", "lavfi", "-i", "sine=duration=3:r=44100", "-c:a", "libmp3lame", "-q:a", "4")
	longMP3 := makeClip(t, dir, "5min.mp3", "-f", "lavfi", "-i", "sine=duration=290:r=44100", "-c:a", "libmp3lame", "-q:a", "9")
	m4a := makeClip(t, dir, "3s.m4a", "-f", "lavfi", "-i", "sine=duration=3", "-c:a", "aac")
	pricing := metering.Pricing{Rates: []metering.Rate{{Base: 1, PerUnit: 10}}}
	caps := provider.Capabilities{Video: true, Audio: true}
	tests := []struct {
		name string
		path string
		max  time.Duration
		held int64 // -1: refused before any hold
		code errcode.Code
	}{
		{"honest mp4", mp4, 0, 11, ""},
		{"honest 5 min mp4", long, 0, 51, ""},
		{"honest mp3", mp3, 0, 11, ""},
		{"honest 4:50 mp3", longMP3, 0, 51, ""}, // LAME pads 300 s to 300.04 s: 61
		{"honest m4a", m4a, 0, 11, ""},
		{"mp4 says 10 h", withDuration(t, mp4, dir, "10h.mp4", 10*time.Hour, setMP4), 0, -1, errcode.InvalidMedia},
		{"mp4 says 1 ms", withDuration(t, long, dir, "1ms.mp4", time.Millisecond, setMP4), 0, -1, errcode.InvalidMedia},
		{"mp3 says 10 h", withDuration(t, mp3, dir, "10h.mp3", 10*time.Hour, setXing), 0, -1, errcode.InvalidMedia},
		{"mp3 says 1 ms", withDuration(t, longMP3, dir, "1ms.mp3", time.Millisecond, setXing), 0, -1, errcode.InvalidMedia},
		{"m4a says 10 h", withDuration(t, m4a, dir, "10h.m4a", 10*time.Hour, setMP4), 0, -1, errcode.InvalidMedia},
		{"past MaxDuration", long, 4 * time.Minute, -1, errcode.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &recordingMeter{}
			p := fake.New(fake.Options{Capabilities: caps})
			pl := picfre.New(p, picfre.Config{Meter: m, Pricer: pricing, ScratchDir: t.TempDir(), MaxDuration: tt.max})
			res, err := pl.Tag(t.Context(), picfre.File(tt.path), picfre.Options{Account: "acct"})
			if tt.held < 0 {
				if errcode.Of(err) != tt.code || len(m.held) != 0 || p.Calls() != 0 {
					t.Fatalf("err %v (code %s), holds %v, %d provider calls; want %s, nothing held or sent", err, errcode.Of(err), m.held, p.Calls(), tt.code)
				}
				if strings.Contains(err.Error(), dir) {
					t.Fatalf("message has the path: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (code %s)", err, errcode.Of(err))
			}
			if !slices.Equal(m.held, []int64{tt.held}) || m.captured != 1 || res.Usage.Credits != tt.held {
				t.Fatalf("held %v, captured %d, result charged %d; want %d", m.held, m.captured, res.Usage.Credits, tt.held)
			}
		})
	}
}

// TestMJPEGFramesReachProviderWithoutEXIF (issue 11): an MJPEG clip whose
// every frame is a JPEG with EXIF (artist, serial number, GPS), in AVI,
// MOV and MP4, is sent whole to Gemini without any of it: stream copy
// would keep each frame's APP1, so such codecs are re-encoded.
func TestMJPEGFramesReachProviderWithoutEXIF(t *testing.T) {
	ffmpeg := testenv.Tool(t, "ffmpeg", "ffmpeg")
	dir := t.TempDir()
	if b, err := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5:duration=2",
		"-c:v", "mjpeg", "-q:v", "5", filepath.Join(dir, "f%03d.jpg")).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	frames, _ := filepath.Glob(filepath.Join(dir, "f*.jpg"))
	if len(frames) < 5 {
		t.Fatalf("%d frames", len(frames))
	}
	app1 := mediatest.EXIFSegment(mediatest.EXIF{Artist: "Jane Artist-Doe", Serial: "CAM-SERIAL-7734", Latitude: 59})
	for _, f := range frames {
		b, err := os.ReadFile(f)
		if err == nil {
			b, err = mediatest.InjectSegment(b, app1)
		}
		if err == nil {
			err = os.WriteFile(f, b, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	leaks := [][]byte{[]byte("Exif\x00\x00"), []byte("Jane Artist-Doe"), []byte("CAM-SERIAL-7734"), app1[len(app1)-24:]}
	s := wiretest.NewGemini(t)
	g, err := gemini.New(gemini.Options{APIKey: s.Secret(), BaseURL: s.BaseURL()})
	if err != nil {
		t.Fatal(err)
	}
	pl := picfre.New(g, picfre.Config{ScratchDir: t.TempDir()})
	for _, ext := range []string{"avi", "mov", "mp4"} {
		t.Run(ext, func(t *testing.T) {
			clip := filepath.Join(dir, "clip."+ext)
			if b, err := exec.Command(ffmpeg, "-v", "error", "-y", "-framerate", "5", "-i", filepath.Join(dir, "f%03d.jpg"),
				"-c:v", "copy", clip).CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, b)
			}
			raw, err := os.ReadFile(clip)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range leaks {
				if bytes.Count(raw, l) < len(frames) {
					t.Fatalf("the fixture's frames lack %q", l)
				}
			}
			s.Reset()
			res, err := pl.Tag(t.Context(), picfre.File(clip), picfre.Options{})
			if err != nil {
				t.Fatalf("%v (code %s)", err, errcode.Of(err))
			}
			if res.Kind != "video" {
				t.Fatalf("kind %q", res.Kind)
			}
			reqs := s.Requests()
			if len(reqs) != 1 || len(reqs[0].Media) != 1 || !strings.HasPrefix(reqs[0].Media[0].MIMEType, "video/") || len(reqs[0].Media[0].Data) < 1000 {
				t.Fatalf("%d requests, want one with the clip", len(reqs))
			}
			sent := reqs[0].Media[0].Data
			for _, l := range leaks {
				if bytes.Contains(sent, l) {
					t.Errorf("the clip sent carries %q", l)
				}
			}
			for _, w := range s.Wire() {
				if bytes.Contains(w, []byte("CAM-SERIAL-7734")) || bytes.Contains(w, []byte("Jane Artist-Doe")) {
					t.Error("the wire carries the EXIF")
				}
			}
		})
	}
}
