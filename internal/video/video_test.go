package video

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLookToolsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := LookTools()
	if !errors.Is(err, ErrToolMissing) {
		t.Fatalf("err = %v, want ErrToolMissing", err)
	}
	if !strings.Contains(err.Error(), "Debian package ffmpeg") {
		t.Fatalf("message %q does not name the package", err)
	}
	if _, err := Probe(t.Context(), Tools{}, "x.mp4"); !errors.Is(err, ErrToolMissing) {
		t.Fatalf("Probe with zero Tools = %v", err)
	}
	if _, err := Frames(t.Context(), Tools{}, "x.mp4", FrameOptions{}); !errors.Is(err, ErrToolMissing) {
		t.Fatalf("Frames with zero Tools = %v", err)
	}
}

func TestProbe(t *testing.T) {
	tests := []struct {
		name     string
		path     func(testing.TB) string
		w, h     int
		fps      float64
		dur      time.Duration
		audio    bool
		rotation int
	}{
		{"20s 1080p", clip20s1080p, 1920, 1080, 10, 20 * time.Second, true, 0},
		{"4K", clip4K, 3840, 2160, 25, 2 * time.Second, false, 0},
		{"120fps", clip120fps, 640, 360, 120, 2 * time.Second, false, 0},
		{"portrait", clipPortrait, 720, 1280, 30, 3 * time.Second, false, 0},
		{"rotated", clipRotated, 720, 1280, 30, 2 * time.Second, false, 90},
	}
	tools := needTools(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Probe(t.Context(), tools, tt.path(t))
			if err != nil {
				t.Fatal(err)
			}
			if !info.HasVideo || info.Width != tt.w || info.Height != tt.h || info.FPS != tt.fps || info.Codec != "h264" {
				t.Fatalf("info = %+v, want %d×%d at %v fps", info, tt.w, tt.h, tt.fps)
			}
			if d := info.Duration - tt.dur; d < -100*time.Millisecond || d > 100*time.Millisecond {
				t.Fatalf("duration %v, want about %v", info.Duration, tt.dur)
			}
			if info.HasAudio != tt.audio || info.Rotation != tt.rotation {
				t.Fatalf("audio %v rotation %d, want %v %d", info.HasAudio, info.Rotation, tt.audio, tt.rotation)
			}
		})
	}
}

func TestProbeRefuses(t *testing.T) {
	tools := needTools(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "-not-video.mp4") // a leading dash must not become an option
	if err := os.WriteFile(text, []byte("hello, this is text"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Probe(t.Context(), tools, text)
	if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Probe(text) = %v", err)
	}
	if strings.Contains(err.Error(), dir) {
		t.Fatalf("error leaks the path: %v", err)
	}
	// A playlist is a container picfre never follows.
	m3u := filepath.Join(dir, "list.m3u8")
	if err := os.WriteFile(m3u, []byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n"+clip4K(t)+"\n#EXT-X-ENDLIST\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Probe(t.Context(), tools, m3u); !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrInvalid) {
		t.Fatalf("Probe(playlist) = %v, want refused", err)
	}
	if _, err := Probe(t.Context(), tools, filepath.Join(dir, "missing.mp4")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Probe(missing) = %v", err)
	}
}

func checkFrames(t *testing.T, frames []Frame, n, longEdge int, dur time.Duration) {
	t.Helper()
	if len(frames) != n {
		t.Fatalf("%d frames, want %d", len(frames), n)
	}
	for i, f := range frames {
		img, err := jpeg.Decode(bytes.NewReader(f.JPEG))
		if err != nil {
			t.Fatalf("frame %d is not a JPEG: %v", i, err)
		}
		b := img.Bounds()
		if b.Dx() != f.Width || b.Dy() != f.Height || max(f.Width, f.Height) != longEdge {
			t.Fatalf("frame %d is %v, reported %d×%d, want long edge %d", i, b, f.Width, f.Height, longEdge)
		}
		if f.At < 0 || f.At >= dur || (i > 0 && f.At <= frames[i-1].At) {
			t.Fatalf("frame %d at %v: not in order within %v", i, f.At, dur)
		}
	}
}

func TestFrames20s1080p(t *testing.T) {
	tools := needTools(t)
	path := clip20s1080p(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // anything ffmpeg would write to a temp folder lands here
	frames, err := Frames(t.Context(), tools, path, FrameOptions{Max: 6, LongEdge: 512})
	if err != nil {
		t.Fatal(err)
	}
	checkFrames(t, frames, 6, 512, 20*time.Second)
	if frames[0].Width != 512 || frames[0].Height != 288 {
		t.Fatalf("frame size %d×%d, want 512×288", frames[0].Width, frames[0].Height)
	}
	// Evenly spread: the middles of six equal segments.
	for i, f := range frames {
		want := time.Duration(i)*20*time.Second/6 + 20*time.Second/12
		if d := f.At - want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("frame %d at %v, want %v", i, f.At, want)
		}
	}
	// testsrc2 draws a moving pattern: frames must differ.
	if bytes.Equal(frames[0].JPEG, frames[5].JPEG) {
		t.Fatal("first and last frames are identical")
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("%d files left in the temp folder", len(entries))
	}
}

func TestFramesDefaultsAndKinds(t *testing.T) {
	tools := needTools(t)
	tests := []struct {
		name    string
		path    func(testing.TB) string
		opts    FrameOptions
		n, edge int
		w, h    int
	}{
		{"4K default", clip4K, FrameOptions{}, 8, DefaultLongEdge, 768, 432},
		{"portrait", clipPortrait, FrameOptions{Max: 3, LongEdge: 320}, 3, 320, 180, 320},
		{"rotated", clipRotated, FrameOptions{Max: 2, LongEdge: 320}, 2, 320, 180, 320},
		{"no upscale", clip120fps, FrameOptions{Max: 2, LongEdge: 2000}, 2, 640, 640, 360},
		{"above MaxFrames", clipTiny, FrameOptions{Max: 1000, LongEdge: 64}, MaxFrames, 64, 64, 36},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			info, err := Probe(t.Context(), tools, path)
			if err != nil {
				t.Fatal(err)
			}
			frames, err := Frames(t.Context(), tools, path, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkFrames(t, frames, tt.n, tt.edge, info.Duration)
			if frames[0].Width != tt.w || frames[0].Height != tt.h {
				t.Fatalf("frame %d×%d, want %d×%d", frames[0].Width, frames[0].Height, tt.w, tt.h)
			}
		})
	}
}

func TestFramesShortClip(t *testing.T) {
	tools := needTools(t)
	path := clip(t, "3frames.mp4", append([]string{"-f", "lavfi", "-i", "testsrc2=s=160x90:r=10:d=0.3"}, x264...)...)
	frames, err := Frames(t.Context(), tools, path, FrameOptions{Max: 8, LongEdge: 160})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) < 1 || len(frames) > 3 {
		t.Fatalf("%d frames from a 3-frame clip", len(frames))
	}
}

func TestFramesSceneChanges(t *testing.T) {
	tools := needTools(t)
	frames, err := Frames(t.Context(), tools, clipCuts(t), FrameOptions{Max: 4, LongEdge: 160, SceneThreshold: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	checkFrames(t, frames, 4, 160, 8*time.Second)
	// Segments of 2 s: cuts at 1.3 and 3.7 fill the first two, the third
	// has none (its middle, 5 s, is used), the fourth has the cut at 6.1.
	want := []time.Duration{1320 * time.Millisecond, 3720 * time.Millisecond, 5025 * time.Millisecond, 6120 * time.Millisecond}
	for i, f := range frames {
		if d := f.At - want[i]; d < -50*time.Millisecond || d > 50*time.Millisecond {
			t.Errorf("frame %d at %v, want %v", i, f.At, want[i])
		}
	}
	// The chosen frames show the new grey after each cut.
	levels := []uint32{0x60, 0xc4, 0xc4, 0x00}
	for i, f := range frames {
		img, _ := jpeg.Decode(bytes.NewReader(f.JPEG))
		r, _, _, _ := img.At(80, 60).RGBA()
		if got := r >> 8; got+8 < levels[i] || got > levels[i]+8 {
			t.Errorf("frame %d has grey level %#x, want %#x", i, got, levels[i])
		}
	}
}

func TestFramesCancelled(t *testing.T) {
	tools := needTools(t)
	path := clip20s1080p(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, scene := range []float64{0, 0.3} {
		ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
		start := time.Now()
		_, err := Frames(ctx, tools, path, FrameOptions{Max: MaxFrames, LongEdge: 1920, SceneThreshold: scene})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("scene %v: err = %v, want the deadline", scene, err)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Fatalf("scene %v: cancellation took %v", scene, el)
		}
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("%d files left after cancellation", len(entries))
	}
	if n := ffmpegChildren(t); n != 0 {
		t.Fatalf("%d ffmpeg processes still running", n)
	}
}

// ffmpegChildren counts live ffmpeg processes whose parent is this test.
func ffmpegChildren(t *testing.T) int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	me := os.Getpid()
	n := 0
	for _, d := range dirs {
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "(ffmpeg") {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(me) && f[0] != "Z" {
			n++
		}
	}
	return n
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		info Info
		want []string
		not  []string
	}{
		{"4K", Info{HasVideo: true, Width: 3840, Height: 2160, FPS: 25, Duration: 2 * time.Second}, []string{"4K", "UHD", "short clip", "no sound"}, []string{"HD", "slow motion"}},
		{"1080p", Info{HasVideo: true, Width: 1920, Height: 1080, FPS: 29.97, Duration: 20 * time.Second, HasAudio: true}, []string{"full HD", "1080p", "HD"}, []string{"short clip", "no sound", "high frame rate"}},
		{"vertical 1080", Info{HasVideo: true, Width: 1080, Height: 1920, FPS: 30, Duration: 30 * time.Second}, []string{"full HD", "vertical video"}, nil},
		{"720p60", Info{HasVideo: true, Width: 1280, Height: 720, FPS: 59.94, Duration: 90 * time.Second}, []string{"HD", "720p", "high frame rate", "60 fps", "long take"}, []string{"slow motion"}},
		{"120fps", Info{HasVideo: true, Width: 640, Height: 360, FPS: 120, Duration: 5 * time.Second}, []string{"SD", "slow motion", "120 fps"}, nil},
		{"square", Info{HasVideo: true, Width: 1080, Height: 1080, FPS: 25, Duration: 15 * time.Second}, []string{"square video"}, []string{"vertical video"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.info)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Classify = %v, missing %q", got, w)
				}
			}
			for _, w := range tt.not {
				if slices.Contains(got, w) {
					t.Errorf("Classify = %v, has %q", got, w)
				}
			}
		})
	}
	if got := Classify(Info{HasAudio: true}); got != nil {
		t.Errorf("Classify(audio only) = %v", got)
	}
}

func TestCameraMotion(t *testing.T) {
	tools := needTools(t)
	tests := []struct {
		name string
		path func(testing.TB) string
		want Camera
	}{
		{"pan", clipPan, Pan},
		{"tilt", clipTilt, Tilt},
		{"static", clipStatic, Static},
		{"testsrc2 moving pattern", clip20s1080p, Moving},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			info, err := Probe(t.Context(), tools, path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := CameraMotion(t.Context(), tools, path, info)
			if err != nil {
				t.Fatal(err)
			}
			if m.Camera != tt.want {
				t.Fatalf("motion = %+v, want %s", m, tt.want)
			}
			switch tt.want {
			case Pan:
				// The window moves right, so content moves left by
				// 160/640 = 0.25 of the width per second.
				if m.ShiftX > -0.15 || m.ShiftX < -0.35 {
					t.Errorf("ShiftX = %v, want about -0.25", m.ShiftX)
				}
			case Tilt:
				if m.ShiftY > -0.15 || m.ShiftY < -0.35 {
					t.Errorf("ShiftY = %v, want about -0.25", m.ShiftY)
				}
			}
			if len(m.Camera.Keywords()) == 0 {
				t.Error("no keywords")
			}
		})
	}
}
