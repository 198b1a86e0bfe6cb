package audio

import (
	"context"
	"errors"
	"testing"
	"time"
)

func contextCancelled(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx, cancel
}

func FuzzParseWAV(f *testing.F) {
	f.Add(wavHeader(44100, 2, 16, 1000, nil), int64(2000))
	f.Add(wavHeader(8000, 1, 8, 0xFFFFFFFF, []byte("LIST\x01\x00\x00\x00x\x00")), int64(10))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\xff"), int64(-1))
	f.Add([]byte("RIFF"), int64(1<<40))
	f.Fuzz(func(t *testing.T, head []byte, size int64) {
		w, err := ParseWAV(head, size)
		if err != nil {
			if !errors.Is(err, ErrInvalidWAV) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if w.Duration < 0 || w.DataBytes < 0 || w.Channels < 1 || w.SampleRate < 1000 {
			t.Fatalf("bad result %+v", w)
		}
		if w.Duration > 1<<32*time.Second {
			t.Fatalf("duration %v beyond what 32-bit sizes allow", w.Duration)
		}
	})
}

func FuzzTempoOf(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, 86.0)
	f.Fuzz(func(t *testing.T, b []byte, fps float64) {
		if fps < 1 || fps > 1000 {
			return
		}
		env := make([]float64, len(b)*8)
		for i := range env {
			env[i] = float64(b[i%len(b)]) / 255
		}
		bpm, ok := tempoOf(env, fps)
		if ok && (bpm < MinBPM-1 || bpm > MaxBPM+1) {
			t.Fatalf("bpm %v out of range", bpm)
		}
	})
}
