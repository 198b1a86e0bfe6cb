package local

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
)

// Color is one dominant colour of an image.
type Color struct {
	// Name is an everyday colour name: red, orange, yellow, olive, green,
	// teal, blue, purple, pink, brown, beige, white, gray or black.
	Name string
	// Share is the fraction of the frame in this colour, 0–1.
	Share float64
	// Hex is a representative sRGB value such as "#3a6ea5".
	Hex string
}

// Orientations an [Analysis] reports.
const (
	Landscape         = "landscape"
	Portrait          = "portrait"
	Square            = "square"
	Panoramic         = "panoramic"
	VerticalPanoramic = "vertical panoramic"
)

// Analysis is what the provider measured in one image, or in the frames of
// one video pooled together. Measures are plain numbers so that callers can
// apply their own thresholds; the provider's wording is derived from them by
// [Analysis.Title], [Analysis.Description], [Analysis.Keywords],
// [Analysis.Categories] and [Analysis.Prompt].
type Analysis struct {
	// Width and Height are the pixel size of the (first) image.
	Width, Height int
	// Frames is how many images were pooled (video frames), at least 1.
	Frames int
	// Orientation is one of Landscape, Portrait, Square, Panoramic and
	// VerticalPanoramic.
	Orientation string
	// Colors are the dominant colours, largest share first; colours under
	// 5% of the frame are left out.
	Colors []Color
	// Brightness is the mean CIE lightness L*, 0 (black) to 100 (white).
	Brightness float64
	// Contrast is the standard deviation of L*; under about 10 is flat,
	// over about 25 is strong.
	Contrast float64
	// ShadowsClipped and HighlightsClipped are the shares of the frame that
	// are nearly black (L* < 4) and nearly white (L* > 97).
	ShadowsClipped, HighlightsClipped float64
	// Colorfulness is the Hasler–Süsstrunk colourfulness metric on 0–255
	// values: under 15 is nearly colourless, over 60 is highly colourful.
	Colorfulness float64
	// Monochrome reports an image without meaningful colour: black and
	// white, or a single tint (sepia, cyanotype, duotone).
	Monochrome bool
	// Tint names the colour of a tinted monochrome image ("brown" for
	// sepia); it is empty for neutral black and white and for colour.
	Tint string
	// Warmth is the colour temperature, from -1 (all cool hues: blue,
	// teal, green, purple) to +1 (all warm hues: red, orange, yellow, brown).
	Warmth float64
	// Detail is the mean local lightness change between neighbouring
	// pixels of the analysis grid, in L* units: under 1.5 is smooth, over 6
	// is busy.
	Detail float64
	// EdgeDensity is the share of the analysis grid on a visible edge.
	EdgeDensity float64
	// Evenness is how evenly detail spreads over a 6×6 division of the
	// frame, 0 (all in one place) to 1 (the same everywhere).
	Evenness float64
	// CalmShare is the share of the 6×6 cells with almost no detail.
	CalmShare float64
	// CopySpace is where the largest calm area that could take text lies:
	// "left", "right", "top", "bottom", "top left", "top right",
	// "bottom left", "bottom right", or "" when there is none. Whole-frame
	// calm (a plain background) is reported as "everywhere".
	CopySpace string
	// Pattern reports a regular repetition along rows or columns.
	Pattern bool
	// Symmetric reports left–right mirror symmetry.
	Symmetric bool
	// Gradient reports a smooth transition of tone or colour across the
	// frame without edges.
	Gradient bool
	// Solid reports a single flat colour.
	Solid bool
	// Points counts small isolated bright points on a dark ground (stars);
	// it is counted only when Brightness is under 25.
	Points int
	// StarField reports a dark frame scattered with such points.
	StarField bool
	// Sky reports a calm, blue, bright top third over a different bottom:
	// a guess, not a recognition.
	Sky bool
	// CentreFocus reports detail concentrated in the middle of the frame
	// with calm surroundings, as in a close-up with a blurred background.
	CentreFocus bool
	// Motion is the mean change of L* between consecutive frames; 0 for a
	// single image.
	Motion float64
	// Transparent is the share of the frame that was more than half
	// transparent (composited over white for analysis).
	Transparent float64
}

// Thresholds, in L* units per grid pixel unless said otherwise. They were
// set on the sample photographs and textures in testdata/samples.
const (
	cells           = 6    // the frame is divided into cells×cells for composition
	edgeStep        = 8.0  // a neighbour difference that reads as an edge
	calmDetail      = 1.6  // a cell below this mean detail is calm
	minShare        = 0.05 // smallest colour share reported
	starsDarkerThan = 25.0 // mean L* under which bright points are counted
	clusterCount    = 6
)

var (
	errEmptyImage  = errors.New("image has no pixels")
	errUndecodable = errors.New("not a JPEG, PNG or GIF image, or a damaged one")
)

// Analyze measures the visual qualities of one image, or of several frames
// of one video pooled together (colours and tone over all frames, copy
// space only where every frame is calm, motion between frames, and the
// shape measures of the middle frame). Each image is reduced to at most
// 256 pixels on its long edge first, so the cost hardly depends on its size.
// Analyze is deterministic, honours ctx between rows and is safe for
// concurrent use. It fails only when given no image, a nil or empty image,
// or a cancelled context.
func Analyze(ctx context.Context, frames ...image.Image) (*Analysis, error) {
	return analyze(ctx, frames, defaultGridSize)
}

const defaultGridSize = 256

func analyze(ctx context.Context, frames []image.Image, size int) (*Analysis, error) {
	if len(frames) == 0 {
		return nil, errors.New("local: no image to analyse")
	}
	grids := make([]*grid, len(frames))
	for i, img := range frames {
		if img == nil {
			return nil, fmt.Errorf("local: frame %d is nil", i)
		}
		g, err := newGrid(ctx, img, size)
		if err != nil {
			return nil, err
		}
		grids[i] = g
	}
	b := frames[0].Bounds()
	a := &Analysis{Width: b.Dx(), Height: b.Dy(), Frames: len(frames)}
	a.Orientation = orientation(a.Width, a.Height)
	measureTone(a, grids)
	measureColour(a, grids)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	midStats := measureDetail(a, grids)
	mid := grids[len(grids)/2]
	a.Pattern = periodic(rowProfile(mid)) || periodic(colProfile(mid))
	a.Symmetric = symmetric(mid)
	if a.Brightness < starsDarkerThan {
		a.Points = countPoints(mid)
	}
	area := float64(mid.w * mid.h)
	a.StarField = a.Brightness < starsDarkerThan && a.HighlightsClipped < 0.05 && area >= 400 &&
		float64(a.Points) >= math.Max(12, area/2500)
	a.Sky = sky(mid, midStats)
	a.Motion = motion(grids)
	for _, g := range grids {
		a.Transparent += g.transparent / float64(len(grids))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return a, nil
}

func orientation(w, h int) string {
	r := float64(w) / float64(h)
	switch {
	case r > 2:
		return Panoramic
	case r > 1.05:
		return Landscape
	case r >= 0.95:
		return Square
	case r >= 0.5:
		return Portrait
	}
	return VerticalPanoramic
}

// measureTone fills brightness, contrast and clipping.
func measureTone(a *Analysis, grids []*grid) {
	var n, sum, sum2, lo, hi float64
	for _, g := range grids {
		for _, l := range g.l {
			v := float64(l)
			sum += v
			sum2 += v * v
			if v < 4 {
				lo++
			}
			if v > 97 {
				hi++
			}
		}
		n += float64(len(g.l))
	}
	mean := sum / n
	a.Brightness = mean
	a.Contrast = math.Sqrt(math.Max(0, sum2/n-mean*mean))
	a.ShadowsClipped, a.HighlightsClipped = lo/n, hi/n
}

// bin is one occupied cell of a 4-bit-per-channel colour histogram.
type bin struct {
	weight  float64
	c       lab
	r, g, b float64 // mean sRGB of the pixels in the bin
}

// measureColour fills colours, colourfulness, monochrome, tint and warmth.
func measureColour(a *Analysis, grids []*grid) {
	var counts [4096]int
	var sums [4096][3]int
	// opponent colour sums, overall and per band of lightness
	const bands = 16
	var n, srg, srg2, syb, syb2 float64
	var bn, brg, brg2, byb, byb2 [bands]float64
	gray := true
	for _, g := range grids {
		gray = gray && g.gray
		for i := range g.r {
			r, gg, b := g.r[i], g.g[i], g.b[i]
			k := int(r>>4)<<8 | int(gg>>4)<<4 | int(b>>4)
			counts[k]++
			sums[k][0] += int(r)
			sums[k][1] += int(gg)
			sums[k][2] += int(b)
			rg := float64(r) - float64(gg)
			yb := (float64(r)+float64(gg))/2 - float64(b)
			srg += rg
			srg2 += rg * rg
			syb += yb
			syb2 += yb * yb
			band := min(int(g.l[i])*bands/100, bands-1)
			bn[band]++
			brg[band] += rg
			brg2[band] += rg * rg
			byb[band] += yb
			byb2[band] += yb * yb
		}
		n += float64(len(g.r))
	}
	mrg, myb := srg/n, syb/n
	vrg, vyb := math.Max(0, srg2/n-mrg*mrg), math.Max(0, syb2/n-myb*myb)
	a.Colorfulness = math.Sqrt(vrg+vyb) + 0.3*math.Sqrt(mrg*mrg+myb*myb)
	// In a toned print colour is a function of lightness: within a band of
	// lightness the opponent values hardly vary. In a colour photograph,
	// even one in a single hue family, they do.
	var within float64
	for k := range bands {
		if c := bn[k]; c > 0 {
			mr, my := brg[k]/c, byb[k]/c
			within += math.Max(0, brg2[k]-c*mr*mr) + math.Max(0, byb2[k]-c*my*my)
		}
	}
	within = math.Sqrt(within / n)

	var bins []bin
	for k, c := range counts {
		if c == 0 {
			continue
		}
		fc := float64(c)
		r, g, b := float64(sums[k][0])/fc, float64(sums[k][1])/fc, float64(sums[k][2])/fc
		bins = append(bins, bin{weight: fc / n, c: rgbToLab(r, g, b), r: r, g: g, b: b})
	}

	// Hue statistics over chromatic pixels: how much colour there is, how
	// concentrated its hue is, and how warm.
	var colourShare, cw, hx, hy, warm, cs float64
	for _, bn := range bins {
		ch := bn.c.chroma()
		if ch < 8 {
			continue
		}
		colourShare += bn.weight
		w := bn.weight * ch
		h := bn.c.hue() * math.Pi / 180
		hx += w * math.Cos(h)
		hy += w * math.Sin(h)
		cw += w
		name := nameOf(bn.c)
		s := bn.weight * math.Min(ch/30, 1)
		cs += bn.weight
		switch {
		case warmHue(name):
			warm += s
		case coolHue(name):
			warm -= s
		}
	}
	if cs > 0 {
		a.Warmth = warm / cs * math.Min(1, colourShare*4)
	}
	switch {
	case gray, colourShare < 0.02 || a.Colorfulness < 6:
		a.Monochrome = true
	case cw > 0 && math.Hypot(hx, hy)/cw > 0.95 && within < 12 && cw/colourShare < 30 && a.Contrast > 10:
		// one hue, weakly saturated: a toned black-and-white print
		a.Monochrome = true
		mean := math.Atan2(hy, hx)
		a.Tint = nameOf(lab{L: 50, A: 25 * math.Cos(mean), B: 25 * math.Sin(mean)})
	}
	if a.Monochrome {
		a.Warmth = 0
	}
	a.Colors = dominant(bins, a.Monochrome && a.Tint == "")
}

// dominant clusters the histogram bins with a deterministic weighted
// k-means in L*a*b* and names the clusters. For neutral monochrome images
// chroma is ignored so that faint casts do not produce colour names.
func dominant(bins []bin, neutralOnly bool) []Color {
	if neutralOnly {
		for i := range bins {
			bins[i].c.A, bins[i].c.B = 0, 0
		}
	}
	k := min(clusterCount, len(bins))
	// Initialise with the heaviest bin, then repeatedly the bin that is
	// heavy and far from every centre chosen so far.
	centres := make([]lab, 0, k)
	heaviest := 0
	for i, bn := range bins {
		if bn.weight > bins[heaviest].weight {
			heaviest = i
		}
	}
	centres = append(centres, bins[heaviest].c)
	for len(centres) < k {
		best, bestScore := -1, 0.0
		for i, bn := range bins {
			d := math.Inf(1)
			for _, c := range centres {
				d = math.Min(d, bn.c.dist2(c))
			}
			if s := bn.weight * d; s > bestScore {
				best, bestScore = i, s
			}
		}
		if best < 0 {
			break
		}
		centres = append(centres, bins[best].c)
	}
	k = len(centres)
	assign := make([]int, len(bins))
	type acc struct{ w, l, a, b, r, g, bb float64 }
	sums := make([]acc, k)
	for iter := range 12 {
		changed := false
		for i, bn := range bins {
			best, bd := 0, math.Inf(1)
			for j, c := range centres {
				if d := bn.c.dist2(c); d < bd {
					best, bd = j, d
				}
			}
			if assign[i] != best || iter == 0 {
				changed = changed || assign[i] != best
				assign[i] = best
			}
		}
		clear(sums)
		for i, bn := range bins {
			s := &sums[assign[i]]
			s.w += bn.weight
			s.l += bn.weight * bn.c.L
			s.a += bn.weight * bn.c.A
			s.b += bn.weight * bn.c.B
			s.r += bn.weight * bn.r
			s.g += bn.weight * bn.g
			s.bb += bn.weight * bn.b
		}
		for j := range centres {
			if s := sums[j]; s.w > 0 {
				centres[j] = lab{L: s.l / s.w, A: s.a / s.w, B: s.b / s.w}
			}
		}
		if !changed && iter > 0 {
			break
		}
	}
	// Name clusters and merge those with the same name.
	byName := map[string]*Color{}
	var order []string
	weightOf := map[string]float64{}
	for j, c := range centres {
		s := sums[j]
		if s.w == 0 {
			continue
		}
		name := nameOf(c)
		if neutralOnly {
			name = nameOf(lab{L: c.L})
		}
		if _, ok := byName[name]; !ok {
			byName[name] = &Color{Name: name}
			order = append(order, name)
		}
		col := byName[name]
		col.Share += s.w
		// the heaviest cluster of a name gives the representative value
		if s.w > weightOf[name] {
			weightOf[name] = s.w
			col.Hex = fmt.Sprintf("#%02x%02x%02x", u8(s.r/s.w), u8(s.g/s.w), u8(s.bb/s.w))
		}
	}
	var out []Color
	for _, name := range order {
		if c := byName[name]; c.Share >= minShare {
			out = append(out, *c)
		}
	}
	slices.SortStableFunc(out, func(x, y Color) int {
		switch {
		case x.Share > y.Share:
			return -1
		case x.Share < y.Share:
			return 1
		}
		return 0
	})
	return out
}

func u8(v float64) uint8 { return uint8(min(max(math.Round(v), 0), 255)) }

// cellStat summarises one of the cells×cells divisions of a grid.
type cellStat struct {
	detail  float64 // mean neighbour difference, L*
	l       float64 // mean L*
	r, g, b float64 // mean sRGB
}

// gridStats returns per-cell statistics, the summed neighbour differences
// and the number of edge pixels of g.
func gridStats(g *grid) (stats [cells * cells]cellStat, total, edges float64) {
	var cnt [cells * cells]float64
	cellX := make([]int, g.w)
	for x := range cellX {
		cellX[x] = x * cells / g.w
	}
	for y := range g.h {
		cy := y * cells / g.h
		for x, cx := range cellX {
			i := y*g.w + x
			var d float64
			if x+1 < g.w {
				d += math.Abs(float64(g.l[i+1] - g.l[i]))
			}
			if y+1 < g.h {
				d += math.Abs(float64(g.l[i+g.w] - g.l[i]))
			}
			if d > edgeStep {
				edges++
			}
			total += d
			c := cy*cells + cx
			s := &stats[c]
			s.detail += d
			s.l += float64(g.l[i])
			s.r += float64(g.r[i])
			s.g += float64(g.g[i])
			s.b += float64(g.b[i])
			cnt[c]++
		}
	}
	for c := range stats {
		if n := cnt[c]; n > 0 {
			s := &stats[c]
			s.detail /= n
			s.l /= n
			s.r /= n
			s.g /= n
			s.b /= n
		}
	}
	return stats, total, edges
}

// measureDetail fills detail, edge density, evenness, calm share, copy
// space, gradient, solid and centre focus. A cell is calm only if it is
// calm in every frame.
func measureDetail(a *Analysis, grids []*grid) (mid [cells * cells]cellStat) {
	var cellMax [cells * cells]float64
	var cellMean [cells * cells]float64
	var cellLab [cells * cells][3]float64
	var total, edges, n float64
	nf := float64(len(grids))
	for gi, g := range grids {
		stats, t, e := gridStats(g)
		if gi == len(grids)/2 {
			mid = stats
		}
		total += t
		edges += e
		n += float64(len(g.l))
		for c, s := range stats {
			cellMax[c] = math.Max(cellMax[c], s.detail)
			cellMean[c] += s.detail / nf
			cellLab[c][0] += s.r / nf
			cellLab[c][1] += s.g / nf
			cellLab[c][2] += s.b / nf
		}
	}
	a.Detail = total / n
	a.EdgeDensity = edges / n

	var calm [cells * cells]bool
	calmCount := 0
	for c, m := range cellMax {
		calm[c] = m < calmDetail
		if calm[c] {
			calmCount++
		}
	}
	a.CalmShare = float64(calmCount) / (cells * cells)

	// Evenness: 1 minus the coefficient of variation of cell detail.
	var cm, cv float64
	for _, m := range cellMean {
		cm += m
	}
	cm /= cells * cells
	for _, m := range cellMean {
		cv += (m - cm) * (m - cm)
	}
	if cm > 0 {
		a.Evenness = math.Max(0, 1-math.Sqrt(cv/(cells*cells))/cm)
	}

	a.CopySpace = copySpace(calm)

	// A gradient or a solid colour: no edges and little detail anywhere.
	if a.EdgeDensity < 0.01 && a.Detail < calmDetail {
		var spread float64
		labs := make([]lab, 0, cells*cells)
		for _, c := range cellLab {
			labs = append(labs, rgbToLab(c[0], c[1], c[2]))
		}
		for i := range labs {
			for j := i + 1; j < len(labs); j++ {
				spread = math.Max(spread, math.Sqrt(labs[i].dist2(labs[j])))
			}
		}
		switch {
		case spread < 6 && a.Contrast < 4:
			a.Solid = true
		case spread >= 12:
			a.Gradient = true
		}
	}

	// Centre focus: the middle 2×2 cells hold much more detail than the
	// ring of border cells, which are mostly calm.
	var centre, ring float64
	var nc, nr int
	for cy := range cells {
		for cx := range cells {
			m := cellMean[cy*cells+cx]
			switch {
			case cx >= 2 && cx <= 3 && cy >= 2 && cy <= 3:
				centre += m
				nc++
			case cx == 0 || cy == 0 || cx == cells-1 || cy == cells-1:
				ring += m
				nr++
			}
		}
	}
	centre /= float64(nc)
	ring /= float64(nr)
	a.CentreFocus = centre > 3*calmDetail && centre > 3*ring && ring < 2*calmDetail
	return mid
}

// copySpace names the largest calm region along an edge or in a corner of
// the 6×6 calm map, or "" if none covers at least a third of the frame's
// width or height along a full side (or a 3×3 corner).
func copySpace(calm [cells * cells]bool) string {
	all := true
	for _, c := range calm {
		all = all && c
	}
	if all {
		return "everywhere"
	}
	// depth of calm bands from each side
	depth := func(band func(i, j int) bool) int {
		d := 0
		for i := range cells {
			for j := range cells {
				if !band(i, j) {
					return d
				}
			}
			d++
		}
		return d
	}
	at := func(x, y int) bool { return calm[y*cells+x] }
	sides := []struct {
		name string
		d    int
	}{
		{"left", depth(func(i, j int) bool { return at(i, j) })},
		{"right", depth(func(i, j int) bool { return at(cells-1-i, j) })},
		{"top", depth(func(i, j int) bool { return at(j, i) })},
		{"bottom", depth(func(i, j int) bool { return at(j, cells-1-i) })},
	}
	best, bestD := "", 1
	for _, s := range sides {
		if s.d > bestD {
			best, bestD = s.name, s.d
		}
	}
	if best != "" {
		return best
	}
	corner := func(x0, y0 int) bool {
		for y := y0; y < y0+3; y++ {
			for x := x0; x < x0+3; x++ {
				if !at(x, y) {
					return false
				}
			}
		}
		return true
	}
	for _, c := range []struct {
		name   string
		x0, y0 int
	}{{"top left", 0, 0}, {"top right", 3, 0}, {"bottom left", 0, 3}, {"bottom right", 3, 3}} {
		if corner(c.x0, c.y0) {
			return c.name
		}
	}
	// a band across the middle two thirds of the top or bottom, where
	// something rises at the sides
	band := func(y0 int) bool {
		for y := y0; y < y0+2; y++ {
			for x := 1; x < cells-1; x++ {
				if !at(x, y) {
					return false
				}
			}
		}
		return true
	}
	switch {
	case band(0):
		return "top"
	case band(cells - 2):
		return "bottom"
	}
	return ""
}

func rowProfile(g *grid) []float64 {
	p := make([]float64, g.h)
	for y := range g.h {
		var s float64
		for _, v := range g.l[y*g.w : (y+1)*g.w] {
			s += float64(v)
		}
		p[y] = s / float64(g.w)
	}
	return p
}

func colProfile(g *grid) []float64 {
	p := make([]float64, g.w)
	for y := range g.h {
		for x, v := range g.l[y*g.w : (y+1)*g.w] {
			p[x] += float64(v)
		}
	}
	for x := range p {
		p[x] /= float64(g.h)
	}
	return p
}

// periodic reports whether a lightness profile repeats: after its
// autocorrelation first drops below zero it rises again to a strong peak.
// At least three repetitions must fit in the profile.
func periodic(p []float64) bool {
	n := len(p)
	if n < 24 {
		return false
	}
	var mean float64
	for _, v := range p {
		mean += v
	}
	mean /= float64(n)
	var v0 float64
	q := make([]float64, n)
	for i, v := range p {
		q[i] = v - mean
		v0 += q[i] * q[i]
	}
	if v0/float64(n) < 1 { // profile is flat: under 1 L* of spread
		return false
	}
	ac := func(k int) float64 {
		var s float64
		for i := 0; i+k < n; i++ {
			s += q[i] * q[i+k]
		}
		return s / v0 * float64(n) / float64(n-k)
	}
	k := 1
	for ; k < n/3 && ac(k) > 0; k++ {
	}
	for ; k <= n/3; k++ {
		if ac(k) > 0.45 {
			return true
		}
	}
	return false
}

// symmetric compares the frame with its mirror image.
func symmetric(g *grid) bool {
	var mean float64
	for _, v := range g.l {
		mean += float64(v)
	}
	mean /= float64(len(g.l))
	var dev, diff float64
	for y := range g.h {
		row := g.l[y*g.w : (y+1)*g.w]
		for x, v := range row {
			dev += math.Abs(float64(v) - mean)
			diff += math.Abs(float64(v - row[g.w-1-x]))
		}
	}
	dev /= float64(len(g.l))
	diff /= float64(len(g.l))
	return dev > 4 && diff < 0.2*dev
}

// countPoints counts small bright local maxima standing well above their
// 5×5 surroundings.
func countPoints(g *grid) int {
	n := 0
	for y := 2; y < g.h-2; y++ {
		for x := 2; x < g.w-2; x++ {
			i := y*g.w + x
			v := g.l[i]
			if v < 30 {
				continue
			}
			// strict maximum against earlier neighbours, at least as
			// bright as later ones, so flat peaks count once
			if v <= g.l[i-1] || v <= g.l[i-g.w] || v <= g.l[i-g.w-1] || v <= g.l[i-g.w+1] ||
				v < g.l[i+1] || v < g.l[i+g.w] || v < g.l[i+g.w-1] || v < g.l[i+g.w+1] {
				continue
			}
			var ring float32
			for dx := -2; dx <= 2; dx++ {
				ring += g.l[i-2*g.w+dx] + g.l[i+2*g.w+dx]
			}
			for dy := -1; dy <= 1; dy++ {
				ring += g.l[i+dy*g.w-2] + g.l[i+dy*g.w+2]
			}
			if ring/16 < v-20 {
				n++
			}
		}
	}
	return n
}

// sky reports a blue top third, mostly calm, above a bottom third that is
// darker or busier. Structures may cut into the sky: half of the top
// third's cells must be calm, and their mean colour must be blue.
func sky(g *grid, stats [cells * cells]cellStat) bool {
	if g.h < 2*cells || g.w < 2*cells {
		return false
	}
	var r, gg, b, l, d float64
	calm := 0
	for c := range 2 * cells {
		if s := stats[c]; s.detail < 1.5*calmDetail {
			r, gg, b, l, d = r+s.r, gg+s.g, b+s.b, l+s.l, d+s.detail
			calm++
		}
	}
	if calm < cells {
		return false
	}
	n := float64(calm)
	top := rgbToLab(r/n, gg/n, b/n)
	l, d = l/n, d/n
	var botL, botD float64
	for c := 4 * cells; c < cells*cells; c++ {
		botL += stats[c].l / (2 * cells)
		botD += stats[c].detail / (2 * cells)
	}
	h := top.hue()
	blueish := top.chroma() > 10 && h >= 200 && h < 300
	return blueish && l > 12 && (botL < l-5 || botD > 2*d)
}

// motion is the mean lightness change between consecutive frames of equal
// grid size.
func motion(grids []*grid) float64 {
	var sum float64
	pairs := 0
	for i := 1; i < len(grids); i++ {
		p, q := grids[i-1], grids[i]
		if p.w != q.w || p.h != q.h {
			continue
		}
		var d float64
		for j := range p.l {
			d += math.Abs(float64(p.l[j] - q.l[j]))
		}
		sum += d / float64(len(p.l))
		pairs++
	}
	if pairs == 0 {
		return 0
	}
	return sum / float64(pairs)
}
