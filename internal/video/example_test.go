package video_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/picfre/picfre/internal/video"
)

func ExampleClassify() {
	info := video.Info{HasVideo: true, Width: 1080, Height: 1920, FPS: 120, Duration: 8 * time.Second, HasAudio: true}
	fmt.Println(video.Classify(info))
	// Output: [full HD 1080p HD slow motion high frame rate 120 fps vertical video short clip]
}

func ExampleFrames() {
	tools, err := video.LookTools()
	if err != nil {
		fmt.Println(err) // names the Debian package to install
		return
	}
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	clip := filepath.Join(dir, "clip.mp4")
	_ = exec.Command(tools.FFmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25:d=4",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip).Run()

	ctx := context.Background()
	info, err := video.Probe(ctx, tools, clip)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Width, info.Height, info.FPS, info.Duration)
	frames, err := video.Frames(ctx, tools, clip, video.FrameOptions{Max: 4, LongEdge: 320, Info: &info})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range frames {
		fmt.Println(f.At, f.Width, f.Height)
	}
	// Output:
	// 1280 720 25 4s
	// 500ms 320 180
	// 1.5s 320 180
	// 2.5s 320 180
	// 3.5s 320 180
}

func ExampleLookTools() {
	tools, err := video.LookTools()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filepath.Base(tools.FFmpeg), filepath.Base(tools.FFprobe))
	// Output: ffmpeg ffprobe
}
