package stock

import (
	"fmt"
	"image"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// DHash returns the 64-bit difference hash of img: the image is reduced
// to 9×8 cells of mean luminance and each bit says whether a cell is
// brighter than its right neighbour. Near-identical shots (re-encoded,
// resized, slightly shifted) differ in few bits. Large images are
// sampled, at most 16×16 pixels per cell. Safe for concurrent use.
func DHash(img image.Image) uint64 {
	b := img.Bounds()
	if b.Empty() {
		return 0
	}
	var lum [8][9]float64
	for cy := range 8 {
		y0 := b.Min.Y + cy*b.Dy()/8
		y1 := max(b.Min.Y+(cy+1)*b.Dy()/8, y0+1)
		for cx := range 9 {
			x0 := b.Min.X + cx*b.Dx()/9
			x1 := max(b.Min.X+(cx+1)*b.Dx()/9, x0+1)
			lum[cy][cx] = meanLuma(img, x0, y0, min(x1, b.Max.X), min(y1, b.Max.Y))
		}
	}
	var h uint64
	for y := range 8 {
		for x := range 8 {
			h <<= 1
			if lum[y][x] > lum[y][x+1] {
				h |= 1
			}
		}
	}
	return h
}

func meanLuma(img image.Image, x0, y0, x1, y1 int) float64 {
	sx := max(1, (x1-x0)/16)
	sy := max(1, (y1-y0)/16)
	var sum float64
	n := 0
	for y := y0; y < y1; y += sy {
		for x := x0; x < x1; x += sx {
			switch im := img.(type) {
			case *image.YCbCr:
				sum += float64(im.Y[im.YOffset(x, y)])
			case *image.Gray:
				sum += float64(im.Pix[im.PixOffset(x, y)])
			default:
				r, g, b, _ := img.At(x, y).RGBA()
				// ITU-R BT.601 luma, 16-bit channels scaled to 8 bits.
				sum += (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
			}
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// Hamming returns the number of bits in which a and b differ.
func Hamming(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// GroupSimilar partitions indexes 0..len(hashes)-1 into groups of files
// that look alike: two files are linked when their hashes differ in at
// most maxDistance bits, and a group is everything linked directly or
// through others. Every index is in exactly one group (a file like no
// other is a group of one); groups are ordered by their first index and
// each is in ascending order. About 10 bits suits DHash. O(n²).
func GroupSimilar(hashes []uint64, maxDistance int) [][]int {
	parent := make([]int, len(hashes))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range hashes {
		for j := i + 1; j < len(hashes); j++ {
			if Hamming(hashes[i], hashes[j]) <= maxDistance {
				a, b := find(i), find(j)
				if a != b {
					parent[max(a, b)] = min(a, b) // the root is the smallest index
				}
			}
		}
	}
	var groups [][]int
	at := map[int]int{}
	for i := range hashes {
		r := find(i)
		g, ok := at[r]
		if !ok {
			g = len(groups)
			at[r] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// DistinctTitles returns titles with no two alike (ignoring case and
// spacing), for the files of one group. The first of equal titles is
// kept; a later one gets the first of its own details (details[i], may be
// nil) that makes it unique appended ("Rocket launch" + "at dusk"), and as
// a last resort a number ("Rocket launch 2"). With maxLen > 0 the title
// is shortened at a word boundary to leave room for the addition.
func DistinctTitles(titles []string, details [][]string, maxLen int) []string {
	out := make([]string, len(titles))
	used := map[string]bool{}
	key := func(s string) string { return strings.ToLower(cleanLine(s)) }
	fit := func(base, extra string) string {
		if maxLen <= 0 {
			return base + " " + extra
		}
		room := maxLen - utf8.RuneCountInString(extra) - 1
		if room <= 0 {
			return cutWords(extra, maxLen)
		}
		return cutWords(base, room) + " " + extra
	}
	for i, t := range titles {
		t = cleanLine(t)
		if !used[key(t)] {
			out[i] = t
			used[key(t)] = true
			continue
		}
		var d []string
		if i < len(details) {
			d = details[i]
		}
		chosen := ""
		for _, extra := range d {
			if extra = cleanLine(extra); extra == "" {
				continue
			}
			if c := fit(t, extra); !used[key(c)] {
				chosen = c
				break
			}
		}
		for n := 2; chosen == ""; n++ {
			c := fit(t, fmt.Sprint(n))
			if n > len(titles)+1 { // limit too tight to fit: exceed it rather than loop
				c = t + " " + fmt.Sprint(n)
			}
			if !used[key(c)] {
				chosen = c
			}
		}
		out[i] = chosen
		used[key(chosen)] = true
	}
	return out
}

// RotateKeywords returns the keyword order for member (0, 1, 2, ...) of
// a group of similar files, so that each gets its own order: the first
// top keywords are rotated among themselves by member places and so stay
// at the top, and the rest are rotated likewise. Member 0 keeps the
// original order. Orders differ for members 0..top-1. The input is not
// modified.
func RotateKeywords(kw []string, member, top int) []string {
	out := make([]string, 0, len(kw))
	top = max(0, min(top, len(kw)))
	rot := func(s []string) {
		if len(s) == 0 {
			return
		}
		k := member % len(s)
		if k < 0 {
			k += len(s)
		}
		out = append(out, s[k:]...)
		out = append(out, s[:k]...)
	}
	rot(kw[:top])
	rot(kw[top:])
	return out
}
