package video

import (
	"context"
	"math"
	"strconv"
	"time"
)

// Camera is the verdict of CameraMotion.
type Camera string

// Camera verdicts.
const (
	// Static: the picture barely changes; a locked-off shot of a still
	// scene.
	Static Camera = "static"
	// Pan: the whole picture shifts sideways; the camera pans or tracks.
	Pan Camera = "pan"
	// Tilt: the whole picture shifts up or down.
	Tilt Camera = "tilt"
	// Moving: the picture changes but not as one rigid shift: subject
	// motion, zoom, handheld shake or cuts.
	Moving Camera = "moving"
)

// Keywords returns the stock keywords for the verdict.
func (c Camera) Keywords() []string {
	switch c {
	case Static:
		return []string{"static shot", "locked-off shot"}
	case Pan:
		return []string{"camera pan", "panning shot", "camera movement"}
	case Tilt:
		return []string{"camera tilt", "tilt shot", "camera movement"}
	case Moving:
		return []string{"motion", "movement"}
	}
	return nil
}

// Motion is what CameraMotion measured.
type Motion struct {
	Camera Camera
	// ShiftX and ShiftY are the median global shift of the picture, as a
	// fraction of its width and height per second (positive: content
	// moves right and down).
	ShiftX, ShiftY float64
	// Change is the median mean absolute difference between the paired
	// frames, in 8-bit grey levels, before any shift is compensated.
	Change float64
}

// Motion analysis parameters. The grid is small on purpose: global
// motion shows at any size, and the search is exhaustive.
const (
	motionWidth   = 96
	motionGap     = 250 * time.Millisecond
	motionSearch  = 12  // pixels of the grid in each direction
	staticBelow   = 1.5 // grey levels
	rigidFraction = 0.6 // a shift must explain 40 % of the change
	motionSamples = 3
)

// CameraMotion estimates the camera's movement in the video at path. At
// three points of the clip it takes two frames 250 ms apart, reduced to a
// 96-pixel-wide grey grid, and searches the global shift that best aligns
// them. A small difference is a static shot; a difference mostly removed
// by a horizontal (vertical) shift is a pan (tilt); anything else is
// movement. The verdict is the majority of the samples. info must be the
// file's Probe result. Safe for concurrent use.
func CameraMotion(ctx context.Context, tools Tools, path string, info Info) (Motion, error) {
	if err := tools.check(); err != nil {
		return Motion{}, &Error{Op: "motion", Err: err}
	}
	if !info.HasVideo || info.Width <= 0 || info.Height <= 0 {
		return Motion{}, &Error{Op: "motion", Err: ErrUnsupported, Detail: "no video stream"}
	}
	w := motionWidth
	h := max(16, int(math.Round(float64(w)*float64(info.Height)/float64(info.Width)))/2*2)
	h = min(h, 4*w)
	var verdicts []Camera
	var xs, ys, changes []float64
	for i := range motionSamples {
		at := info.Duration * time.Duration(i+1) / (motionSamples + 1)
		if at+motionGap >= info.Duration {
			at = max(0, info.Duration-2*motionGap)
		}
		a, b, err := grayPair(ctx, tools, path, at, w, h)
		if err != nil {
			return Motion{}, err
		}
		if a == nil {
			continue
		}
		dx, dy, change, best := bestShift(a, b, w, h)
		changes = append(changes, change)
		xs = append(xs, float64(dx)/float64(w)/motionGap.Seconds())
		ys = append(ys, float64(dy)/float64(h)/motionGap.Seconds())
		switch {
		case change < staticBelow:
			verdicts = append(verdicts, Static)
		case (dx != 0 || dy != 0) && best < rigidFraction*change:
			if abs(dx)*h >= abs(dy)*w {
				verdicts = append(verdicts, Pan)
			} else {
				verdicts = append(verdicts, Tilt)
			}
		default:
			verdicts = append(verdicts, Moving)
		}
	}
	if len(verdicts) == 0 {
		return Motion{}, &Error{Op: "motion", Err: ErrInvalid, Detail: "no frames to compare"}
	}
	return Motion{Camera: majority(verdicts), ShiftX: median(xs), ShiftY: median(ys), Change: median(changes)}, nil
}

// grayPair returns two w×h grey frames motionGap apart starting at at,
// or nil, nil when the clip has no two frames there.
func grayPair(ctx context.Context, tools Tools, path string, at time.Duration, w, h int) ([]byte, []byte, error) {
	fps := strconv.FormatFloat(1/motionGap.Seconds(), 'f', 3, 64)
	args := []string{
		"-nostdin", "-v", "error",
		"-ss", strconv.FormatFloat(at.Seconds(), 'f', 3, 64),
		"-i", inputURL(path),
		"-map", "0:v:0", "-an", "-sn", "-dn",
		"-vf", "fps=" + fps + ",scale=" + strconv.Itoa(w) + ":" + strconv.Itoa(h) + ",format=gray",
		"-frames:v", "2", "-f", "rawvideo", "pipe:1",
	}
	out, stderr, err := run(ctx, tools.FFmpeg, args, 2*w*h)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, &Error{Op: "motion", Err: ctx.Err()}
		}
		return nil, nil, &Error{Op: "motion", Err: ErrInvalid, Detail: lastLine(stderr, path)}
	}
	if len(out) != 2*w*h {
		return nil, nil, nil
	}
	return out[:w*h], out[w*h:], nil
}

// bestShift finds the shift (dx, dy) of b against a, within ±motionSearch,
// that minimises the mean absolute difference over the overlap. It returns
// the shift, the difference without shift, and the difference at the best
// shift.
func bestShift(a, b []byte, w, h int) (dx, dy int, change, best float64) {
	s := min(motionSearch, w/4, h/4)
	mad := func(dx, dy int) float64 {
		var sum, n int
		for y := s; y < h-s; y++ {
			ra := a[y*w : (y+1)*w]
			rb := b[(y+dy)*w : (y+dy+1)*w]
			for x := s; x < w-s; x++ {
				d := int(ra[x]) - int(rb[x+dx])
				if d < 0 {
					d = -d
				}
				sum += d
				n++
			}
		}
		return float64(sum) / float64(max(n, 1))
	}
	change = mad(0, 0)
	best = change
	for y := -s; y <= s; y++ {
		for x := -s; x <= s; x++ {
			if m := mad(x, y); m < best-1e-9 {
				best, dx, dy = m, x, y
			}
		}
	}
	return dx, dy, change, best
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func majority(v []Camera) Camera {
	count := map[Camera]int{}
	best := v[0]
	for _, c := range v {
		count[c]++
		if count[c] > count[best] {
			best = c
		}
	}
	return best
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}
