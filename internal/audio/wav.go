package audio

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/picfre/picfre/errcode"
)

// ErrInvalidWAV is wrapped by every error of ParseWAV: the bytes are not a
// WAV file that can be read. Retrying the same bytes cannot help.
var ErrInvalidWAV = errcode.New(errcode.InvalidMedia, "invalid WAV")

// WAV is what a WAV file's header declares.
type WAV struct {
	// Format is the fmt chunk's format tag: 1 PCM, 3 IEEE float,
	// 0xFFFE extensible, and so on.
	Format        int
	Channels      int
	SampleRate    int
	BitsPerSample int
	// DataBytes is the size of the sample data as declared (or, for a
	// stream whose size was left open, as far as the file goes).
	DataBytes int64
	// Duration is DataBytes divided by the byte rate.
	Duration time.Duration
}

// maxChunks bounds the chunks ParseWAV walks past before giving up.
const maxChunks = 64

// ParseWAV reads the RIFF/WAVE header from head, the first bytes of a file
// of fileSize bytes (64 KiB of head is plenty for any real file). It walks
// the chunks up to the data chunk without reading sample data, and
// derives the duration from the declared sizes. Everything is checked:
// impossible rates, channel counts or sizes give an error wrapping
// ErrInvalidWAV. It allocates nothing in proportion to declared sizes and
// is safe for concurrent use.
func ParseWAV(head []byte, fileSize int64) (WAV, error) {
	bad := func(format string, args ...any) (WAV, error) {
		return WAV{}, fmt.Errorf("%w: %s", ErrInvalidWAV, fmt.Sprintf(format, args...))
	}
	if len(head) < 12 || string(head[0:4]) != "RIFF" || string(head[8:12]) != "WAVE" {
		return bad("not a RIFF/WAVE file")
	}
	if fileSize < int64(len(head)) {
		fileSize = int64(len(head))
	}
	var w WAV
	var byteRate int64
	haveFmt := false
	pos := int64(12)
	for range maxChunks {
		if pos+8 > int64(len(head)) {
			return bad("no data chunk in the header")
		}
		id := string(head[pos : pos+4])
		size := int64(binary.LittleEndian.Uint32(head[pos+4 : pos+8]))
		body := pos + 8
		switch id {
		case "fmt ":
			if size < 16 || body+16 > int64(len(head)) {
				return bad("short fmt chunk")
			}
			f := head[body:]
			w.Format = int(binary.LittleEndian.Uint16(f[0:2]))
			w.Channels = int(binary.LittleEndian.Uint16(f[2:4]))
			w.SampleRate = int(binary.LittleEndian.Uint32(f[4:8]))
			byteRate = int64(binary.LittleEndian.Uint32(f[8:12]))
			blockAlign := int(binary.LittleEndian.Uint16(f[12:14]))
			w.BitsPerSample = int(binary.LittleEndian.Uint16(f[14:16]))
			switch {
			case w.Channels < 1 || w.Channels > 64:
				return bad("%d channels", w.Channels)
			case w.SampleRate < 1000 || w.SampleRate > 1_000_000:
				return bad("sample rate %d", w.SampleRate)
			case byteRate < 1 || blockAlign < 1:
				return bad("zero byte rate or block size")
			}
			if w.BitsPerSample > 0 && w.Format == 1 {
				want := int64(w.SampleRate) * int64(w.Channels) * int64(w.BitsPerSample) / 8
				if byteRate != want {
					return bad("byte rate %d does not match the format (%d)", byteRate, want)
				}
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return bad("data chunk before fmt chunk")
			}
			avail := fileSize - body
			if size == 0xFFFFFFFF || size > avail {
				size = avail // an open-ended stream, or a truncated file
			}
			if size < 0 {
				size = 0
			}
			w.DataBytes = size
			w.Duration = time.Duration(float64(size) / float64(byteRate) * float64(time.Second))
			return w, nil
		}
		pos = body + size + size&1 // chunks are padded to even sizes
	}
	return bad("too many chunks before the data chunk")
}
