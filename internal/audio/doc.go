// Package audio reads audio files for tagging: it probes their duration
// and format, measures the tempo of music locally, and transcodes to a
// small file for providers with inline size limits.
//
// # Probing
//
// [Probe] uses ffprobe (through package video, which also owns the
// [video.Tools] and error types) for every format. [ParseWAV] reads a WAV
// header in pure Go without reading samples, for the cheap duration check
// that pricing needs.
//
// # Tempo
//
// [Tempo] decodes at most the first two minutes to mono 11,025 Hz samples
// on a pipe and autocorrelates the onset envelope in the 60–180 BPM range.
// It reports no tempo (ok false) for a steady tone, noise, silence or
// anything without a clear beat, rather than a guess. [Classify] turns the
// measures into keywords ("120 BPM", "fast tempo", "stereo").
//
// # Concurrency
//
// All functions are safe for concurrent use; each call runs its own
// processes and holds no shared state.
package audio
