package jpegdec

// Helpers shared by the reference tests (fixtures, the cjpeg matrix, the
// fuzz target): splitting a decoded image into its sample planes,
// comparing two decodes within a tolerance, and measuring a reduced-scale
// decode against a box-filtered full decode.

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// plane is one component of a decoded image: w×h samples, sample (x, y)
// at pix[y*stride+x*step].
type refPlane struct {
	name          string
	pix           []uint8
	stride, step  int
	width, height int
}

func (p refPlane) at(x, y int) uint8 { return p.pix[y*p.stride+x*p.step] }

// chromaDivisors returns the horizontal and vertical factors by which a
// YCbCr image's chroma planes are smaller than its luma plane.
func chromaDivisors(r image.YCbCrSubsampleRatio) (int, int, bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// planesOf splits img into its sample planes. It fails for a concrete
// type the contract does not allow, for bounds not at the origin, and for
// buffers too short for the bounds (so a short buffer shows up as an
// error, not an index panic in the comparison).
func planesOf(img image.Image) ([]refPlane, error) {
	if img == nil {
		return nil, errors.New("nil image")
	}
	r := img.Bounds()
	if r.Min != (image.Point{}) {
		return nil, fmt.Errorf("bounds %v do not start at (0,0)", r)
	}
	w, h := r.Dx(), r.Dy()
	check := func(p refPlane) error {
		if p.width <= 0 || p.height <= 0 {
			return fmt.Errorf("plane %s is %d×%d", p.name, p.width, p.height)
		}
		if p.stride < (p.width-1)*p.step+1 {
			return fmt.Errorf("plane %s: stride %d too small for width %d", p.name, p.stride, p.width)
		}
		if need := (p.height-1)*p.stride + (p.width-1)*p.step + 1; len(p.pix) < need {
			return fmt.Errorf("plane %s: %d bytes, want at least %d", p.name, len(p.pix), need)
		}
		return nil
	}
	var ps []refPlane
	switch m := img.(type) {
	case *image.Gray:
		ps = []refPlane{{"gray", m.Pix, m.Stride, 1, w, h}}
	case *image.YCbCr:
		hd, vd, ok := chromaDivisors(m.SubsampleRatio)
		if !ok {
			return nil, fmt.Errorf("unknown subsample ratio %v", m.SubsampleRatio)
		}
		cw, ch := (w+hd-1)/hd, (h+vd-1)/vd
		ps = []refPlane{
			{"Y", m.Y, m.YStride, 1, w, h},
			{"Cb", m.Cb, m.CStride, 1, cw, ch},
			{"Cr", m.Cr, m.CStride, 1, cw, ch},
		}
	case *image.RGBA:
		ps = []refPlane{
			{"R", m.Pix, m.Stride, 4, w, h},
			{"G", m.Pix[min(1, len(m.Pix)):], m.Stride, 4, w, h},
			{"B", m.Pix[min(2, len(m.Pix)):], m.Stride, 4, w, h},
			{"A", m.Pix[min(3, len(m.Pix)):], m.Stride, 4, w, h},
		}
	case *image.CMYK:
		ps = []refPlane{
			{"C", m.Pix, m.Stride, 4, w, h},
			{"M", m.Pix[min(1, len(m.Pix)):], m.Stride, 4, w, h},
			{"Y", m.Pix[min(2, len(m.Pix)):], m.Stride, 4, w, h},
			{"K", m.Pix[min(3, len(m.Pix)):], m.Stride, 4, w, h},
		}
	default:
		return nil, fmt.Errorf("concrete type %T is not one the contract allows", img)
	}
	for _, p := range ps {
		if err := check(p); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// describe names an image's type, bounds and (for YCbCr) ratio.
func describeImage(img image.Image) string {
	if img == nil {
		return "<nil>"
	}
	s := fmt.Sprintf("%T %v", img, img.Bounds())
	if m, ok := img.(*image.YCbCr); ok {
		s += " " + m.SubsampleRatio.String()
	}
	return s
}

// sameShape reports how got and want differ in type, bounds or ratio.
func sameShape(got, want image.Image) error {
	if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) || got.Bounds() != want.Bounds() {
		return fmt.Errorf("got %s, image/jpeg gives %s", describeImage(got), describeImage(want))
	}
	if g, ok := got.(*image.YCbCr); ok && g.SubsampleRatio != want.(*image.YCbCr).SubsampleRatio {
		return fmt.Errorf("got %s, image/jpeg gives %s", describeImage(got), describeImage(want))
	}
	return nil
}

// compareFull checks that got equals want (image/jpeg's decode of the same
// bytes) within tol per sample, with the same type, bounds and ratio. The
// error names the plane, the first sample at the largest difference and how
// many samples are off by more than tol.
func compareFull(got, want image.Image, tol int) error {
	if err := sameShape(got, want); err != nil {
		return err
	}
	gp, err := planesOf(got)
	if err != nil {
		return fmt.Errorf("decoded image: %v", err)
	}
	wp, err := planesOf(want)
	if err != nil {
		return fmt.Errorf("image/jpeg's image: %v", err)
	}
	var msgs []string
	for i := range gp {
		g, w := gp[i], wp[i]
		worst, wx, wy, over := 0, 0, 0, 0
		for y := range w.height {
			for x := range w.width {
				d := int(g.at(x, y)) - int(w.at(x, y))
				if d < 0 {
					d = -d
				}
				if d > tol {
					over++
				}
				if d > worst {
					worst, wx, wy = d, x, y
				}
			}
		}
		if worst > tol {
			msgs = append(msgs, fmt.Sprintf("plane %s: %d of %d samples differ by more than %d; largest %d at (%d,%d): got %d, want %d",
				w.name, over, w.width*w.height, tol, worst, wx, wy, g.at(wx, wy), w.at(wx, wy)))
		}
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

// scaleStats is the error of a reduced decode against the box-filtered
// full decode: the sum and count of absolute differences and the largest.
type scaleStats struct {
	sum     float64
	n       int
	max     float64
	maxWhat string // where the largest difference is, for the log
}

func (s *scaleStats) mean() float64 {
	if s.n == 0 {
		return 0
	}
	return s.sum / float64(s.n)
}

func (s *scaleStats) add(o scaleStats) {
	s.sum += o.sum
	s.n += o.n
	if o.max > s.max {
		s.max, s.maxWhat = o.max, o.maxWhat
	}
}

// Where a reduced-scale sample comes from: a box of the full plane that
// is whole (interior) or cut by the plane's right or bottom edge.
const (
	boxWhole = iota
	boxCut
	boxRegions
)

// boxRegionNames name the regions in logs.
var boxRegionNames = [boxRegions]string{"interior", "edge"}

// compareScaled measures got, a decode at Scale n, against full (a full
// decode of the same bytes): every plane of got must be ceil(w/n)×ceil(h/n)
// of the matching plane of full, and each of its samples is compared with
// the average of the n×n block of full's plane it covers (edge blocks
// averaged over the samples present). Boxes cut by the picture's edge are
// measured apart: there a reduced IDCT also averages the encoder's padding
// beyond the edge, which the box filter never sees.
func compareScaled(got, full image.Image, n int) ([boxRegions]scaleStats, error) {
	var st [boxRegions]scaleStats
	fb := full.Bounds()
	wantR := image.Rect(0, 0, (fb.Dx()+n-1)/n, (fb.Dy()+n-1)/n)
	if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", full) || got.Bounds() != wantR {
		return st, fmt.Errorf("scale %d: got %s, want %T %v", n, describeImage(got), full, wantR)
	}
	if g, ok := got.(*image.YCbCr); ok && g.SubsampleRatio != full.(*image.YCbCr).SubsampleRatio {
		return st, fmt.Errorf("scale %d: got %s, full decode is %s", n, describeImage(got), describeImage(full))
	}
	gp, err := planesOf(got)
	if err != nil {
		return st, fmt.Errorf("scale %d: %v", n, err)
	}
	fp, err := planesOf(full)
	if err != nil {
		return st, fmt.Errorf("full decode: %v", err)
	}
	for i := range gp {
		g, f := gp[i], fp[i]
		if g.width != (f.width+n-1)/n || g.height != (f.height+n-1)/n {
			return st, fmt.Errorf("scale %d: plane %s is %d×%d, want %d×%d", n, g.name, g.width, g.height, (f.width+n-1)/n, (f.height+n-1)/n)
		}
		for by := range g.height {
			for bx := range g.width {
				sum, cnt := 0, 0
				for y := by * n; y < min(f.height, by*n+n); y++ {
					for x := bx * n; x < min(f.width, bx*n+n); x++ {
						sum += int(f.at(x, y))
						cnt++
					}
				}
				r := boxWhole
				if cnt < n*n {
					r = boxCut
				}
				d := math.Abs(float64(g.at(bx, by)) - float64(sum)/float64(cnt))
				st[r].sum += d
				st[r].n++
				if d > st[r].max {
					st[r].max = d
					st[r].maxWhat = fmt.Sprintf("plane %s (%d,%d)", g.name, bx, by)
				}
			}
		}
	}
	return st, nil
}

// ycckTolerance is the Scale 1 tolerance for YCCK files (four components,
// Adobe APP14 transform 2), instead of the contract's ±1. Both decoders
// convert YCbCr to RGB before they output CMYK, so a ±1 difference in the
// Y and Cr (or Cb) planes, which the contract allows, becomes up to
// 1 + 1.402 (or 1 + 1.772) in R (or B). Agreed with the jpegdec helper;
// image/jpeg's IDCT would have to be copied to do better. Measured on the
// hand-written YCCK files: largest difference 3.
const ycckTolerance = 3

// fullTolerance is the per-sample tolerance at Scale 1 against image/jpeg's
// decode ref of data: ±1, or ycckTolerance for a CMYK image from a file
// with an Adobe APP14 segment whose transform is not 0.
func fullTolerance(data []byte, ref image.Image) int {
	if _, ok := ref.(*image.CMYK); ok && hasAdobeTransform(data) {
		return ycckTolerance
	}
	return 1
}

// hasAdobeTransform reports whether data holds an Adobe APP14 segment with
// a transform other than 0 (looking at every such byte pattern, not only
// where a parser would find one, so that it errs towards the looser bound
// only for inputs that name a transform somewhere).
func hasAdobeTransform(data []byte) bool {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("\xff\xee"))
		if j < 0 {
			return false
		}
		i += j + 2
		if seg := data[i:]; len(seg) >= 14 && bytes.HasPrefix(seg[2:], []byte("Adobe")) && seg[13] != 0 {
			return true
		}
	}
}

// refDecode decodes data with image/jpeg.
func refDecode(data []byte) (image.Image, error) {
	return jpeg.Decode(bytes.NewReader(data))
}

// asError checks that err is a *Error of a known kind and returns it.
func asError(err error) (*Error, error) {
	var e *Error
	if !errors.As(err, &e) {
		return nil, fmt.Errorf("error %q (%T) is not a *jpegdec.Error", err, err)
	}
	if e.Kind != KindInvalid && e.Kind != KindUnsupported {
		return nil, fmt.Errorf("error %q has kind %d, neither KindInvalid nor KindUnsupported", err, e.Kind)
	}
	return e, nil
}

// cjpegPath returns cjpeg's path, skipping the test when it is missing,
// or failing it when CI=true.
func cjpegPath(t testing.TB) string {
	t.Helper()
	return toolPath(t, "cjpeg", "libjpeg-turbo-progs")
}

// toolPath returns the path of the tool name, skipping the test when it is
// missing, or failing it when CI=true. (internal/testenv.Tool does the
// same, but importing it would pull its PostgreSQL driver into this
// package's tests.)
func toolPath(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found and CI=true: install the Debian package %s", name, debianPackage)
	}
	t.Skipf("skipping: %s not found (Debian package %s)", name, debianPackage)
	return ""
}

// sourcePPM returns a binary PPM (P6) of w×h pixels that mixes what a JPEG
// encoder finds hard: smooth gradients in each channel, noise whose
// strength grows left to right, a saturated black/white checker in one
// corner (it drives the IDCT output past 0 and 255, so clamping matters)
// and flat areas. seed makes it reproducible.
func sourcePPM(w, h int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, uint64(w)<<32|uint64(h)))
	var b bytes.Buffer
	fmt.Fprintf(&b, "P6\n%d %d\n255\n", w, h)
	clamp := func(v int) byte { return byte(max(0, min(255, v))) }
	for y := range h {
		for x := range w {
			fx := float64(x) / float64(max(1, w-1))
			fy := float64(y) / float64(max(1, h-1))
			r := int(255 * fx)
			g := int(255 * fy)
			bl := int(128 + 100*math.Sin(6*fx+4*fy))
			amp := int(8 + 64*fx)
			switch {
			case fx > 0.75 && fy < 0.25: // checker
				v := 0
				if (x/3+y/3)%2 == 0 {
					v = 255
				}
				r, g, bl = v, 255-v, v
				amp = 0
			case fx < 0.2 && fy > 0.8: // flat
				r, g, bl = 200, 40, 90
				amp = 0
			}
			if amp > 0 {
				r += rng.IntN(2*amp+1) - amp
				g += rng.IntN(2*amp+1) - amp
				bl += rng.IntN(2*amp+1) - amp
			}
			b.WriteByte(clamp(r))
			b.WriteByte(clamp(g))
			b.WriteByte(clamp(bl))
		}
	}
	return b.Bytes()
}

// runCjpeg encodes ppm with cjpeg and the given arguments. dir holds the
// temporary files (scan scripts are written there too by the caller).
func runCjpeg(cjpeg, dir string, ppm []byte, args []string) ([]byte, error) {
	in, err := os.CreateTemp(dir, "src-*.ppm")
	if err != nil {
		return nil, err
	}
	defer os.Remove(in.Name())
	if _, err := in.Write(ppm); err != nil {
		in.Close()
		return nil, err
	}
	if err := in.Close(); err != nil {
		return nil, err
	}
	out := in.Name() + ".jpg"
	defer os.Remove(out)
	cmd := exec.Command(cjpeg, append(append([]string{}, args...), "-outfile", out, in.Name())...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("cjpeg %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(msg))
	}
	return os.ReadFile(out)
}

// repoRoot is the module's root, two levels up from this package.
func repoRoot() string { return filepath.Join("..", "..") }

// reducedScales are the scales compared with a box-filtered full decode.
var reducedScales = [...]int{2, 4, 8}

// verdict is what verify found for one input.
type verdict struct {
	refErr      error // image/jpeg's error, nil when it decodes the input
	decodeErr   error // Decode's error at Scale 1
	unsupported bool  // Decode refused it with KindUnsupported
	// scaled[i] is the error at reducedScales[i] against the box-filtered
	// full decode (image/jpeg's when it decodes the input, else Decode's).
	scaled [len(reducedScales)][boxRegions]scaleStats
	errs   []string  // contract violations
	djpeg  djpegDiff // the check against djpeg, where image/jpeg refuses
}

func (v *verdict) fail(format string, args ...any) {
	v.errs = append(v.errs, fmt.Sprintf(format, args...))
}

// verify decodes data with image/jpeg and with Decode at every scale and
// checks the contract: errors are *Error; what image/jpeg decodes, Decode
// decodes too (at every scale) and equals within ±1; reduced scales have
// libjpeg's dimensions. The reduced-scale error is measured, not judged:
// the callers hold it to the tolerances below.
//
// Where image/jpeg refuses the input and djpeg is given (its path, with dir
// for temporary files), Decode's full-size output is checked against djpeg
// instead; a file both image/jpeg and djpeg refuse has no reference.
func refVerify(data []byte, djpeg, dir string) verdict {
	var v verdict
	ref, refErr := refDecode(data)
	v.refErr = refErr
	got, err := Decode(data, Options{Scale: 1})
	v.decodeErr = err
	if err != nil {
		e, aerr := asError(err)
		if aerr != nil {
			v.fail("scale 1: %v", aerr)
		} else if e.Kind == KindUnsupported {
			v.unsupported = true
		}
		if refErr == nil {
			v.fail("scale 1: Decode refuses what image/jpeg decodes (%s): %v", describeImage(ref), err)
		}
	} else if refErr == nil {
		if cerr := compareFull(got, ref, fullTolerance(data, ref)); cerr != nil {
			v.fail("scale 1 vs image/jpeg: %v", cerr)
		}
	} else if _, perr := planesOf(got); perr != nil {
		v.fail("scale 1 (image/jpeg refuses: %v): %v", refErr, perr)
	} else if djpeg != "" {
		d, derr := compareDjpeg(djpeg, dir, data, got)
		v.djpeg = d
		if derr != nil && d.checked {
			v.fail("scale 1 (image/jpeg refuses: %v): %v", refErr, derr)
		}
	}
	full := ref
	if refErr != nil {
		full = got
		if err != nil {
			full = nil
		}
	}
	for i, n := range reducedScales {
		g, err := Decode(data, Options{Scale: n})
		if err != nil {
			if _, aerr := asError(err); aerr != nil {
				v.fail("scale %d: %v", n, aerr)
			}
			if full != nil {
				v.fail("scale %d: Decode refuses what decodes at full size: %v", n, err)
			}
			continue
		}
		if full == nil {
			// Scale 1 refused it but a reduced scale accepts it: allowed
			// (a reduced decode may never reach the bad part), but the
			// image must still be well formed.
			if _, perr := planesOf(g); perr != nil {
				v.fail("scale %d: %v", n, perr)
			}
			continue
		}
		st, serr := compareScaled(g, full, n)
		if serr != nil {
			v.fail("%v", serr)
			continue
		}
		v.scaled[i] = st
	}
	return v
}

// Tolerances against djpeg (libjpeg-turbo), the second reference, used
// only where image/jpeg refuses a file (it rejects restart intervals in
// non-interleaved scans of subsampled files, which libjpeg and the spec
// accept). libjpeg's accurate integer IDCT and image/jpeg's differ by a
// unit now and then, so luma gets ±2; the colour check converts Decode's
// planes to RGB (chroma replicated, as djpeg -nosmooth does) and compares
// with djpeg's RGB, where a ±2 chroma difference moves R or B by up to
// 1.772×2 on top of luma's, hence ±8. Measured maxima are in TestMatrix's
// log ("djpeg").
const (
	djpegLumaTol = 2
	djpegRGBTol  = 8
)

// pnm is a decoded binary PGM or PPM.
type pnmImage struct {
	w, h, channels int
	pix            []uint8
}

// parsePNM reads djpeg's P5/P6 output (maxval 255).
func parsePNM(b []byte) (pnmImage, error) {
	var p pnmImage
	var magic string
	var maxval int
	r := bytes.NewReader(b)
	if _, err := fmt.Fscan(r, &magic, &p.w, &p.h, &maxval); err != nil {
		return p, fmt.Errorf("pnm header: %v", err)
	}
	switch magic {
	case "P5":
		p.channels = 1
	case "P6":
		p.channels = 3
	default:
		return p, fmt.Errorf("pnm magic %q", magic)
	}
	if maxval != 255 {
		return p, fmt.Errorf("pnm maxval %d", maxval)
	}
	if _, err := r.ReadByte(); err != nil { // the single whitespace
		return p, err
	}
	p.pix = b[len(b)-r.Len():]
	if len(p.pix) != p.w*p.h*p.channels {
		return p, fmt.Errorf("pnm: %d bytes of samples, want %d", len(p.pix), p.w*p.h*p.channels)
	}
	return p, nil
}

// runDjpeg decodes data with djpeg and the given arguments.
func runDjpeg(djpeg, dir string, data []byte, args ...string) (pnmImage, error) {
	f, err := os.CreateTemp(dir, "in-*.jpg")
	if err != nil {
		return pnmImage{}, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return pnmImage{}, err
	}
	if err := f.Close(); err != nil {
		return pnmImage{}, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(djpeg, append(args, f.Name())...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return pnmImage{}, fmt.Errorf("djpeg %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return parsePNM(stdout.Bytes())
}

// djpegDiff is the largest difference found against djpeg.
type djpegDiff struct {
	checked   bool
	luma, rgb int
}

// compareDjpeg checks got (Decode at Scale 1) against djpeg's decode of
// the same bytes: the luma (or gray) plane against djpeg -grayscale, and
// for YCbCr and RGB the colour against djpeg -nosmooth -ppm. It returns
// the largest differences and an error when they pass the tolerances or
// djpeg refuses the file (then there is no second reference; the caller
// decides).
func compareDjpeg(djpeg, dir string, data []byte, got image.Image) (djpegDiff, error) {
	var d djpegDiff
	ps, err := planesOf(got)
	if err != nil {
		return d, err
	}
	w, h := got.Bounds().Dx(), got.Bounds().Dy()
	absd := func(a, b uint8) int {
		if a > b {
			return int(a - b)
		}
		return int(b - a)
	}
	switch got.(type) {
	case *image.Gray, *image.YCbCr:
		g, err := runDjpeg(djpeg, dir, data, "-grayscale", "-pnm")
		if err != nil {
			return d, err
		}
		if g.w != w || g.h != h || g.channels != 1 {
			return d, fmt.Errorf("djpeg -grayscale gives %d×%d×%d, Decode %d×%d", g.w, g.h, g.channels, w, h)
		}
		for y := range h {
			for x := range w {
				d.luma = max(d.luma, absd(ps[0].at(x, y), g.pix[y*w+x]))
			}
		}
	}
	switch m := got.(type) {
	case *image.YCbCr, *image.RGBA:
		c, err := runDjpeg(djpeg, dir, data, "-nosmooth", "-ppm")
		if err != nil {
			return d, err
		}
		if c.w != w || c.h != h || c.channels != 3 {
			return d, fmt.Errorf("djpeg -ppm gives %d×%d×%d, Decode %d×%d", c.w, c.h, c.channels, w, h)
		}
		for y := range h {
			for x := range w {
				var rgb [3]uint8
				if yc, ok := m.(*image.YCbCr); ok {
					hd, vd, _ := chromaDivisors(yc.SubsampleRatio)
					rgb[0], rgb[1], rgb[2] = color.YCbCrToRGB(ps[0].at(x, y), ps[1].at(x/hd, y/vd), ps[2].at(x/hd, y/vd))
				} else {
					rgb = [3]uint8{ps[0].at(x, y), ps[1].at(x, y), ps[2].at(x, y)}
				}
				for i := range rgb {
					d.rgb = max(d.rgb, absd(rgb[i], c.pix[(y*w+x)*3+i]))
				}
			}
		}
	}
	d.checked = true
	if d.luma > djpegLumaTol || d.rgb > djpegRGBTol {
		return d, fmt.Errorf("against djpeg: luma differs by up to %d (limit %d), RGB by up to %d (limit %d)", d.luma, djpegLumaTol, d.rgb, djpegRGBTol)
	}
	return d, nil
}

// A small baseline JPEG writer for layouts cjpeg cannot make (four
// components: Adobe CMYK and YCCK; three components without JFIF). It
// writes one interleaved sequential scan, one quantisation table and
// Huffman tables of fixed-length codes (DC categories 4 bits, AC symbols
// 8 bits), which is valid but not what an optimising encoder would pick.

// handComponent is one component for handJPEG: its id, sampling factors
// and plane (ceil(w*h/hmax) × ceil(h*v/vmax) samples, row-major).
type handComponent struct {
	id   byte
	h, v int
	pix  []uint8
}

// handJPEG describes a file for writeHandJPEG.
type handJPEG struct {
	w, h  int
	comps []handComponent
	// adobe is the APP14 transform (0 none/CMYK/RGB, 1 YCbCr, 2 YCCK),
	// or -1 for no APP14 segment.
	adobe   int
	quant   byte // every entry of the quantisation table
	restart int  // restart interval in MCUs, 0 for none
}

// handZigzag[i] is the natural (row-major) index of the i-th coefficient in
// zigzag order, built by walking the anti-diagonals.
var handZigzag = func() [64]int {
	var z [64]int
	i := 0
	for s := range 15 {
		for k := range s + 1 {
			x, y := k, s-k // even diagonals run up-right, odd ones down-left
			if s%2 == 1 {
				x, y = s-k, k
			}
			if x < 8 && y < 8 {
				z[i] = y*8 + x
				i++
			}
		}
	}
	return z
}()

// planeDims returns a component's plane size.
func (j handJPEG) planeDims(c handComponent) (int, int) {
	hmax, vmax := 1, 1
	for _, o := range j.comps {
		hmax, vmax = max(hmax, o.h), max(vmax, o.v)
	}
	return (j.w*c.h + hmax - 1) / hmax, (j.h*c.v + vmax - 1) / vmax
}

// handBitWriter packs entropy-coded bits with 0xFF byte stuffing.
type handBitWriter struct {
	out  []byte
	acc  uint32
	nacc int
}

func (b *handBitWriter) put(code uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		b.acc = b.acc<<1 | (code>>i)&1
		b.nacc++
		if b.nacc == 8 {
			b.out = append(b.out, byte(b.acc))
			if byte(b.acc) == 0xff {
				b.out = append(b.out, 0)
			}
			b.acc, b.nacc = 0, 0
		}
	}
}

// flush pads the last byte with 1 bits.
func (b *handBitWriter) flush() {
	for b.nacc != 0 {
		b.put(1, 1)
	}
}

// category is the JPEG magnitude category of v and its extra bits.
func magnitudeCategory(v int) (int, uint32) {
	a := v
	if a < 0 {
		a = -a
	}
	s := 0
	for a > 0 {
		s++
		a >>= 1
	}
	if v < 0 {
		v += 1<<s - 1
	}
	return s, uint32(v)
}

// acSymbols lists the AC table's symbols: EOB, ZRL and every run/size.
func acSymbols() []byte {
	syms := []byte{0x00, 0xf0}
	for run := range 16 {
		for size := 1; size <= 10; size++ {
			syms = append(syms, byte(run<<4|size))
		}
	}
	return syms
}

// writeHandJPEG encodes j.
func writeHandJPEG(j handJPEG) []byte {
	out := []byte{0xff, 0xd8}
	if j.adobe >= 0 {
		out = jpegSegment(out, 0xee, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, byte(j.adobe))
	}
	q := []byte{0}
	for range 64 {
		q = append(q, j.quant)
	}
	out = jpegSegment(out, 0xdb, q...)
	sof := []byte{8, byte(j.h >> 8), byte(j.h), byte(j.w >> 8), byte(j.w), byte(len(j.comps))}
	hmax, vmax := 1, 1
	for _, c := range j.comps {
		sof = append(sof, c.id, byte(c.h<<4|c.v), 0)
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	out = jpegSegment(out, 0xc0, sof...)
	// DC: categories 0..11, 4-bit codes; AC: 162 symbols, 8-bit codes.
	dht := []byte{0x00}
	dcBits := make([]byte, 16)
	dcBits[3] = 12
	dht = append(dht, dcBits...)
	for s := range 12 {
		dht = append(dht, byte(s))
	}
	acs := acSymbols()
	acBits := make([]byte, 16)
	acBits[7] = byte(len(acs))
	dht = append(dht, 0x10)
	dht = append(dht, acBits...)
	dht = append(dht, acs...)
	out = jpegSegment(out, 0xc4, dht...)
	acCode := map[byte]uint32{}
	for i, s := range acs {
		acCode[s] = uint32(i)
	}
	if j.restart > 0 {
		out = jpegSegment(out, 0xdd, byte(j.restart>>8), byte(j.restart))
	}
	sos := []byte{byte(len(j.comps))}
	for _, c := range j.comps {
		sos = append(sos, c.id, 0x00)
	}
	sos = append(sos, 0, 63, 0)
	out = jpegSegment(out, 0xda, sos...)

	mcux, mcuy := (j.w+8*hmax-1)/(8*hmax), (j.h+8*vmax-1)/(8*vmax)
	if len(j.comps) == 1 {
		// A single-component scan is non-interleaved: one block per MCU.
		pw, ph := j.planeDims(j.comps[0])
		mcux, mcuy = (pw+7)/8, (ph+7)/8
	}
	bw := &handBitWriter{}
	pred := make([]int, len(j.comps))
	var cos [8][8]float64
	for x := range 8 {
		for u := range 8 {
			cos[x][u] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / 16)
		}
	}
	encodeBlock := func(ci int, c handComponent, bx, by int) {
		pw, ph := j.planeDims(c)
		var f [64]float64
		for y := range 8 {
			for x := range 8 {
				sx, sy := min(bx*8+x, pw-1), min(by*8+y, ph-1)
				f[y*8+x] = float64(c.pix[sy*pw+sx]) - 128
			}
		}
		var coef [64]int
		for v := range 8 {
			for u := range 8 {
				s := 0.0
				for y := range 8 {
					for x := range 8 {
						s += f[y*8+x] * cos[x][u] * cos[y][v]
					}
				}
				cu, cv := 1.0, 1.0
				if u == 0 {
					cu = 1 / math.Sqrt2
				}
				if v == 0 {
					cv = 1 / math.Sqrt2
				}
				coef[v*8+u] = int(math.Round(s * cu * cv / 4 / float64(j.quant)))
			}
		}
		d := coef[0] - pred[ci]
		pred[ci] = coef[0]
		s, bits := magnitudeCategory(d)
		bw.put(uint32(s), 4)
		bw.put(bits, s)
		run := 0
		for k := 1; k < 64; k++ {
			v := coef[handZigzag[k]]
			if v == 0 {
				run++
				continue
			}
			for run >= 16 {
				bw.put(acCode[0xf0], 8)
				run -= 16
			}
			s, bits := magnitudeCategory(v)
			bw.put(acCode[byte(run<<4|s)], 8)
			bw.put(bits, s)
			run = 0
		}
		if run > 0 {
			bw.put(acCode[0x00], 8)
		}
	}
	mcus, rst := 0, 0
	for my := range mcuy {
		for mx := range mcux {
			if j.restart > 0 && mcus > 0 && mcus%j.restart == 0 {
				bw.flush()
				bw.out = append(bw.out, 0xff, byte(0xd0+rst%8))
				rst++
				clear(pred)
			}
			mcus++
			for ci, c := range j.comps {
				if len(j.comps) == 1 {
					encodeBlock(ci, c, mx, my)
					continue
				}
				for v := range c.v {
					for h := range c.h {
						encodeBlock(ci, c, mx*c.h+h, my*c.v+v)
					}
				}
			}
		}
	}
	bw.flush()
	out = append(out, bw.out...)
	return append(out, 0xff, 0xd9)
}

// handPlanes makes planes for j's components from the synthetic picture:
// plane i is channel i of sourcePPM (the fourth a mix of the three), or,
// with ycc, of its conversion to YCbCr (so that a YCCK or YCbCr file holds
// a picture's real chroma, not noise that saturates the conversion back),
// subsampled by taking every sample the factors call for.
func handPlanes(w, h int, factors [][2]int, ycc bool) []handComponent {
	src := sourcePPM(w, h, 3)
	src = src[len(src)-3*w*h:]
	hmax, vmax := 1, 1
	for _, f := range factors {
		hmax, vmax = max(hmax, f[0]), max(vmax, f[1])
	}
	comps := make([]handComponent, len(factors))
	for i, f := range factors {
		pw, ph := (w*f[0]+hmax-1)/hmax, (h*f[1]+vmax-1)/vmax
		pix := make([]uint8, pw*ph)
		for y := range ph {
			for x := range pw {
				sx, sy := min(w-1, x*hmax/f[0]), min(h-1, y*vmax/f[1])
				p := src[3*(sy*w+sx):]
				if ycc {
					y, cb, cr := color.RGBToYCbCr(p[0], p[1], p[2])
					p = []uint8{y, cb, cr}
				}
				if i < 3 {
					pix[y*pw+x] = p[i]
				} else {
					pix[y*pw+x] = uint8((int(p[0]) + 2*int(p[1]) + int(p[2])) / 4)
				}
			}
		}
		comps[i] = handComponent{id: byte(i + 1), h: f[0], v: f[1], pix: pix}
	}
	return comps
}

// compareDjpegScaled measures got, Decode's output at Scale n, against
// djpeg -scale 1/n of the same bytes, libjpeg-turbo's own reduced-size
// decode, which sees the encoder's padding past the picture's edge as
// Decode does (a box filter does not): the luma (or gray) plane against
// djpeg -grayscale, and an RGB file's three planes against djpeg -ppm.
// Chroma is not measured: libjpeg decodes subsampled chroma at a larger
// IDCT size so as to skip upsampling, which the contract does not do.
func compareDjpegScaled(djpeg, dir string, data []byte, got image.Image, n int) (scaleStats, error) {
	var st scaleStats
	ps, err := planesOf(got)
	if err != nil {
		return st, err
	}
	args := []string{"-grayscale", "-pnm"}
	channels := 1
	switch got.(type) {
	case *image.Gray, *image.YCbCr:
	case *image.RGBA:
		args, channels = []string{"-ppm"}, 3
	default:
		return st, nil
	}
	p, err := runDjpeg(djpeg, dir, data, append(args, "-scale", fmt.Sprintf("1/%d", n))...)
	if err != nil {
		return st, err
	}
	w, h := got.Bounds().Dx(), got.Bounds().Dy()
	if p.w != w || p.h != h || p.channels != channels {
		return st, fmt.Errorf("scale %d: djpeg gives %d×%d×%d, Decode %d×%d×%d", n, p.w, p.h, p.channels, w, h, channels)
	}
	for c := range channels {
		for y := range h {
			for x := range w {
				d := math.Abs(float64(ps[c].at(x, y)) - float64(p.pix[(y*w+x)*channels+c]))
				st.sum += d
				st.n++
				if d > st.max {
					st.max, st.maxWhat = d, fmt.Sprintf("plane %s (%d,%d)", ps[c].name, x, y)
				}
			}
		}
	}
	return st, nil
}
