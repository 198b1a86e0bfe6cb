package jpegdec

// The generated matrix: cjpeg (libjpeg-turbo) encodes a synthetic picture
// at many sizes, subsamplings, qualities, scan layouts, restart intervals
// and Huffman table choices; each file must decode like image/jpeg at
// Scale 1 (±1 per sample) and close to a box-filtered full decode at
// Scales 2, 4 and 8.

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tolerances of a reduced-scale decode against the full decode
// box-filtered by the scale (edge boxes averaged over the samples
// present), per scale and region (see compareScaled).
//
// Measured on 2026-12-02 with the jpegdec branch at 09843c2 (the same
// figures again at 2172f64) over the matrix (132 files), the repository's
// JPEGs and the hand-written files (go test -v -run
// 'TestMatrix$|TestFixtures|TestHandWritten'):
//
//	scale  interior mean / max   edge mean / max
//	2      0.26 / 34.2           2.7 / 81.0
//	4      0.24 / 10.9           9.3 / 63.5
//	8      0.24 / 6.0            19.8 / 95.5
//
// The interior maxima come from quality 10 and below, where ringing past
// 0 and 255 is clamped before the box filter sees it; libjpeg-turbo's own
// reduced decode (djpeg -scale) is as far from the box filter there, and
// Decode is within 1 of djpeg everywhere (djpegScaledTolerances), so the
// error is the box filter's, not the decoder's. Edge boxes are far worse
// for the same reason in every file: a reduced IDCT averages the encoder's
// padding past the edge (on a 4097×3 strip with a steep vertical gradient
// the 1/8 decode is 84 off). The limits keep about 1.5× margin on the
// measured figures; the edge limits are weak by nature and djpeg is the
// check that pins edges down.
type scaleTolerance struct {
	mean float64 // mean absolute error over every sample of the region
	max  float64 // largest absolute error of any one sample
}

// scaleTolerances is indexed like reducedScales, then by region.
var scaleTolerances = [len(reducedScales)][boxRegions]scaleTolerance{
	{{mean: 0.5, max: 48}, {mean: 6, max: 128}},  // scale 2
	{{mean: 0.5, max: 24}, {mean: 16, max: 128}}, // scale 4
	{{mean: 0.5, max: 12}, {mean: 32, max: 160}}, // scale 8
}

// addScaled adds one input's reduced-scale errors to total, naming the
// input where its error is the largest yet.
func addScaled(total *[len(reducedScales)][boxRegions]scaleStats, st [len(reducedScales)][boxRegions]scaleStats, name string) {
	for i := range st {
		for r := range st[i] {
			s := st[i][r]
			s.maxWhat = name + ": " + s.maxWhat
			total[i][r].add(s)
		}
	}
}

// matrixCase is one cjpeg encoding of the synthetic picture.
type matrixCase struct {
	w, h     int
	sampling string // "gray", "rgb" or a cjpeg -sample value for the luma component
	quality  int
	scan     string // key of scanScripts, "baseline" or "progressive" (cjpeg's own script)
	restart  string // "" or a cjpeg -restart value
	optimize bool
	extra    []string // further cjpeg arguments
}

// Axes of the matrix. Every value of every axis appears, and every pair of
// values of two axes appears in at least one case (a covering design built
// by pairwiseCases); the full product would be ~10,000 cjpeg runs.
var (
	matrixSizes = [][2]int{
		{1, 1}, {1, 2}, {2, 1}, {7, 9}, {8, 8}, {9, 7}, {16, 16}, {17, 15},
		{31, 33}, {33, 31}, {64, 64}, {100, 75}, {257, 129}, {4097, 3}, {3, 4097},
	}
	matrixSamplings = []string{"gray", "rgb", "1x1", "2x1", "2x2", "1x2", "4x1", "4x2"}
	matrixQualities = []int{1, 10, 50, 75, 90, 100}
	matrixScans     = []string{"baseline", "progressive", "prog-spectral", "prog-approx", "seq-separate", "seq-split"}
	matrixRestarts  = []string{"", "1", "1B", "3B"}
	matrixOptimize  = []bool{false, true}
)

// scanScripts are cjpeg -scans files (libjpeg's wizard syntax: components:
// Ss-Se, Ah, Al;) for three components; threeToOne rewrites them for a
// grayscale file. "prog-spectral" is spectral selection only, with the DC
// scan interleaved; "prog-approx" has non-interleaved DC scans and deep
// successive approximation of both DC and AC; "seq-separate" is a
// sequential file with one non-interleaved scan per component;
// "seq-split" has luma alone, then the two chroma components interleaved.
var scanScripts = map[string]string{
	"prog-spectral": "0,1,2: 0-0, 0, 0;\n0: 1-5, 0, 0;\n0: 6-63, 0, 0;\n1: 1-63, 0, 0;\n2: 1-63, 0, 0;\n",
	"prog-approx": "0: 0-0, 0, 2;\n1: 0-0, 0, 2;\n2: 0-0, 0, 2;\n0,1,2: 0-0, 2, 1;\n0,1,2: 0-0, 1, 0;\n" +
		"0: 1-9, 0, 3;\n0: 10-63, 0, 2;\n1: 1-63, 0, 1;\n2: 1-63, 0, 1;\n" +
		"0: 1-9, 3, 2;\n0: 1-9, 2, 1;\n0: 1-9, 1, 0;\n0: 10-63, 2, 1;\n0: 10-63, 1, 0;\n1: 1-63, 1, 0;\n2: 1-63, 1, 0;\n",
	"seq-separate": "0: 0-63, 0, 0;\n1: 0-63, 0, 0;\n2: 0-63, 0, 0;\n",
	"seq-split":    "0: 0-63, 0, 0;\n1,2: 0-63, 0, 0;\n",
}

// grayScript keeps only the scans of component 0 of a three-component
// script (dropping the others from interleaved scans).
func grayScript(s string) string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		comps, rest, _ := strings.Cut(line, ":")
		if slices.Contains(strings.Split(comps, ","), "0") {
			out = append(out, "0:"+rest)
		}
	}
	return strings.Join(out, "\n") + "\n"
}

// writeScanScripts writes every scan script, in its three-component and
// its grayscale form, into dir, where args expects them.
func writeScanScripts(dir string) error {
	for name, s := range scanScripts {
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(s), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-gray.txt"), []byte(grayScript(s)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// args returns cjpeg's arguments for c, naming scan scripts in dir (see
// writeScanScripts).
func (c matrixCase) args(dir string) []string {
	a := []string{"-quality", fmt.Sprint(c.quality)}
	switch c.sampling {
	case "gray":
		a = append(a, "-grayscale")
	case "rgb":
		a = append(a, "-rgb")
	default:
		a = append(a, "-sample", c.sampling)
	}
	switch c.scan {
	case "baseline":
	case "progressive":
		a = append(a, "-progressive")
	default:
		f := c.scan
		if c.sampling == "gray" {
			f += "-gray"
		}
		a = append(a, "-scans", filepath.Join(dir, f+".txt"))
	}
	if c.restart != "" {
		a = append(a, "-restart", c.restart)
	}
	if c.optimize {
		a = append(a, "-optimize")
	}
	return append(a, c.extra...)
}

// String is the cjpeg command line that makes the case's file from the
// synthetic picture (sourcePPM(w, h, 1)), for failure reports; a scan
// script is named by its key in scanScripts.
func (c matrixCase) String() string {
	return fmt.Sprintf("%dx%d: cjpeg %s", c.w, c.h, strings.Join(c.args(""), " "))
}

// encode makes the case's file with cjpeg; dir holds the scan scripts.
func (c matrixCase) encode(cjpeg, dir string) ([]byte, error) {
	return runCjpeg(cjpeg, dir, sourcePPM(c.w, c.h, 1), c.args(dir))
}

// pairwiseCases builds a covering design over the axes: it adds cases
// until every pair of values of any two axes appears in at least one.
// Each new case starts from the first uncovered pair and fills the other
// axes greedily with the value covering the most uncovered pairs, ties
// going to the value used least so far. Deterministic.
func pairwiseCases() []matrixCase {
	sizes := len(matrixSizes)
	axes := []int{sizes, len(matrixSamplings), len(matrixQualities), len(matrixScans), len(matrixRestarts), len(matrixOptimize)}
	type pair struct{ a, va, b, vb int }
	uncovered := map[pair]bool{}
	for a := range axes {
		for b := a + 1; b < len(axes); b++ {
			for va := range axes[a] {
				for vb := range axes[b] {
					uncovered[pair{a, va, b, vb}] = true
				}
			}
		}
	}
	used := make([][]int, len(axes))
	for a := range axes {
		used[a] = make([]int, axes[a])
	}
	var rows [][]int
	for len(uncovered) > 0 {
		// The smallest uncovered pair, for determinism.
		var first pair
		found := false
		for a := range axes {
			for b := a + 1; b < len(axes) && !found; b++ {
				for va := 0; va < axes[a] && !found; va++ {
					for vb := 0; vb < axes[b] && !found; vb++ {
						if uncovered[pair{a, va, b, vb}] {
							first, found = pair{a, va, b, vb}, true
						}
					}
				}
			}
			if found {
				break
			}
		}
		row := make([]int, len(axes))
		fixed := make([]bool, len(axes))
		row[first.a], row[first.b] = first.va, first.vb
		fixed[first.a], fixed[first.b] = true, true
		for a := range axes {
			if fixed[a] {
				continue
			}
			best, bestGain := 0, -1
			for v := range axes[a] {
				gain := 0
				for b := range axes {
					if !fixed[b] || b == a {
						continue
					}
					p := pair{a, v, b, row[b]}
					if b < a {
						p = pair{b, row[b], a, v}
					}
					if uncovered[p] {
						gain++
					}
				}
				if gain > bestGain || (gain == bestGain && used[a][v] < used[a][best]) {
					best, bestGain = v, gain
				}
			}
			row[a], fixed[a] = best, true
		}
		for a := range axes {
			used[a][row[a]]++
			for b := a + 1; b < len(axes); b++ {
				delete(uncovered, pair{a, row[a], b, row[b]})
			}
		}
		rows = append(rows, row)
	}
	cases := make([]matrixCase, 0, len(rows))
	for _, r := range rows {
		cases = append(cases, matrixCase{
			w: matrixSizes[r[0]][0], h: matrixSizes[r[0]][1],
			sampling: matrixSamplings[r[1]],
			quality:  matrixQualities[r[2]],
			scan:     matrixScans[r[3]],
			restart:  matrixRestarts[r[4]],
			optimize: matrixOptimize[r[5]],
		})
	}
	return cases
}

// extraCases are hand-picked files the pairwise design may not produce:
// the largest sizes with the hardest layouts, other DCT methods, and
// pictures whose edges are not multiples of the MCU in both directions.
func extraCases() []matrixCase {
	return []matrixCase{
		{w: 640, h: 480, sampling: "2x2", quality: 90, scan: "progressive", restart: "1"},
		{w: 641, h: 479, sampling: "2x2", quality: 75, scan: "baseline", restart: "5B", optimize: true},
		{w: 333, h: 222, sampling: "2x1", quality: 95, scan: "prog-approx"},
		{w: 223, h: 331, sampling: "1x2", quality: 60, scan: "seq-separate", restart: "2B"},
		{w: 129, h: 65, sampling: "4x2", quality: 85, scan: "progressive", restart: "1B"},
		{w: 65, h: 129, sampling: "4x1", quality: 40, scan: "prog-spectral", restart: "1"},
		{w: 200, h: 150, sampling: "1x1", quality: 75, scan: "baseline", extra: []string{"-dct", "fast"}},
		{w: 150, h: 200, sampling: "2x2", quality: 75, scan: "baseline", extra: []string{"-dct", "float"}},
		{w: 97, h: 61, sampling: "gray", quality: 100, scan: "prog-approx", restart: "1B"},
		{w: 97, h: 61, sampling: "rgb", quality: 30, scan: "progressive", restart: "1"},
		// Chroma components sampled unlike each other, and a 3×1 luma:
		// image/jpeg refuses these; Decode may refuse them too.
		{w: 48, h: 40, sampling: "2x2,1x1,2x2", quality: 75, scan: "baseline"},
		{w: 48, h: 40, sampling: "3x1", quality: 75, scan: "baseline"},
	}
}

// matrixResult is one case's outcome.
type matrixResult struct {
	c   matrixCase
	v   verdict
	err error // cjpeg failed
	// djpegScaled is the luma error at reducedScales[i] against djpeg's
	// reduced decode; djpegErrs what went wrong there.
	djpegScaled [len(reducedScales)]scaleStats
	djpegErrs   []string
}

// TestMatrix runs the matrix (pairwise design plus the extra cases). It
// needs cjpeg; the committed testdata files cover part of it without.
func TestMatrix(t *testing.T) {
	cjpeg := cjpegPath(t)
	djpeg := toolPath(t, "djpeg", "libjpeg-turbo-progs")
	dir := t.TempDir()
	if err := writeScanScripts(dir); err != nil {
		t.Fatal(err)
	}
	cases := append(pairwiseCases(), extraCases()...)
	start := time.Now()
	results := make([]matrixResult, len(cases))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := cases[i]
				results[i].c = c
				data, err := c.encode(cjpeg, dir)
				if err != nil {
					results[i].err = err
					continue
				}
				results[i].v = refVerify(data, djpeg, dir)
				if results[i].v.decodeErr != nil {
					continue
				}
				for si, n := range reducedScales {
					g, err := Decode(data, Options{Scale: n})
					if err != nil {
						continue // verify reported it
					}
					st, err := compareDjpegScaled(djpeg, dir, data, g, n)
					if err != nil {
						results[i].djpegErrs = append(results[i].djpegErrs, err.Error())
					}
					results[i].djpegScaled[si] = st
				}
			}
		}()
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	var total [len(reducedScales)][boxRegions]scaleStats
	refused, refRefused, encoded, djpegChecked := 0, 0, 0, 0
	var djpegMax djpegDiff
	var djpegScaled [len(reducedScales)]scaleStats
	for _, r := range results {
		if r.err != nil {
			// cjpeg refuses some layouts (e.g. sampling factors whose sum
			// is too large); that is not the decoder's concern, but every
			// case of the pairwise design must encode.
			t.Errorf("%s: %v", r.c, r.err)
			continue
		}
		encoded++
		if r.v.refErr != nil {
			refRefused++
		}
		if r.v.unsupported {
			refused++
			t.Logf("%s: Decode refuses it as unsupported (%v); image/jpeg: %v", r.c, r.v.decodeErr, r.v.refErr)
		}
		if r.v.djpeg.checked {
			djpegChecked++
			djpegMax.luma = max(djpegMax.luma, r.v.djpeg.luma)
			djpegMax.rgb = max(djpegMax.rgb, r.v.djpeg.rgb)
		}
		for _, e := range r.v.errs {
			t.Errorf("%s: %s", r.c, e)
		}
		addScaled(&total, r.v.scaled, r.c.String())
		for _, e := range r.djpegErrs {
			t.Errorf("%s: %s", r.c, e)
		}
		for i, st := range r.djpegScaled {
			st.maxWhat = r.c.String() + ": " + st.maxWhat
			djpegScaled[i].add(st)
		}
	}
	t.Logf("%d cases (%d pairwise + %d extra), %d encoded, image/jpeg refused %d, Decode refused %d as unsupported, %v",
		len(cases), len(cases)-len(extraCases()), len(extraCases()), encoded, refRefused, refused, time.Since(start).Round(time.Millisecond))
	t.Logf("djpeg: %d files image/jpeg refuses checked against djpeg; largest luma difference %d (limit %d), RGB %d (limit %d)",
		djpegChecked, djpegMax.luma, djpegLumaTol, djpegMax.rgb, djpegRGBTol)
	checkScaleTolerances(t, "matrix", total)
	for i, n := range reducedScales {
		st, tol := djpegScaled[i], djpegScaledTolerances[i]
		t.Logf("matrix scale %d against djpeg -scale 1/%d (luma, RGB): %d samples, mean abs error %.3f (limit %.2f), max %.0f (limit %.0f) at %s",
			n, n, st.n, st.mean(), tol.mean, st.max, tol.max, st.maxWhat)
		if st.mean() > tol.mean || st.max > tol.max {
			t.Errorf("matrix scale %d against djpeg -scale 1/%d: mean abs error %.3f (limit %.2f), max %.0f (limit %.0f) at %s",
				n, n, st.mean(), tol.mean, st.max, tol.max, st.maxWhat)
		}
	}
}

// djpegScaledTolerances bound the error of a reduced-scale decode against
// djpeg -scale 1/n (libjpeg-turbo) of the same file, luma and RGB planes,
// per scale. Measured with the jpegdec branch at 09843c2 and 2172f64 over
// the matrix:
// mean 0.013, 0.008 and 0.000, max 1, 1 and 0 at scales 2, 4 and 8.
var djpegScaledTolerances = [len(reducedScales)]scaleTolerance{
	{mean: 0.05, max: 2}, // scale 2
	{mean: 0.05, max: 2}, // scale 4
	{mean: 0.05, max: 2}, // scale 8
}

// checkScaleTolerances logs the measured reduced-scale error and holds it
// to scaleTolerances.
func checkScaleTolerances(t *testing.T, what string, total [len(reducedScales)][boxRegions]scaleStats) {
	t.Helper()
	for i, n := range reducedScales {
		for r := range boxRegions {
			st, tol := total[i][r], scaleTolerances[i][r]
			t.Logf("%s scale %d %s: %d samples, mean abs error %.3f (limit %.1f), max %.1f (limit %.0f) at %s",
				what, n, boxRegionNames[r], st.n, st.mean(), tol.mean, st.max, tol.max, st.maxWhat)
			if st.mean() > tol.mean {
				t.Errorf("%s scale %d %s: mean abs error %.3f against the box-filtered full decode, limit %.1f", what, n, boxRegionNames[r], st.mean(), tol.mean)
			}
			if st.max > tol.max {
				t.Errorf("%s scale %d %s: max error %.1f at %s, limit %.0f", what, n, boxRegionNames[r], st.max, st.maxWhat, tol.max)
			}
		}
	}
}

// TestMatrixCovering checks the design itself: every pair of values of
// any two axes is in some case (so a shrunk design fails here, not
// silently).
func TestMatrixCovering(t *testing.T) {
	cases := pairwiseCases()
	key := func(c matrixCase) []string {
		return []string{
			fmt.Sprintf("size=%dx%d", c.w, c.h), "sampling=" + c.sampling, fmt.Sprintf("q=%d", c.quality),
			"scan=" + c.scan, "restart=" + c.restart, fmt.Sprintf("optimize=%v", c.optimize),
		}
	}
	seen := map[[2]string]bool{}
	for _, c := range cases {
		k := key(c)
		for i := range k {
			for j := i + 1; j < len(k); j++ {
				seen[[2]string{k[i], k[j]}] = true
			}
		}
	}
	values := make([][]string, 6)
	for _, s := range matrixSizes {
		values[0] = append(values[0], fmt.Sprintf("size=%dx%d", s[0], s[1]))
	}
	for _, s := range matrixSamplings {
		values[1] = append(values[1], "sampling="+s)
	}
	for _, q := range matrixQualities {
		values[2] = append(values[2], fmt.Sprintf("q=%d", q))
	}
	for _, s := range matrixScans {
		values[3] = append(values[3], "scan="+s)
	}
	for _, r := range matrixRestarts {
		values[4] = append(values[4], "restart="+r)
	}
	for _, o := range matrixOptimize {
		values[5] = append(values[5], fmt.Sprintf("optimize=%v", o))
	}
	missing := 0
	for a := range values {
		for b := a + 1; b < len(values); b++ {
			for _, va := range values[a] {
				for _, vb := range values[b] {
					if !seen[[2]string{va, vb}] {
						missing++
						if missing < 10 {
							t.Errorf("pair %s, %s not covered", va, vb)
						}
					}
				}
			}
		}
	}
	t.Logf("%d pairwise cases; full product would be %d", len(cases),
		len(matrixSizes)*len(matrixSamplings)*len(matrixQualities)*len(matrixScans)*len(matrixRestarts)*len(matrixOptimize))
}

// patchSOF returns a copy of data with its first SOF0 marker replaced by
// marker and its sample precision by precision.
func patchSOF(t *testing.T, data []byte, marker, precision byte) []byte {
	t.Helper()
	out := slices.Clone(data)
	for i := 2; i+4 < len(out); {
		if out[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		if out[i+1] == 0xc0 {
			out[i+1], out[i+4] = marker, precision
			return out
		}
		i += 2 + int(out[i+2])<<8 + int(out[i+3])
	}
	t.Fatal("no SOF0 marker")
	return nil
}

// TestRefusesUnsupported: frames Decode does not handle (12-bit samples,
// lossless, hierarchical, arithmetic coding) get KindUnsupported, never
// pixels, so the caller falls back to image/jpeg (which refuses them too).
func TestRefusesUnsupported(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "base444.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	arith, err := os.ReadFile(filepath.Join("testdata", "arith420.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"12-bit extended sequential (SOF1, P=12)": patchSOF(t, base, 0xc1, 12),
		"12-bit progressive (SOF2, P=12)":         patchSOF(t, base, 0xc2, 12),
		"lossless (SOF3)":                         patchSOF(t, base, 0xc3, 8),
		"hierarchical (SOF5)":                     patchSOF(t, base, 0xc5, 8),
		"arithmetic (SOF9, from cjpeg)":           arith,
		"arithmetic progressive (SOF10)":          patchSOF(t, base, 0xca, 8),
		"lossless arithmetic (SOF11)":             patchSOF(t, base, 0xcb, 8),
	}
	for name, data := range cases {
		for _, n := range []int{1, 2, 4, 8} {
			img, err := Decode(data, Options{Scale: n})
			if err == nil {
				t.Errorf("%s, scale %d: Decode gives %s, want KindUnsupported", name, n, describeImage(img))
				continue
			}
			e, aerr := asError(err)
			if aerr != nil {
				t.Errorf("%s, scale %d: %v", name, n, aerr)
			} else if e.Kind != KindUnsupported {
				t.Errorf("%s, scale %d: %v has kind %d, want KindUnsupported", name, n, err, e.Kind)
			}
		}
	}
}

// TestScaleForContract checks ScaleFor against the contract's rule by
// brute force: the largest Scale in {8,4,2,1} whose output long edge
// ceil(max(w,h)/Scale) is still >= longEdge, 1 when longEdge <= 0 or the
// picture is no larger than longEdge.
func TestScaleForContract(t *testing.T) {
	want := func(w, h, longEdge int) int {
		m := max(w, h)
		if longEdge <= 0 || m <= longEdge {
			return 1
		}
		for _, s := range []int{8, 4, 2} {
			if (m+s-1)/s >= longEdge {
				return s
			}
		}
		return 1
	}
	sizes := []int{1, 2, 7, 8, 9, 15, 16, 17, 100, 767, 768, 769, 1535, 1536, 1537, 3071, 6000, 6143, 6144, 6145, 65535}
	edges := []int{-1, 0, 1, 2, 8, 96, 97, 192, 767, 768, 769, 1536, 3072, 6000, 65535}
	for _, w := range sizes {
		for _, h := range sizes {
			for _, e := range edges {
				if got, want := ScaleFor(w, h, e), want(w, h, e); got != want {
					t.Errorf("ScaleFor(%d, %d, %d) = %d, want %d", w, h, e, got, want)
				}
			}
		}
	}
}

// TestScaleZeroIsOne: the zero Options decode at full size.
func TestScaleZeroIsOne(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "base420_rst1b_opt.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	one, err := Decode(data, Options{Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	zero, err := Decode(data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := compareFull(zero, one, 0); err != nil {
		t.Errorf("Options{} vs Scale 1: %v", err)
	}
}

// TestConcurrentDecodes decodes the testdata files from several
// goroutines at every scale at once: each result must equal the one
// decoded alone (no shared mutable state; -race checks the rest).
func TestConcurrentDecodes(t *testing.T) {
	inputs, names := decodableTestdata(t)
	scales := []int{1, 2, 4, 8}
	alone := make([][]imageOrErr, len(inputs))
	for i, b := range inputs {
		for _, n := range scales {
			m, err := Decode(b, Options{Scale: n})
			alone[i] = append(alone[i], imageOrErr{m, err})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(inputs)*len(scales))
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range inputs {
				i := (k + g*7) % len(inputs)
				for si, n := range scales {
					m, err := Decode(inputs[i], Options{Scale: n})
					a := alone[i][si]
					switch {
					case (err == nil) != (a.err == nil):
						errs <- fmt.Sprintf("%s scale %d: alone %v, concurrently %v", names[i], n, a.err, err)
					case err == nil:
						if cerr := compareFull(m, a.img, 0); cerr != nil {
							errs <- fmt.Sprintf("%s scale %d: concurrent decode differs: %v", names[i], n, cerr)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
