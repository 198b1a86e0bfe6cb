package media

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/picfre/picfre/internal/jpegdec"
)

// decodeCost returns the bytes that decoding an image of the header h
// allocates at most with the standard decoders: the decoded image, and for
// a progressive JPEG its coefficient buffers.
func decodeCost(f Format, h header) int64 {
	w, ht := int64(h.w), int64(h.h)
	switch f {
	case FormatJPEG:
		if h.jpeg.nComp > 0 {
			return jpegCost(h)
		}
		return w * ht * 3
	case FormatPNG:
		c := w * ht * h.pngBytesPerPixel
		if h.pngInterlaced {
			c *= 2 // each pass is decoded into an image of its own, then merged
		}
		return c
	case FormatGIF:
		return w * ht // the first frame, paletted
	case FormatTIFF:
		return w * ht * 8 // up to 16 bits per channel, RGBA
	}
	return w * ht * 4 // WebP, BMP: at most RGBA
}

// jpegCost follows image/jpeg: the planes of the decoded image padded to
// whole MCUs (one byte per sample), for a progressive JPEG a block of 64
// int32 coefficients per 8×8 block of every component, and for a
// four-component (CMYK) JPEG the CMYK image it converts to at the end.
func jpegCost(h header) int64 {
	j := h.jpeg
	blocks := j.blocks(int64(h.w), int64(h.h))
	cost := blocks * 64
	if j.progressive {
		cost += blocks * 64 * 4
	}
	if j.nComp == 4 {
		cost += int64(h.w) * int64(h.h) * 4
	}
	return cost
}

// jpegDecodeBytes is what internal/jpegdec allocates to decode the JPEG at
// 1/scale of its size (see its package doc): a sequential file's planes at
// that size, padded to whole MCUs ((8/scale)² samples a block); for a
// progressive file, what each block keeps until the last scan, planes
// included (64 int16 coefficients, a 64-bit mask and the 64 samples at
// full size; 82, 34 or 22 bytes at 1/2, 1/4, 1/8); for a four-component
// file also the CMYK image. A file whose frame Probe could not read costs
// what image/jpeg would take.
func (i Info) jpegDecodeBytes(scale int) int64 {
	f := i.frame
	if f.nComp == 0 {
		return i.DecodeBytes
	}
	var perBlock, s int64
	switch scale {
	case 1:
		perBlock, s = 64, 1
		if f.progressive {
			perBlock += 64*2 + 8
		}
	case 2:
		perBlock, s = 16, 2
		if f.progressive {
			perBlock = 82
		}
	case 4:
		perBlock, s = 4, 4
		if f.progressive {
			perBlock = 34
		}
	case 8:
		perBlock, s = 1, 8
		if f.progressive {
			perBlock = 22
		}
	default:
		return i.DecodeBytes
	}
	blocks := f.blocks(int64(i.Width), int64(i.Height))
	cost := blocks * perBlock
	if f.nComp == 4 {
		// The CMYK image, and the subsampled chroma decoded at twice the
		// scale (counted as if every component were full size).
		cost += blocks*perBlock + (int64(i.Width)+s-1)/s*((int64(i.Height)+s-1)/s)*4
	}
	return cost
}

// DefaultDecodeMemory is a MemoryBudget's size when NewMemoryBudget is
// given 0: 768 MiB, one 100-megapixel 4:2:0 progressive JPEG.
const DefaultDecodeMemory int64 = 768 << 20

// MemoryBudget bounds the memory that image decodes in flight take
// together. Each decode holds its cost (Info.DecodeBytes, computed from
// the headers before decoding) from before the decoder runs until its
// full-size image is released, so concurrent large files wait for each
// other instead of adding up. A file whose cost alone exceeds the budget
// is refused with KindTooLarge, never left waiting. Releasing a hold of
// 16 MiB or more runs a garbage collection first, so that the next decode
// reuses that memory rather than adding to it; one of 256 MiB or more also
// returns the freed memory to the operating system. Safe for concurrent use; a
// nil *MemoryBudget bounds nothing.
type MemoryBudget struct {
	size int64
	sem  *semaphore.Weighted

	mu         sync.Mutex
	used, peak int64
}

// NewMemoryBudget returns a budget of size bytes (DefaultDecodeMemory when
// size <= 0).
func NewMemoryBudget(size int64) *MemoryBudget {
	if size <= 0 {
		size = DefaultDecodeMemory
	}
	return &MemoryBudget{size: size, sem: semaphore.NewWeighted(size)}
}

// Size returns the budget in bytes.
func (b *MemoryBudget) Size() int64 { return b.size }

// Peak returns the most bytes held at once so far.
func (b *MemoryBudget) Peak() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// acquire holds n bytes of the budget, waiting while others hold too
// much; it returns ctx's error if ctx ends first.
func (b *MemoryBudget) acquire(ctx context.Context, f Format, n int64) (release func(), err error) {
	if b == nil {
		return func() {}, nil
	}
	if n > b.size {
		return nil, errorf(KindTooLarge, f, "decoding the image takes about %d MiB, more than the %d MiB decode memory budget",
			(n+(1<<20)-1)>>20, b.size>>20)
	}
	n = max(n, 1)
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, fmt.Errorf("media: waiting for decode memory: %w", err)
	}
	b.mu.Lock()
	b.used += n
	b.peak = max(b.peak, b.used)
	b.mu.Unlock()
	return func() {
		switch {
		case n >= returnAbove:
			// A giant decode's buffers: collect them and hand their pages
			// back to the OS at once, rather than when the background
			// scavenger gets to them, which on a loaded machine is late
			// enough for the next giant decode to fault in pages of its own
			// first and the process to hold both.
			debug.FreeOSMemory()
		case n >= collectAbove:
			// The decode's buffers are garbage now. Collect them before
			// the next decode allocates: the Go heap otherwise grows to
			// about twice its live size between collections, and the
			// process to twice the budget.
			runtime.GC()
		}
		b.mu.Lock()
		b.used -= n
		b.mu.Unlock()
		b.sem.Release(n)
	}, nil
}

// collectAbove is the hold, in bytes, whose release runs a garbage
// collection: a 12-megapixel 4:2:0 JPEG (18 MB) and up. Measured with
// cmd/picfre BenchmarkServeUpload (24-MP photos, four workers): at 64 MiB,
// which no such photo reached, the heap grew to twice its live size
// between the pacer's collections and the server's peak grew with the
// length of the run (10 files 372–380 MiB, 100 files 426–442 MiB); at
// 16 MiB the peak is 252–260 and 283–301 MiB, with the Go heap's peak
// 178 vs 189 MiB, for no measurable CPU (the decoded planes hold no
// pointers, so marking them costs nothing).
const collectAbove = 16 << 20

// returnAbove is the hold, in bytes, whose release also returns the freed
// memory to the operating system: images of about 40 megapixels and up,
// rare enough that the page faults of reusing the memory cost nothing that
// matters, while a 24-megapixel photo keeps its pages for the next one.
const returnAbove = 256 << 20

// Prepare is the package's Prepare within the budget: it probes data,
// holds the decode's cost in the budget (waiting for it, honouring ctx)
// while it decodes and scales, and releases it when the decoded image is
// no longer referenced. A JPEG decoded at a reduced size holds what that
// decode takes; one that falls back to image/jpeg holds Info.DecodeBytes.
// The error of a ctx that ends while waiting wraps ctx's error.
func (b *MemoryBudget) Prepare(ctx context.Context, data []byte, lim Limits, opt PrepareOptions) (*Prepared, error) {
	return b.prepare(ctx, data, lim, opt, jpegdec.Decode)
}

// blocks is the number of 8×8 blocks of all components of a w×h frame,
// padded to whole MCUs as a decoder allocates them.
func (f jpegFrame) blocks(w, h int64) int64 {
	hmax, vmax := int64(1), int64(1)
	for _, c := range f.comps[:f.nComp] {
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	mxx := (w + 8*hmax - 1) / (8 * hmax)
	myy := (h + 8*vmax - 1) / (8 * vmax)
	var n int64
	for _, c := range f.comps[:f.nComp] {
		n += c.h * c.v * mxx * myy
	}
	return n
}
