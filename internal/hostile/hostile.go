// Package hostile makes the hostile inputs of the adversarial review (issue
// 11) for tests: decompression and CPU bombs, files that lie about what
// they are or how long they last, names and file types a walker must not
// trip on. Every generator is deterministic and writes only what it is
// asked to; none needs the network. The ones that need ffmpeg take its
// path. The byte-level rewrites (lying durations, EXIF segments) are
// mediatest's; this package assembles whole files and the whole folder.
//
// The package is for tests only (it is internal and no library code
// imports it); its outputs are what an attacker could upload, so code under
// test must give each a typed result, quickly and within a memory budget.
package hostile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/picfre/picfre/internal/mediatest"
)

// ProgressiveJPEG returns a grayscale progressive JPEG of w×h pixels whose
// only scan is a DC scan of zero differences: about w×h/512 bytes that a
// decoder expands into a coefficient buffer for every block and a full
// image. 10000×10000 is 195 KB on disk. Different variants give different
// bytes (the quantisation table) for the same picture.
func ProgressiveJPEG(w, h int, variant byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8})
	// One quantisation table, its entries the variant (at least 1).
	b.Write([]byte{0xFF, 0xDB, 0x00, 0x43, 0x00})
	b.Write(bytes.Repeat([]byte{max(variant, 1)}, 64))
	// SOF2: progressive, 8-bit, one component sampled 1×1 with table 0.
	b.Write([]byte{0xFF, 0xC2, 0x00, 0x0B, 0x08, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 0x01, 0x01, 0x11, 0x00})
	// DC table 0: one code of length 1 for category 0.
	b.Write([]byte{0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01})
	b.Write(make([]byte, 15))
	b.WriteByte(0x00)
	// SOS: component 1, DC table 0, spectral 0..0, no successive approximation.
	b.Write([]byte{0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00})
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	b.Write(make([]byte, (blocks+7)/8))
	b.Write([]byte{0xFF, 0xD9})
	return b.Bytes()
}

// DeepPNG returns a 16-bit RGBA PNG of w×h black pixels: a few hundred
// kilobytes that decode to 8 bytes a pixel.
func DeepPNG(w, h int) []byte {
	var b bytes.Buffer
	b.Write([]byte("\x89PNG\r\n\x1a\n"))
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 16, 6 // bit depth 16, colour type RGBA
	chunk(&b, "IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	row := make([]byte, 1+8*w) // filter byte 0 and black pixels
	for range h {
		zw.Write(row)
	}
	zw.Close()
	chunk(&b, "IDAT", z.Bytes())
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

func chunk(b *bytes.Buffer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	b.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	b.WriteString(kind)
	b.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	b.Write(n[:])
}

// StrokedRectsSVG returns an SVG of n stroked rectangles each covering the
// whole canvas: small on disk, each one a full-canvas fill and stroke.
func StrokedRectsSVG(n int) []byte {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="2048" height="2048" viewBox="0 0 100 100">`)
	for i := range n {
		fmt.Fprintf(&b, `<rect x="0" y="0" width="100" height="100" fill="#%06x" stroke="#000" stroke-width="3"/>`, i*2654435761&0xffffff)
	}
	b.WriteString(`</svg>`)
	return []byte(b.String())
}

// GradientStopsSVG returns an SVG whose one full-canvas rectangle is
// filled with a linear gradient of n stops.
func GradientStopsSVG(n int) []byte {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="2048" height="2048" viewBox="0 0 100 100"><defs><linearGradient id="g">`)
	for i := range n {
		fmt.Fprintf(&b, `<stop offset="%.6f" stop-color="#%06x"/>`, float64(i)/float64(n), i*40503&0xffffff)
	}
	b.WriteString(`</linearGradient></defs><rect width="100" height="100" fill="url(#g)"/></svg>`)
	return []byte(b.String())
}

// PhotoJPEG returns a small baseline JPEG with some structure in it (a
// gradient with a disc), the base of the JPEG-shaped hostile files.
func PhotoJPEG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 140, 255}
			dx, dy := x-w/2, y-h/2
			if dx*dx+dy*dy < w*h/16 {
				c = color.RGBA{230, 200, 40, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
	return b.Bytes()
}

// MotionPhoto returns jpg with trailer appended after its EOI, as phones
// write motion photos (the trailer is an MP4). Pass a real MP4, or nil for
// a stand-in: an ftyp box and an mdat of bytes that look like JPEG markers.
func MotionPhoto(jpg, trailer []byte) []byte {
	if trailer == nil {
		var t bytes.Buffer
		t.Write([]byte{0, 0, 0, 0x18})
		t.WriteString("ftypmp42\x00\x00\x00\x00mp42isom")
		body := bytes.Repeat([]byte{0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34}, 3000)
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(8+len(body)))
		t.Write(n[:])
		t.WriteString("mdat")
		t.Write(body)
		trailer = t.Bytes()
	}
	return append(append([]byte{}, jpg...), trailer...)
}

// exifFor returns an APP1 EXIF segment naming an artist and a camera
// serial number made of marker (marker+"-artist", marker+"-serial") and a
// GPS latitude: the identifying metadata that must not reach a provider.
func exifFor(marker string) []byte {
	return mediatest.EXIFSegment(mediatest.EXIF{Artist: marker + "-artist", Serial: marker + "-serial", Latitude: 48})
}

// withSegment returns jpg with seg inserted right after its SOI.
func withSegment(jpg, seg []byte) []byte {
	out, err := mediatest.InjectSegment(jpg, seg)
	if err != nil {
		panic("hostile: not a JPEG of ours: " + err.Error())
	}
	return out
}

// UTF16XMP returns an APP1 XMP segment whose packet is UTF-16 big-endian
// with a byte-order mark, as some writers produce it.
func UTF16XMP(title string) []byte {
	packet := `<?xpacket begin="` + "\uFEFF" + `" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + title + `</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
	var u bytes.Buffer
	u.Write([]byte{0xFE, 0xFF})
	for _, r := range packet {
		if r > 0xFFFF {
			r = '?'
		}
		binary.Write(&u, binary.BigEndian, uint16(r))
	}
	payload := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), u.Bytes()...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	return append(seg, payload...)
}

// CR3 returns the start of a Canon CR3 raw: an ISO-BMFF file whose ftyp
// brand is "crx ", followed by a moov box, the way a video begins.
func CR3() []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0, 0x18})
	b.WriteString("ftypcrx \x00\x00\x00\x01crx isom")
	moov := append([]byte{0, 0, 0, 0x10}, []byte("moovuuid\x00\x00\x00\x00")...)
	b.Write(moov)
	b.Write(make([]byte, 4096))
	return b.Bytes()
}

// DFont returns a Mac data-fork font (a resource map): its first four
// bytes, the resource data offset 256, read 00 00 01 00 like an ICO
// header.
func DFont() []byte {
	b := make([]byte, 512)
	binary.BigEndian.PutUint32(b[0:], 256) // data offset
	binary.BigEndian.PutUint32(b[4:], 384) // map offset
	binary.BigEndian.PutUint32(b[8:], 128) // data length
	binary.BigEndian.PutUint32(b[12:], 128)
	copy(b[256:], "sfnt resource data")
	return b
}

// ffmpeg runs ffmpeg quietly.
func ffmpeg(bin string, args ...string) error {
	cmd := exec.Command(bin, append([]string{"-v", "error", "-y", "-nostdin"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Video makes a small test-pattern clip of the given seconds with ffmpeg,
// into path (the container from its extension), with extra output args.
func Video(bin, path string, seconds float64, extra ...string) error {
	args := []string{"-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=96x64:rate=10:duration=%g", seconds)}
	args = append(args, extra...)
	return ffmpeg(bin, append(args, path)...)
}

// Audio makes a sine tone of the given seconds with ffmpeg, into path.
func Audio(bin, path string, seconds float64, extra ...string) error {
	args := []string{"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:duration=%g", seconds)}
	args = append(args, extra...)
	return ffmpeg(bin, append(args, path)...)
}

// MJPEGWithExif makes an MJPEG clip (container from the path's extension)
// whose every frame carries the EXIF of marker, by stream-copying JPEG
// frames that have it.
func MJPEGWithExif(bin, path, marker string, frames int) error {
	dir, err := os.MkdirTemp("", "hostile-mjpeg-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	app1 := exifFor(marker)
	for i := range frames {
		img := image.NewRGBA(image.Rect(0, 0, 96, 64))
		for p := range img.Pix {
			img.Pix[p] = uint8(p*7 + i*31)
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.jpg", i)), withSegment(b.Bytes(), app1), 0o644); err != nil {
			return err
		}
	}
	return ffmpeg(bin, "-framerate", "5", "-i", filepath.Join(dir, "f%03d.jpg"), "-c:v", "copy", path)
}

// errNoAtom is returned when StripFirstAtom finds no atom to strip.
var errNoAtom = errors.New("hostile: atom not found")

// patchFile applies a mediatest rewrite to the file at path.
func patchFile(path string, patch func([]byte) error) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := patch(data); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// SetDuration makes the ISO-BMFF (MP4, MOV, M4A) file at path declare d in
// every header while its packets keep their real times.
func SetDuration(path string, d time.Duration) error {
	return patchFile(path, func(b []byte) error { _, err := mediatest.SetMP4Duration(b, d); return err })
}

// SetMP3Duration makes the MP3 at path (44.1 kHz) declare d in its
// Xing/Info header.
func SetMP3Duration(path string, d time.Duration) error {
	return patchFile(path, func(b []byte) error { return mediatest.SetXingFrames(b, mediatest.XingFrames(d, 44100)) })
}

// StripFirstAtom removes the first top-level atom (the ftyp) of the
// ISO-BMFF file at path, so that it begins with whatever came next (moov
// for a file written with -movflags +faststart), as old QuickTime files do.
func StripFirstAtom(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) < 8 {
		return errNoAtom
	}
	n := int(binary.BigEndian.Uint32(data))
	if n < 8 || n > len(data) {
		return errNoAtom
	}
	return os.WriteFile(path, data[n:], 0o644)
}

// A Case is one file (or file-system object) of the hostile folder.
type Case struct {
	// Name is the entry's name in the folder (bytes, maybe not UTF-8).
	Name string
	// What says what it attacks.
	What string
	// NoRecord is true for entries the walker must leave alone without a
	// record (our own stale temporary files, which it removes).
	NoRecord bool
	// Explicit is true for files whose extension is not a media type's,
	// which a folder walk rightly skips: a test names them as arguments.
	Explicit bool
}

// Folder writes the whole hostile corpus into dir and returns its cases.
// With ffmpegBin empty the cases that need ffmpeg are left out.
func Folder(dir, ffmpegBin string) ([]Case, error) {
	var cases []Case
	write := func(name, what string, data []byte) error {
		cases = append(cases, Case{Name: name, What: what})
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	photo := PhotoJPEG(320, 240)
	steps := []func() error{
		func() error { return write("photo.jpg", "an ordinary photo", photo) },
		func() error {
			return write("progressive-1.jpg", "progressive 10000x10000 JPEG: 1.5 GB to decode naively", ProgressiveJPEG(10000, 10000, 1))
		},
		func() error {
			return write("progressive-2.jpg", "the same, concurrently", ProgressiveJPEG(10000, 10000, 2))
		},
		func() error {
			return write("progressive-3.jpg", "the same, concurrently", ProgressiveJPEG(10000, 10000, 3))
		},
		func() error {
			return write("progressive-4.jpg", "the same, concurrently", ProgressiveJPEG(10000, 10000, 4))
		},
		func() error { return write("deep.png", "16-bit RGBA PNG, 8 bytes a pixel", DeepPNG(7000, 7000)) },
		func() error { return write("rects.svg", "1,000 stroked full-canvas rectangles", StrokedRectsSVG(1000)) },
		func() error {
			return write("rects-many.svg", "99,990 stroked full-canvas rectangles", StrokedRectsSVG(99990))
		},
		func() error { return write("stops.svg", "99,000 gradient stops", GradientStopsSVG(99000)) },
		func() error {
			return write("motion.jpg", "motion photo: a JPEG with an MP4 trailer", MotionPhoto(photo, nil))
		},
		func() error {
			return write("utf16-xmp.jpg", "JPEG with a UTF-16 XMP packet", withSegment(photo, UTF16XMP("hostile title")))
		},
		func() error {
			return write("exif-gps.jpg", "JPEG with artist, serial and GPS", withSegment(photo, exifFor("HOSTILE")))
		},
		func() error {
			cases = append(cases, Case{Name: "raw.cr3", What: "Canon CR3 raw, ISO-BMFF like a video", Explicit: true})
			return os.WriteFile(filepath.Join(dir, "raw.cr3"), CR3(), 0o644)
		},
		func() error {
			cases = append(cases, Case{Name: "Font.dfont", What: "Mac font whose header reads like ICO", Explicit: true})
			return os.WriteFile(filepath.Join(dir, "Font.dfont"), DFont(), 0o644)
		},
		func() error { return write("caf\xe9.jpg", "non-UTF-8 name (Latin-1 e-acute)", photo) },
		func() error { return write("caf\xe8.jpg", "non-UTF-8 name differing only in the invalid byte", photo) },
		func() error {
			cases = append(cases, Case{Name: "fifo.jpg", What: "a FIFO named like a JPEG"})
			return mkfifo(filepath.Join(dir, "fifo.jpg"))
		},
		func() error {
			cases = append(cases, Case{Name: "link.jpg", What: "symlink to a photo in the folder"})
			return os.Symlink("photo.jpg", filepath.Join(dir, "link.jpg"))
		},
		func() error {
			cases = append(cases, Case{Name: "dangling.jpg", What: "symlink to nothing"})
			return os.Symlink("missing.jpg", filepath.Join(dir, "dangling.jpg"))
		},
		func() error {
			cases = append(cases, Case{Name: "loop-a.jpg", What: "symlink loop"}, Case{Name: "loop-b.jpg", What: "symlink loop"})
			if err := os.Symlink("loop-b.jpg", filepath.Join(dir, "loop-a.jpg")); err != nil {
				return err
			}
			return os.Symlink("loop-a.jpg", filepath.Join(dir, "loop-b.jpg"))
		},
		func() error {
			cases = append(cases, Case{Name: ".photo.jpg.picfre-123456", What: "temporary file left by a SIGKILL during --write", NoRecord: true})
			p := filepath.Join(dir, ".photo.jpg.picfre-123456")
			if err := os.WriteFile(p, photo[:len(photo)/2], 0o600); err != nil {
				return err
			}
			// Left by a run killed two hours ago.
			old := time.Now().Add(-2 * time.Hour)
			return os.Chtimes(p, old, old)
		},
	}
	if ffmpegBin != "" {
		steps = append(steps,
			func() error {
				p := filepath.Join(dir, "long-mvhd.mp4")
				cases = append(cases, Case{Name: "long-mvhd.mp4", What: "3 s MP4 whose mvhd says 10 hours"})
				if err := Video(ffmpegBin, p, 3, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"); err != nil {
					return err
				}
				return SetDuration(p, 10*time.Hour)
			},
			func() error {
				p := filepath.Join(dir, "short-mvhd.mp4")
				cases = append(cases, Case{Name: "short-mvhd.mp4", What: "20 s MP4 whose mvhd says 1 ms"})
				if err := Video(ffmpegBin, p, 20, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"); err != nil {
					return err
				}
				return SetDuration(p, time.Millisecond)
			},
			func() error {
				p := filepath.Join(dir, "long-xing.mp3")
				cases = append(cases, Case{Name: "long-xing.mp3", What: "3 s MP3 whose Xing header says 10 hours"})
				if err := Audio(ffmpegBin, p, 3, "-c:a", "libmp3lame", "-q:a", "4"); err != nil {
					return err
				}
				return SetMP3Duration(p, 10*time.Hour)
			},
			func() error {
				p := filepath.Join(dir, "long-mvhd.m4a")
				cases = append(cases, Case{Name: "long-mvhd.m4a", What: "3 s M4A whose mvhd says 10 hours"})
				if err := Audio(ffmpegBin, p, 3, "-c:a", "aac"); err != nil {
					return err
				}
				return SetDuration(p, 10*time.Hour)
			},
			func() error {
				p := filepath.Join(dir, "moov-first.mov")
				cases = append(cases, Case{Name: "moov-first.mov", What: "QuickTime file beginning with its moov atom"})
				if err := Video(ffmpegBin, p, 2, "-c:v", "mjpeg", "-movflags", "+faststart"); err != nil {
					return err
				}
				return StripFirstAtom(p)
			},
			func() error {
				cases = append(cases, Case{Name: "mjpeg.avi", What: "MJPEG AVI whose frames carry EXIF GPS"})
				return MJPEGWithExif(ffmpegBin, filepath.Join(dir, "mjpeg.avi"), "HOSTILE", 10)
			},
			func() error {
				cases = append(cases, Case{Name: "mjpeg.mov", What: "MJPEG MOV whose frames carry EXIF GPS"})
				return MJPEGWithExif(ffmpegBin, filepath.Join(dir, "mjpeg.mov"), "HOSTILE", 10)
			},
		)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return cases, nil
}
