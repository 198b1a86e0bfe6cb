package picfre_test

import (
	"context"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// EstimateSize from the display size gives what Estimate gives from the
// file, and refuses sizes that are not images.
func TestEstimateSizeMatchesEstimate(t *testing.T) {
	p := fake.New(fake.Options{Capabilities: provider.Capabilities{
		ImageSize:          1024,
		MaxItemsPerRequest: 4,
		ImageCost:          provider.ImageCostFunc(func(w, h int, _ provider.Detail) int { return w * h / 750 }),
	}})
	pl := picfre.New(p, picfre.Config{MaxPixels: 1_000_000})
	ctx := context.Background()
	o := picfre.Options{Agency: "adobe", MaxKeywords: 30}
	want, err := pl.Estimate(ctx, picfre.File("testdata/samples/rocket.jpg"), o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pl.EstimateSize(ctx, want.File, want.Width, want.Height, o)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *want {
		t.Errorf("EstimateSize = %+v, Estimate = %+v", *got, *want)
	}
	for _, c := range []struct {
		w, h int
		code errcode.Code
	}{{0, 10, errcode.InvalidArgument}, {10, -1, errcode.InvalidArgument}, {1 << 21, 1, errcode.InvalidArgument}, {2000, 2000, errcode.TooLarge}} {
		if _, err := pl.EstimateSize(ctx, "x", c.w, c.h, o); errcode.Of(err) != c.code {
			t.Errorf("EstimateSize(%d, %d) = %v, want %s", c.w, c.h, err, c.code)
		}
	}
	if _, err := pl.EstimateSize(ctx, "x", 10, 10, picfre.Options{MinKeywords: 30, MaxKeywords: 10}); errcode.Of(err) != errcode.InvalidArgument {
		t.Errorf("bad options: %v", err)
	}
}
