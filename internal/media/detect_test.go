package media

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/picfre/picfre/internal/testenv"
)

func TestDetectHeaders(t *testing.T) {
	tests := []struct {
		name string
		head string
		want Format
		kind MediaKind
	}{
		{"jpeg", "\xFF\xD8\xFF\xE0", FormatJPEG, KindImage},
		{"wav", "RIFF\x24\x00\x00\x00WAVEfmt ", FormatWAV, KindAudio},
		{"avi", "RIFF\x24\x00\x00\x00AVI LIST", FormatAVI, KindVideo},
		{"flac", "fLaC\x00\x00\x00\x22", FormatFLAC, KindAudio},
		{"ogg", "OggS\x00\x02\x00\x00", FormatOGG, KindAudio},
		{"mp3 id3", "ID3\x04\x00\x00\x00\x00\x00\x00", FormatMP3, KindAudio},
		{"mp3 frame", "\xFF\xFB\x90\x64", FormatMP3, KindAudio},
		{"mp3 mpeg2 frame", "\xFF\xF3\x48\xC4", FormatMP3, KindAudio},
		{"m4a", "\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00", FormatM4A, KindAudio},
		{"mp4", "\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", FormatMP4, KindVideo},
		{"mov", "\x00\x00\x00\x14ftypqt  \x20\x05\x03\x00", FormatMOV, KindVideo},
		{"webm", "\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x84webm", FormatWebM, KindVideo},
		{"mkv", "\x1A\x45\xDF\xA3\xA3\x42\x86\x81\x01\x42\x82\x88matroska", FormatMKV, KindVideo},
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>`, FormatSVG, KindVector},
		{"svg prolog", "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\" [ <!ENTITY a \"b\"> ]>\n<svg>", FormatSVG, KindVector},
		{"eps", "%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10", FormatEPS, KindVector},
		{"dos eps", "\xC5\xD0\xD3\xC6\x20\x00\x00\x00", FormatEPS, KindVector},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Detect([]byte(tt.head))
			if err != nil || f != tt.want {
				t.Fatalf("Detect = %q, %v; want %q", f, err, tt.want)
			}
			if f.Kind() != tt.kind {
				t.Fatalf("Kind = %q, want %q", f.Kind(), tt.kind)
			}
			if f.MIMEType() == "application/octet-stream" {
				t.Fatalf("no MIME type for %q", f)
			}
			if tt.kind != KindImage {
				// Sniff keeps refusing what it cannot decode.
				if _, err := Sniff([]byte(tt.head)); kindOf(err) != KindUnsupported {
					t.Fatalf("Sniff(%s) = %v, want unsupported", tt.name, err)
				}
			}
		})
	}
}

func TestDetectRefuses(t *testing.T) {
	tests := []struct {
		name string
		head string
		kind Kind
	}{
		{"empty", "", KindInvalid},
		{"text", "hello world", KindUnsupported},
		{"html", "<!DOCTYPE html><html><svg></svg></html>", KindUnsupported},
		{"svg word in text", "this mentions <svg> later", KindUnsupported},
		{"svgfoo element", "<svgfoo>", KindUnsupported},
		{"unterminated comment", "<!-- <svg>", KindUnsupported},
		{"heic", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", KindUnsupported},
		{"avif", "\x00\x00\x00\x18ftypavif\x00\x00\x00\x00", KindUnsupported},
		{"postscript not eps", "%!PS-Adobe-3.0\n%%Pages: 1", KindUnsupported},
		{"pdf", "%PDF-1.7\n", KindUnsupported},
		{"mp3 reserved layer", "\xFF\xF9\x50\x80", KindUnsupported},
		{"mp3 bad bitrate", "\xFF\xFB\xF0\x64", KindUnsupported},
		{"one 0xFF", "\xFF", KindUnsupported},
		{"riff other", "RIFF\x00\x00\x00\x00CDXA", KindUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Detect([]byte(tt.head))
			if f != "" || kindOf(err) != tt.kind {
				t.Fatalf("Detect = %q, %v; want kind %v", f, err, tt.kind)
			}
		})
	}
}

// TestDetectRealFiles checks the headers ffmpeg writes for each container.
func TestDetectRealFiles(t *testing.T) {
	ffmpeg := testenv.Tool(t, "ffmpeg", "ffmpeg")
	dir := t.TempDir()
	tests := []struct {
		file string
		args []string
		want Format
	}{
		{"a.wav", []string{"-f", "lavfi", "-i", "sine=d=0.2"}, FormatWAV},
		{"a.mp3", []string{"-f", "lavfi", "-i", "sine=d=0.2"}, FormatMP3},
		{"a.flac", []string{"-f", "lavfi", "-i", "sine=d=0.2"}, FormatFLAC},
		{"a.ogg", []string{"-f", "lavfi", "-i", "sine=d=0.2", "-c:a", "libvorbis"}, FormatOGG},
		{"a.m4a", []string{"-f", "lavfi", "-i", "sine=d=0.2", "-c:a", "aac"}, FormatM4A},
		{"v.mp4", []string{"-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.2", "-pix_fmt", "yuv420p"}, FormatMP4},
		{"v.mov", []string{"-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.2", "-pix_fmt", "yuv420p"}, FormatMOV},
		{"v.webm", []string{"-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.2", "-c:v", "libvpx", "-b:v", "100k"}, FormatWebM},
		{"v.mkv", []string{"-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.2"}, FormatMKV},
		{"v.avi", []string{"-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.2"}, FormatAVI},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out := filepath.Join(dir, tt.file)
			args := append([]string{"-v", "error", "-y"}, tt.args...)
			if b, err := exec.Command(ffmpeg, append(args, out)...).CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, b)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Detect(b[:min(len(b), SniffLen)])
			if err != nil || f != tt.want {
				t.Fatalf("Detect = %q, %v; want %q", f, err, tt.want)
			}
		})
	}
}
