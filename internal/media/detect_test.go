package media

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
		// QuickTime files need not start with ftyp (issue 11).
		{"mov moov first", "\x00\x00\x01\x00moov\x00\x00\x00\x6cmvhd\x00\x00\x00\x00", FormatMOV, KindVideo},
		{"mov wide mdat", "\x00\x00\x00\x08wide\x00\x10\x00\x00mdat\x00\x00", FormatMOV, KindVideo},
		{"mov free skip mdat 64-bit", "\x00\x00\x00\x0cfree\x00\x00\x00\x00\x00\x00\x00\x08skip\x00\x00\x00\x01mdat\x00\x00\x00\x01\x00\x00\x00\x00", FormatMOV, KindVideo},
		{"mov free then ftyp", "\x00\x00\x00\x08free\x00\x00\x00\x14ftypqt  \x20\x05\x03\x00", FormatMOV, KindVideo},
		{"m4a free then ftyp", "\x00\x00\x00\x08free\x00\x00\x00\x14ftypM4A \x00\x00\x00\x00", FormatM4A, KindAudio},
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
		// Canon CR3 is a raw still image in an ISO container (issue 11).
		{"canon cr3", "\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom", KindUnsupported},
		{"moov with a foreign child", "\x00\x00\x01\x00moov\x00\x00\x00\x10abcd", KindUnsupported},
		{"atom size below its header", "\x00\x00\x00\x04moov\x00\x00\x00\x6cmvhd", KindUnsupported},
		{"padding past the head", "\x00\x10\x00\x00free\x00\x00\x00\x00", KindUnsupported},
		{"free alone", "\x00\x00\x00\x08free", KindUnsupported},
		{"dfont", dfontHead, KindUnsupported},
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

// dfontHead is the start of a Mac resource-fork font (Font.dfont in the
// exiftool corpus): data offset 256, then map offset, data and map
// lengths, then zeros. Its first four bytes are those of an ICO.
var dfontHead = "\x00\x00\x01\x00\x00\x01\x2F\x46\x00\x01\x2E\x46\x00\x00\x00\x32" + strings.Repeat("\x00", 240)

// icoHead is a real icon directory: one 16×16 32-bit image of 1128 bytes
// right after the directory.
var icoHead = "\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00\x68\x04\x00\x00\x16\x00\x00\x00"

// TestDetectNamesRefusedFormats: the message of a refused file names its
// format only when the signature really is that format's (issue 11: a
// Mac font was called an ICO, a Canon raw was taken for video).
func TestDetectNamesRefusedFormats(t *testing.T) {
	tests := []struct {
		name, head string
		says       string
		notSays    []string
	}{
		{"ico", icoHead, "ICO", nil},
		{"cursor", "\x00\x00\x02\x00\x01\x00\x20\x20\x00\x00\x05\x00\x07\x00\x30\x01\x00\x00\x16\x00\x00\x00", "ICO", nil},
		{"dfont", dfontHead, "unknown", []string{"ICO"}},
		{"ico with no images", "\x00\x00\x01\x00\x00\x00" + strings.Repeat("\x00", 16), "unknown", []string{"ICO"}},
		{"ico entry inside the directory", "\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00\x68\x04\x00\x00\x02\x00\x00\x00", "unknown", []string{"ICO"}},
		{"ico odd bit depth", "\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x07\x00\x68\x04\x00\x00\x16\x00\x00\x00", "unknown", []string{"ICO"}},
		{"canon cr3", "\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom", "Canon CR3 raw", []string{"MP4", "video"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Detect([]byte(tt.head))
			if f != "" || kindOf(err) != KindUnsupported {
				t.Fatalf("Detect = %q, %v; want unsupported", f, err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("%q does not say %q", err, tt.says)
			}
			for _, s := range tt.notSays {
				if strings.Contains(err.Error(), s) {
					t.Errorf("%q says %q", err, s)
				}
			}
		})
	}
}

// TestDetectQuickTimeWithoutFtyp makes QuickTime files as older cameras
// write them, starting with moov (fast start) or with wide and mdat, by
// cutting ffmpeg's ftyp atom away, and checks that Detect calls them MOV
// and that ffprobe, which the video path runs next, reads them.
func TestDetectQuickTimeWithoutFtyp(t *testing.T) {
	ffmpeg := testenv.Tool(t, "ffmpeg", "ffmpeg")
	ffprobe := testenv.Tool(t, "ffprobe", "ffmpeg")
	dir := t.TempDir()
	for _, tt := range []struct {
		name  string
		flags []string
		first string
	}{
		{"moov first", []string{"-movflags", "+faststart"}, "moov"},
		{"wide mdat", nil, "wide"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "v.mov")
			args := append([]string{"-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.5", "-pix_fmt", "yuv420p"}, tt.flags...)
			if b, err := exec.Command(ffmpeg, append(args, out)...).CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, b)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if string(b[4:8]) != "ftyp" {
				t.Fatalf("ffmpeg wrote %q first", b[4:8])
			}
			b = b[binary.BigEndian.Uint32(b):]
			if string(b[4:8]) != tt.first {
				t.Fatalf("after ftyp comes %q, want %q", b[4:8], tt.first)
			}
			if err := os.WriteFile(out, b, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := Detect(b[:min(len(b), SniffLen)])
			if err != nil || f != FormatMOV {
				t.Fatalf("Detect = %q, %v; want mov", f, err)
			}
			if o, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", out).CombinedOutput(); err != nil || len(bytes.TrimSpace(o)) == 0 {
				t.Fatalf("ffprobe cannot read the file: %v\n%s", err, o)
			}
		})
	}
}
