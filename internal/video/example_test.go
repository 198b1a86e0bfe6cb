package video_test

import (
	"fmt"
	"time"

	"github.com/picfre/picfre/internal/video"
)

func ExampleClassify() {
	info := video.Info{HasVideo: true, Width: 1080, Height: 1920, FPS: 120, Duration: 8 * time.Second, HasAudio: true}
	fmt.Println(video.Classify(info))
	// Output: [full HD 1080p HD slow motion high frame rate 120 fps vertical video short clip]
}
