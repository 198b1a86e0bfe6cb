package strip_test

import (
	"context"
	"fmt"
	"os"

	"github.com/picfre/picfre/privacy/strip"
)

func ExampleBytes() {
	photo, err := os.ReadFile("testdata/camera_rocket.jpg") // EXIF with GPS, XMP, IPTC, a comment
	if err != nil {
		panic(err)
	}
	clean, rep, err := strip.Bytes(photo, strip.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Format, rep.Removed)
	fmt.Println("orientation kept:", rep.KeptOrientation)
	fmt.Println("smaller:", len(clean) < len(photo))
	// Output:
	// jpeg [APP1 Exif APP13 Photoshop APP1 XMP COM]
	// orientation kept: 6
	// smaller: true
}

func ExampleRead() {
	in, err := os.Open("testdata/camera_chelsea.webp")
	if err != nil {
		panic(err)
	}
	defer in.Close()
	clean, rep, err := strip.Read(context.Background(), in, strip.Options{DropOrientation: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Format, rep.Removed, rep.BytesBefore, "->", len(clean))
	// Output:
	// webp [EXIF XMP ] 18036 -> 14252
}
