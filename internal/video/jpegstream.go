package video

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// errJPEGStream is returned for a byte stream that is not a sequence of
// JPEG images.
var errJPEGStream = errors.New("malformed JPEG stream")

// readJPEG reads one complete JPEG image (SOI … EOI) from a stream of
// concatenated JPEGs, such as ffmpeg's image2pipe output, by walking its
// marker segments and entropy-coded data. It returns io.EOF at a clean end
// of stream, errJPEGStream (wrapped) for anything else that is not JPEG,
// and an error when the image would exceed limit bytes.
func readJPEG(r *bufio.Reader, limit int) ([]byte, error) {
	var buf []byte
	grow := func(p ...byte) error {
		if len(buf)+len(p) > limit {
			return fmt.Errorf("frame larger than %d bytes", limit)
		}
		buf = append(buf, p...)
		return nil
	}
	soi := make([]byte, 2)
	if _, err := io.ReadFull(r, soi); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("%w: truncated", errJPEGStream)
	}
	if soi[0] != 0xFF || soi[1] != 0xD8 {
		return nil, fmt.Errorf("%w: no start of image", errJPEGStream)
	}
	if err := grow(soi...); err != nil {
		return nil, err
	}
	truncated := fmt.Errorf("%w: truncated", errJPEGStream)
	// marker reads the next marker code, skipping fill bytes.
	marker := func() (byte, error) {
		b, err := r.ReadByte()
		if err != nil {
			return 0, truncated
		}
		if b != 0xFF {
			return 0, fmt.Errorf("%w: expected a marker", errJPEGStream)
		}
		for b == 0xFF {
			if b, err = r.ReadByte(); err != nil {
				return 0, truncated
			}
		}
		return b, nil
	}
	m, err := marker()
	for {
		if err != nil {
			return nil, err
		}
		if err := grow(0xFF, m); err != nil {
			return nil, err
		}
		switch {
		case m == 0xD9: // end of image
			return buf, nil
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // no payload
			m, err = marker()
			continue
		case m == 0x00 || m == 0xD8:
			return nil, fmt.Errorf("%w: unexpected marker", errJPEGStream)
		}
		var lb [2]byte
		if _, err := io.ReadFull(r, lb[:]); err != nil {
			return nil, truncated
		}
		n := int(lb[0])<<8 | int(lb[1])
		if n < 2 {
			return nil, fmt.Errorf("%w: bad segment length", errJPEGStream)
		}
		if err := grow(lb[:]...); err != nil {
			return nil, err
		}
		if len(buf)+n-2 > limit {
			return nil, fmt.Errorf("frame larger than %d bytes", limit)
		}
		start := len(buf)
		buf = append(buf, make([]byte, n-2)...)
		if _, err := io.ReadFull(r, buf[start:]); err != nil {
			return nil, truncated
		}
		if m != 0xDA { // not start of scan
			m, err = marker()
			continue
		}
		// Entropy-coded data runs until a marker other than a stuffed
		// 0xFF00 or a restart marker.
		for {
			b, err := r.ReadByte()
			if err != nil {
				return nil, truncated
			}
			if b != 0xFF {
				if err := grow(b); err != nil {
					return nil, err
				}
				continue
			}
			next, err := r.ReadByte()
			for err == nil && next == 0xFF {
				next, err = r.ReadByte()
			}
			if err != nil {
				return nil, truncated
			}
			if next == 0x00 || (next >= 0xD0 && next <= 0xD7) {
				if err := grow(0xFF, next); err != nil {
					return nil, err
				}
				continue
			}
			m = next
			break
		}
	}
}
