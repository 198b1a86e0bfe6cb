package picfre_test

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// Tag one file. The fake provider stands in for a real one here; use
// local.New for the offline provider or a real provider package.
func ExamplePipeline_Tag() {
	p := fake.New(fake.Options{})
	p.Enqueue(fake.Step{Text: `{"title":"Cup of coffee on a wooden table","description":"A cup of black coffee.",
		"keywords":["coffee","cup","table","wood","drink","morning","cafe","espresso","mug","brown"],"categories":["Food & Drink"]}`})
	pl := picfre.New(p, picfre.Config{})
	res, err := pl.Tag(context.Background(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Title)
	fmt.Println(res.Keywords[:3], len(res.Keywords))
	// Output:
	// Cup of coffee on a wooden table
	// [coffee cup table] 10
}

// Tag a batch: results arrive in input order, and a bad file fails alone.
func ExamplePipeline_TagAll() {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	files := []picfre.Media{
		picfre.File("testdata/samples/rocket.jpg"),
		picfre.File("testdata/bad/notes.jpg"),
		picfre.File("testdata/samples/chelsea.png"),
	}
	err := pl.TagAll(context.Background(), slices.Values(files), picfre.Options{Concurrency: 2},
		func(r *picfre.Result) error {
			if r.Err != nil {
				fmt.Println(r.File, "failed:", picfre.CodeOf(r.Err))
				return nil
			}
			fmt.Println(r.File, "ok:", len(r.Keywords) >= 10)
			return nil
		})
	fmt.Println("batch error:", err)
	// Output:
	// testdata/samples/rocket.jpg ok: true
	// testdata/bad/notes.jpg failed: unsupported_media
	// testdata/samples/chelsea.png ok: true
	// batch error: <nil>
}

// Branch on error codes with errors.Is.
func ExampleCodeOf() {
	p := fake.New(fake.Options{})
	p.Enqueue(fake.Step{Fault: provider.QuotaExhausted})
	pl := picfre.New(p, picfre.Config{})
	_, err := pl.Tag(context.Background(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	fmt.Println(picfre.CodeOf(err), errors.Is(err, picfre.ErrQuotaExhausted))
	// Output:
	// quota_exhausted true
}

// Estimate the input tokens of a file before sending it. Nothing is sent.
func ExamplePipeline_Estimate() {
	p := fake.New(fake.Options{Capabilities: provider.Capabilities{
		ImageSize: 1024,
		ImageCost: provider.ImageCostFunc(func(w, h int, _ provider.Detail) int { return w * h / 750 }),
	}})
	pl := picfre.New(p, picfre.Config{})
	est, err := pl.Estimate(context.Background(), picfre.File("testdata/samples/rocket.jpg"), picfre.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(est.Width, est.Height, est.SentLongEdge, est.InputTokens > 0, p.Calls())
	// Output:
	// 640 427 512 true 0
}

// Media from memory, named for the caller's records only.
func ExampleBytes() {
	data := []byte("not an image")
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	_, err := pl.Tag(context.Background(), picfre.Bytes("upload-17.jpg", data), picfre.Options{})
	fmt.Println(picfre.CodeOf(err))
	// Output:
	// unsupported_media
}
