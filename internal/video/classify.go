package video

import (
	"math"
	"strconv"
	"time"
)

// Classify returns the keywords stock buyers search for that follow from
// the clip's technical properties alone, most important first:
//
//   - resolution class, by the short side so that vertical clips count
//     the same: "4K" and "UHD" (≥ 2160), "2K" (≥ 1440), "full HD" and
//     "1080p" (≥ 1080), "HD" and "720p" (≥ 720), else "SD";
//   - frame rate: "slow motion" and "high frame rate" at 100 fps or more
//     (footage that plays back slowed down), "high frame rate" at 48 fps
//     or more, with the rounded rate as "120 fps";
//   - shape: "vertical video" for portrait clips, "square video";
//   - duration: "short clip" under 10 seconds, "long take" over 60;
//   - "no sound" when there is no audio stream.
//
// Info without video gives nil.
func Classify(info Info) []string {
	if !info.HasVideo || info.Width <= 0 || info.Height <= 0 {
		return nil
	}
	var k []string
	short := min(info.Width, info.Height)
	switch {
	case short >= 2160:
		k = append(k, "4K", "UHD")
	case short >= 1440:
		k = append(k, "2K", "1440p")
	case short >= 1080:
		k = append(k, "full HD", "1080p", "HD")
	case short >= 720:
		k = append(k, "HD", "720p")
	default:
		k = append(k, "SD")
	}
	fps := int(math.Round(info.FPS))
	switch {
	case info.FPS >= 100:
		k = append(k, "slow motion", "high frame rate", strconv.Itoa(fps)+" fps")
	case info.FPS >= 48:
		k = append(k, "high frame rate", strconv.Itoa(fps)+" fps")
	}
	switch {
	case info.Height > info.Width:
		k = append(k, "vertical video")
	case info.Height == info.Width:
		k = append(k, "square video")
	}
	switch {
	case info.Duration < 10*time.Second:
		k = append(k, "short clip")
	case info.Duration > 60*time.Second:
		k = append(k, "long take")
	}
	if !info.HasAudio {
		k = append(k, "no sound")
	}
	return k
}
