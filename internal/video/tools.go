package video

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/picfre/picfre/errcode"
)

// ErrToolMissing is returned (wrapped) when ffmpeg or ffprobe cannot be
// found. The message names the Debian package to install; retrying without
// installing it cannot help.
var ErrToolMissing = errcode.New(errcode.UnsupportedMedia, "ffmpeg/ffprobe not found: install the Debian package ffmpeg")

// ErrUnsupported is returned (wrapped in an *Error) for a file ffprobe
// reads but picfre does not process: a container outside the allowed list,
// a file without the stream asked for, or one without a usable duration.
var ErrUnsupported = errcode.New(errcode.UnsupportedMedia, "unsupported media")

// ErrInvalid is returned (wrapped in an *Error) for a file that ffprobe or
// ffmpeg cannot read: corrupt, truncated or not media at all.
var ErrInvalid = errcode.New(errcode.InvalidMedia, "invalid media")

// ErrResources is returned (wrapped in an *Error) when ffmpeg could not
// write its output because local resources ran out: the scratch disk is
// full, a quota is exceeded, or too many files are open. The file being
// processed is not at fault; the code is errcode.Internal.
var ErrResources = errcode.New(errcode.Internal, "local resources exhausted (scratch disk full, quota or open files)")

// resourceMessages are the strerror texts ffmpeg prints for the errors
// ErrResources stands for.
var resourceMessages = []string{"No space left on device", "Disk quota exceeded", "File too large", "Too many open files"}

// failure is the sentinel for a tool that failed with stderr: ErrResources
// when it says local resources ran out, else ErrInvalid.
func failure(stderr []byte) error {
	for _, m := range resourceMessages {
		if bytes.Contains(stderr, []byte(m)) {
			return ErrResources
		}
	}
	return ErrInvalid
}

// Error is a failure of ffprobe or ffmpeg on a file. Its message never
// holds the file's path or content; Detail is a short reason.
type Error struct {
	Op     string // "probe", "frames", "decode", ...
	Err    error  // ErrInvalid, ErrUnsupported, ErrToolMissing or a context error
	Detail string
}

func (e *Error) Error() string {
	s := "video: " + e.Op + ": " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel (or context error) classifying the failure.
func (e *Error) Unwrap() error { return e.Err }

// Tools are the paths of the ffmpeg and ffprobe executables. The zero
// value is not usable; get one from LookTools or fill both paths.
type Tools struct {
	FFmpeg  string
	FFprobe string
}

// LookTools finds ffmpeg and ffprobe on PATH. When either is missing it
// returns an error wrapping ErrToolMissing that names the Debian package.
func LookTools() (Tools, error) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return Tools{}, ErrToolMissing
	}
	fp, err := exec.LookPath("ffprobe")
	if err != nil {
		return Tools{}, ErrToolMissing
	}
	return Tools{FFmpeg: ff, FFprobe: fp}, nil
}

func (t Tools) check() error {
	if t.FFmpeg == "" || t.FFprobe == "" {
		return ErrToolMissing
	}
	return nil
}

// inputURL turns a path into an ffmpeg input that can be neither an option
// (a name starting with "-") nor another protocol ("http:", "concat:").
func inputURL(path string) string { return "file:" + path }

// limitedBuffer keeps the first max bytes written and counts the rest.
type limitedBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	room := l.max - l.buf.Len()
	if room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	if len(p) > room {
		l.dropped += len(p) - max(room, 0)
	}
	return len(p), nil
}

// lastLine returns the last non-empty line of a tool's stderr, trimmed to a
// short length, without any path: ffmpeg prefixes messages with the input
// URL, which is cut away.
func lastLine(stderr []byte, path string) string {
	lines := strings.Split(strings.TrimSpace(string(stderr)), "\n")
	s := strings.TrimSpace(lines[len(lines)-1])
	if path != "" {
		s = strings.ReplaceAll(s, inputURL(path), "input")
		s = strings.ReplaceAll(s, path, "input")
	}
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}

// Command returns an exec.Cmd for a tool that is stopped for good when
// ctx is done: the tool runs in its own process group, the whole group is
// killed (a wrapper script's children too), and Wait gives up on output
// pipes a stray child still holds after a short delay.
func Command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// A negative pid signals the process group.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// run executes a tool, returning its stdout (at most maxOut bytes: more is
// an error) and a short stderr summary. The process is killed when ctx is
// done.
func run(ctx context.Context, bin string, args []string, maxOut int) (stdout []byte, stderr []byte, err error) {
	cmd := Command(ctx, bin, args...)
	var errBuf = &limitedBuffer{max: 8 << 10}
	cmd.Stderr = errBuf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	data, rerr := io.ReadAll(io.LimitReader(out, int64(maxOut)+1))
	if rerr == nil && len(data) > maxOut {
		rerr = fmt.Errorf("output larger than %d bytes", maxOut)
		_ = cmd.Process.Kill()
	}
	if rerr != nil {
		_, _ = io.Copy(io.Discard, out)
	}
	werr := cmd.Wait()
	if ctx.Err() != nil {
		return nil, errBuf.buf.Bytes(), ctx.Err()
	}
	if rerr != nil {
		return nil, errBuf.buf.Bytes(), rerr
	}
	return data, errBuf.buf.Bytes(), werr
}
