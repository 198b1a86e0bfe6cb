package picfre_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/provider/local"
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
				fmt.Println(r.File, "failed:", errcode.Of(r.Err))
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

// Every error carries an errcode.Code: branch on it with errcode.Of or
// errors.Is.
func Example_errorCodes() {
	p := fake.New(fake.Options{})
	p.Enqueue(fake.Step{Fault: provider.QuotaExhausted})
	pl := picfre.New(p, picfre.Config{})
	_, err := pl.Tag(context.Background(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	fmt.Println(errcode.Of(err), errors.Is(err, errcode.QuotaExhausted))
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

// An estimate from the display size alone, as a browser knows it before
// uploading: nothing is read, sent or charged.
func ExamplePipeline_EstimateSize() {
	p := fake.New(fake.Options{Capabilities: provider.Capabilities{
		ImageSize: 1024,
		ImageCost: provider.ImageCostFunc(func(w, h int, _ provider.Detail) int { return w * h / 750 }),
	}})
	pl := picfre.New(p, picfre.Config{})
	est, err := pl.EstimateSize(context.Background(), "rocket.jpg", 640, 427, picfre.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(est.Width, est.Height, est.SentLongEdge, est.InputTokens > 0)
	_, err = pl.EstimateSize(context.Background(), "huge.jpg", 20000, 20000, picfre.Options{})
	fmt.Println(errcode.Of(err))
	// Output:
	// 640 427 512 true
	// too_large
}

// Media from memory, named for the caller's records only.
func ExampleBytes() {
	data := []byte("not an image")
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	_, err := pl.Tag(context.Background(), picfre.Bytes("upload-17.jpg", data), picfre.Options{})
	fmt.Println(errcode.Of(err))
	// Output:
	// unsupported_media
}

// New over the offline provider: no key, no network. Wrap a real
// provider in provider.Resilient for retries, pacing and timeouts.
func ExampleNew() {
	pl := picfre.New(local.New(local.Options{}), picfre.Config{})
	res, err := pl.Tag(context.Background(), picfre.File("testdata/samples/rocket.jpg"), picfre.Options{MaxKeywords: 12})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Kind, res.Usage.Provider, len(res.Keywords) <= 12, res.Title != "")
	// Output:
	// image local true true
}

// A credit ledger wired into the pipeline: credits are held before the
// provider is called and charged once when the file succeeds; running
// the same file again is Replayed at no cost.
func Example_ledger() {
	ctx := context.Background()
	ledger := metering.NewLedger(memstore.New(), metering.Options{})
	defer ledger.Close()
	if _, err := ledger.TopUp(ctx, metering.TopUp{Account: "acct-1", Credits: 10, PaymentRef: "payment-1"}); err != nil {
		fmt.Println(err)
		return
	}
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{
		Meter:  ledger,
		Pricer: metering.Pricing{Rates: []metering.Rate{{Base: 3}}},
	})
	for range 2 {
		res, err := pl.Tag(ctx, picfre.File("testdata/samples/coffee.png"), picfre.Options{Account: "acct-1"})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("charged", res.Usage.Credits, "replayed", res.Replayed)
	}
	b, _ := ledger.Balance(ctx, "acct-1")
	fmt.Println("balance", b.Credits)

	_, err := pl.Tag(ctx, picfre.File("testdata/samples/rocket.jpg"), picfre.Options{Account: "acct-2"})
	fmt.Println(errcode.Of(err))
	// Output:
	// charged 3 replayed false
	// charged 0 replayed true
	// balance 7
	// insufficient_credits
}

// File names a file on disk; its name is what the result and the usage
// record carry, and it is never sent to the provider.
func ExampleFile() {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	res, err := pl.Tag(context.Background(), picfre.File("testdata/samples/chelsea.png"), picfre.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.File, res.Width, res.Height)
	// Output:
	// testdata/samples/chelsea.png 451 300
}

// A result marshals to the record the CLI prints, a failed file's error
// and code included, and reads back.
func ExampleResult_MarshalJSON() {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	_ = pl.TagAll(context.Background(), slices.Values([]picfre.Media{picfre.File("testdata/bad/notes.jpg")}), picfre.Options{},
		func(r *picfre.Result) error {
			b, _ := json.Marshal(r)
			fmt.Println(string(b))
			var back picfre.Result
			_ = json.Unmarshal(b, &back)
			fmt.Println(errcode.Of(back.Err))
			return nil
		})
	// Output:
	// {"file":"testdata/bad/notes.jpg","task":"metadata","error":{"code":"unsupported_media","message":"media: unknown or unsupported file type"}}
	// unsupported_media
}

// Progress reports each file by position and name, with the totals so far.
func ExampleOptions_progress() {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	files := []picfre.Media{picfre.File("testdata/samples/rocket.jpg"), picfre.File("testdata/bad/notes.jpg")}
	opts := picfre.Options{Concurrency: 1, Progress: func(p picfre.Progress) {
		fmt.Printf("%d %s done=%d failed=%d code=%q\n", p.Index, p.File, p.Done, p.Failed, p.Code)
	}}
	_ = pl.TagAll(context.Background(), slices.Values(files), opts, func(*picfre.Result) error { return nil })
	// Output:
	// 0 testdata/samples/rocket.jpg done=1 failed=0 code=""
	// 1 testdata/bad/notes.jpg done=2 failed=1 code="unsupported_media"
}

// One log record per file: codes, kinds and counts, never the file's
// name or account unless Config.Identify is set.
func ExampleConfig_logger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{} // vary from run to run
			}
			return a
		},
	}))
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{Logger: logger})
	_, _ = pl.Tag(context.Background(), picfre.File("testdata/bad/notes.jpg"), picfre.Options{})
	// Output:
	// level=WARN msg="picfre: file failed" index=0 task=metadata kind=unknown code=unsupported_media error="media: unknown or unsupported file type"
}

// A record the CLI printed (or a service sent) reads back into a Result,
// its error and code included.
func ExampleResult_UnmarshalJSON() {
	line := `{"file":"clip.mp4","kind":"video","duration_seconds":12.5,"error":{"code":"quota_exhausted","message":"provider gemini: quota_exhausted"}}`
	var r picfre.Result
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.File, r.Duration, errcode.Of(r.Err), errors.Is(r.Err, errcode.QuotaExhausted))
	// Output:
	// clip.mp4 12.5s quota_exhausted true
}
