// Package mediatest crafts media for tests and benchmarks: hostile files
// whose headers lie about their length, frames that carry metadata, and
// camera-like photos (Photo) of any size. It exists only for
// tests; no library code imports it. Its functions work on bytes in
// memory and fail with an error (never a panic) when the input is not
// what they expect.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// SetMP4Duration rewrites, in place, every duration an MP4, MOV or M4A
// file declares: the movie header (mvhd), each track header (tkhd) and
// each media header (mdhd), each in its own time scale, to d. The sample
// tables are left alone, so the packets keep their real times: the file
// lies about its length and nothing else. It returns how many headers it
// changed.
func SetMP4Duration(data []byte, d time.Duration) (int, error) {
	var movieScale uint32
	n := 0
	var walk func(b []byte) error
	walk = func(b []byte) error {
		for len(b) >= 8 {
			size := uint64(binary.BigEndian.Uint32(b))
			typ := string(b[4:8])
			hdr := uint64(8)
			switch size {
			case 0:
				size = uint64(len(b))
			case 1:
				if len(b) < 16 {
					return errors.New("truncated atom")
				}
				size, hdr = binary.BigEndian.Uint64(b[8:]), 16
			}
			if size < hdr || size > uint64(len(b)) {
				return fmt.Errorf("atom %q has a bad size", typ)
			}
			body := b[hdr:size]
			switch typ {
			case "moov", "trak", "mdia":
				if err := walk(body); err != nil {
					return err
				}
			case "mvhd", "mdhd":
				scale, err := setHeader(body, 16, 24, d, 0)
				if err != nil {
					return err
				}
				if typ == "mvhd" {
					movieScale = scale
				}
				n++
			case "tkhd":
				if movieScale == 0 {
					return errors.New("tkhd before mvhd")
				}
				if _, err := setHeader(body, 20, 28, d, movieScale); err != nil {
					return err
				}
				n++
			}
			b = b[size:]
		}
		return nil
	}
	if err := walk(data); err != nil {
		return n, err
	}
	if n == 0 {
		return 0, errors.New("no duration header found")
	}
	return n, nil
}

// setHeader writes d into a full box whose duration sits at off0 (version
// 0, 32 bits) or off1 (version 1, 64 bits) from the start of its body;
// the time scale is the 32-bit field just before the duration, or scale
// when scale is not 0 (tkhd counts in the movie's time scale).
func setHeader(body []byte, off0, off1 int, d time.Duration, scale uint32) (uint32, error) {
	if len(body) < 4 {
		return 0, errors.New("short header")
	}
	v1 := body[0] == 1
	off, width := off0, 4
	if v1 {
		off, width = off1, 8
	}
	if len(body) < off+width {
		return 0, errors.New("short header")
	}
	if scale == 0 {
		scale = binary.BigEndian.Uint32(body[off-4:])
	}
	if scale == 0 {
		return 0, errors.New("zero time scale")
	}
	ticks := uint64(d.Seconds() * float64(scale))
	if ticks == 0 {
		ticks = 1
	}
	if width == 4 {
		if ticks > 0xFFFFFFFF {
			return 0, errors.New("duration does not fit 32 bits")
		}
		binary.BigEndian.PutUint32(body[off:], uint32(ticks))
	} else {
		binary.BigEndian.PutUint64(body[off:], ticks)
	}
	return scale, nil
}

// SetXingFrames rewrites, in place, the frame count of the Xing (VBR) or
// Info (CBR) header LAME writes in an MP3's first frame, so that the file
// declares frames frames while its audio is unchanged.
func SetXingFrames(data []byte, frames uint32) error {
	i := bytes.Index(data, []byte("Xing"))
	if i < 0 {
		i = bytes.Index(data, []byte("Info"))
	}
	if i < 0 || len(data) < i+12 {
		return errors.New("no Xing or Info header")
	}
	if binary.BigEndian.Uint32(data[i+4:])&1 == 0 {
		return errors.New("the Xing header has no frame count")
	}
	binary.BigEndian.PutUint32(data[i+8:], frames)
	return nil
}

// XingFrames is the frame count an MPEG-1 Layer III file at sampleRate
// (1152 samples a frame) would have for d; at least 1.
func XingFrames(d time.Duration, sampleRate int) uint32 {
	return uint32(max(1, int64(d.Seconds()*float64(sampleRate)/1152)))
}
