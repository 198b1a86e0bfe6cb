package video

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkFrames20s1080p measures extracting 8 frames (768 px) from the
// 20-second 1080p clip: ns/op is the end-to-end time, frames/s the rate.
func BenchmarkFrames20s1080p(b *testing.B) {
	tools := needTools(b)
	path := clip20s1080p(b)
	benchFrames(b, tools, path, FrameOptions{})
}

// BenchmarkFrames20s1080pScenes is the same with scene-change preference.
func BenchmarkFrames20s1080pScenes(b *testing.B) {
	tools := needTools(b)
	path := clip20s1080p(b)
	benchFrames(b, tools, path, FrameOptions{SceneThreshold: 0.3})
}

// BenchmarkFrames10min measures the 10-minute clip; peak-heap-MB should
// match the 20-second clip's: memory does not grow with the clip.
func BenchmarkFrames10min(b *testing.B) {
	tools := needTools(b)
	path := clip10min(b)
	benchFrames(b, tools, path, FrameOptions{})
}

// BenchmarkFrames10minScenes decodes every keyframe of the 10-minute clip.
func BenchmarkFrames10minScenes(b *testing.B) {
	tools := needTools(b)
	path := clip10min(b)
	benchFrames(b, tools, path, FrameOptions{SceneThreshold: 0.3})
}

func benchFrames(b *testing.B, tools Tools, path string, opts FrameOptions) {
	b.Helper()
	info, err := Probe(b.Context(), tools, path)
	if err != nil {
		b.Fatal(err)
	}
	opts.Info = &info
	stop := watchHeap()
	frames := 0
	start := time.Now()
	for b.Loop() {
		f, err := Frames(b.Context(), tools, path, opts)
		if err != nil {
			b.Fatal(err)
		}
		frames += len(f)
	}
	el := time.Since(start)
	peak := stop()
	b.ReportMetric(float64(frames)/el.Seconds(), "frames/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// watchHeap samples the Go heap every millisecond until the returned
// function is called, which returns the largest HeapAlloc seen.
func watchHeap() func() uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}
