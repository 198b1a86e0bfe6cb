package audio

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/picfre/picfre/internal/video"
)

// Tempo analysis parameters.
const (
	tempoRate   = 11025 // Hz, mono
	tempoHop    = 128   // samples per envelope step (11.6 ms)
	MinBPM      = 60.0
	MaxBPM      = 180.0
	tempoWindow = 120 * time.Second // at most this much audio is analysed
	// minConfidence is the autocorrelation at the beat period relative to
	// that at lag zero below which no tempo is reported.
	minConfidence = 0.2
	// minOnset is the mean onset strength (in log-energy units per step)
	// below which the audio has no beats to speak of: a steady tone.
	minOnset = 0.01
)

// Tempo measures the beat of the audio at path in beats per minute,
// between MinBPM and MaxBPM. ffmpeg decodes (at most the first two
// minutes of) the audio to mono 11,025 Hz samples on a pipe; an onset
// envelope (rises of log energy every 11.6 ms) is autocorrelated, and the
// strongest period, mildly weighted toward 120 BPM to settle octave
// doubt, is the beat. ok is false when there is no clear beat (a steady
// tone, speech, silence); bpm is then 0. Memory is bounded by the window,
// not the file. Safe for concurrent use.
func Tempo(ctx context.Context, tools video.Tools, path string) (bpm float64, ok bool, err error) {
	if tools.FFmpeg == "" {
		return 0, false, &video.Error{Op: "tempo", Err: video.ErrToolMissing}
	}
	args := []string{"-nostdin", "-v", "error", "-i", "file:" + path, "-map", "0:a:0", "-vn", "-sn", "-dn",
		"-t", strconv.Itoa(int(tempoWindow.Seconds())), "-ac", "1", "-ar", strconv.Itoa(tempoRate), "-f", "s16le", "pipe:1"}
	cmd := video.Command(ctx, tools.FFmpeg, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, false, err
	}
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return 0, false, &video.Error{Op: "tempo", Err: ctx.Err()}
		}
		return 0, false, &video.Error{Op: "tempo", Err: video.ErrToolMissing, Detail: "cannot start ffmpeg"}
	}
	env, rerr := onsetEnvelope(bufio.NewReaderSize(out, 64<<10))
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return 0, false, &video.Error{Op: "tempo", Err: ctx.Err()}
	case rerr != nil:
		return 0, false, &video.Error{Op: "tempo", Err: video.ErrInvalid, Detail: "reading decoded audio"}
	case werr != nil:
		return 0, false, &video.Error{Op: "tempo", Err: video.ErrInvalid, Detail: "ffmpeg could not decode the audio"}
	}
	bpm, ok = tempoOf(env, float64(tempoRate)/tempoHop)
	return bpm, ok, nil
}

// onsetEnvelope reads s16le samples and returns, per hop, the rise of log
// energy over the previous hop (never negative).
func onsetEnvelope(r io.Reader) ([]float64, error) {
	maxSteps := int(tempoWindow.Seconds()*tempoRate/tempoHop) + 1
	buf := make([]byte, 2*tempoHop)
	var env []float64
	prev := math.NaN()
	for len(env) < maxSteps {
		n, err := io.ReadFull(r, buf)
		if n < len(buf) {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return nil, err
		}
		var e float64
		for i := 0; i < len(buf); i += 2 {
			s := float64(int16(binary.LittleEndian.Uint16(buf[i:]))) / 32768
			e += s * s
		}
		le := math.Log1p(1000 * e / tempoHop)
		if !math.IsNaN(prev) {
			env = append(env, max(0, le-prev))
		}
		prev = le
	}
	return env, nil
}

// tempoOf finds the beat period in an onset envelope sampled at fps steps
// per second.
func tempoOf(env []float64, fps float64) (float64, bool) {
	minLag := int(math.Floor(60 / MaxBPM * fps))
	maxLag := int(math.Ceil(60 / MinBPM * fps))
	if len(env) < 2*maxLag+1 {
		return 0, false // too short to see two beats at the slowest tempo
	}
	var mean float64
	for _, v := range env {
		mean += v
	}
	mean /= float64(len(env))
	if mean < minOnset {
		return 0, false
	}
	// Smooth with a [1 2 1] kernel so that a beat period that is not a
	// whole number of steps still lines up with itself.
	x := make([]float64, len(env))
	for i := range env {
		l, r := env[max(i-1, 0)], env[min(i+1, len(env)-1)]
		x[i] = (l+2*env[i]+r)/4 - mean
	}
	ac := func(lag int) float64 {
		var s float64
		for i := 0; i+lag < len(x); i++ {
			s += x[i] * x[i+lag]
		}
		return s
	}
	r0 := ac(0)
	if r0 <= 0 {
		return 0, false
	}
	r := make([]float64, maxLag+2)
	for lag := 1; lag <= maxLag+1; lag++ {
		r[lag] = ac(lag)
	}
	best, bestScore := 0, math.Inf(-1)
	for lag := minLag; lag <= maxLag; lag++ {
		bpm := 60 * fps / float64(lag)
		if bpm < MinBPM || bpm > MaxBPM {
			continue
		}
		// A wide log-normal weight around 120 BPM breaks ties between a
		// tempo and its half or double.
		w := math.Exp(-0.5 * math.Pow(math.Log2(bpm/120)/1.5, 2))
		if s := r[lag] * w; s > bestScore {
			best, bestScore = lag, s
		}
	}
	if best == 0 || r[best]/r0 < minConfidence {
		return 0, false
	}
	// A pulse train correlates at every multiple of its period; when half
	// the chosen period correlates nearly as well, the beat is that fast.
	if half := best / 2; 60*fps/float64(half) <= MaxBPM {
		h := half
		for _, l := range []int{half - 1, half + 1, half + 2} {
			if l >= 1 && l <= maxLag && 60*fps/float64(l) <= MaxBPM && r[l] > r[h] {
				h = l
			}
		}
		if r[h] >= 0.6*r[best] {
			best = h
		}
	}
	// Refine the peak with a parabola through its neighbours.
	lag := float64(best)
	if a, b, c := r[best-1], r[best], r[best+1]; a < b && c < b {
		lag += 0.5 * (a - c) / (a - 2*b + c)
	}
	bpm := min(max(60*fps/lag, MinBPM), MaxBPM)
	return math.Round(bpm*10) / 10, true
}
