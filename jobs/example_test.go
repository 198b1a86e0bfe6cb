package jobs_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // the file:// spool

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/provider/local"
	"github.com/picfre/picfre/store"
)

// A service on one machine: the ledger and the queue in one SQLite file, the
// spool in a folder beside it, workers in the same process.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "picfre-jobs-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	dsn := "sqlite:" + filepath.Join(dir, "picfre.db")

	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	spool, err := blob.OpenBucket(ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "spool"))+"?create_dir=true")
	if err != nil {
		log.Fatal(err)
	}
	defer spool.Close()

	pricing := metering.Pricing{Rates: []metering.Rate{{Base: 1}}}
	pl := picfre.New(local.New(local.Options{}), picfre.Config{Meter: db.Ledger(), Pricer: pricing})
	key, err := jobs.ParseKey("2026-12:" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8") // keep yours in a secret store
	if err != nil {
		log.Fatal(err)
	}
	svc, err := jobs.Open(ctx, dsn, jobs.Config{
		Tagger: pl, Spool: spool, Keys: []jobs.Key{key}, Ledger: db.Ledger(), Pricer: pricing,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close(ctx)

	if _, err := db.Ledger().TopUp(ctx, metering.TopUp{Account: "acct-1", Credits: 10, PaymentRef: "pay-1"}); err != nil {
		log.Fatal(err)
	}
	// An upload, as an HTTP handler streams one: file by file.
	up, err := svc.Begin(ctx, "acct-1", picfre.Options{Agency: "adobe"})
	if err != nil {
		log.Fatal(err)
	}
	for i, c := range []color.RGBA{{200, 40, 40, 255}, {30, 90, 200, 255}} {
		if _, err := up.Add(ctx, fmt.Sprintf("swatch-%d.png", i), bytes.NewReader(swatch(c))); err != nil {
			log.Fatal(err)
		}
	}
	job, err := up.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// Progress, as a handler would relay it over Server-Sent Events.
	for ev, err := range svc.Watch(ctx, "acct-1", job.ID) {
		if err != nil {
			log.Fatal(err)
		}
		if ev.Final {
			fmt.Println("job", ev.State, "done:", ev.Done, "failed:", ev.Failed)
		}
	}
	// The results, deleted as they are handed over.
	for r, err := range svc.Results(ctx, "acct-1", job.ID, jobs.ResultOptions{Consume: true}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(r.Index, r.File, len(r.Keywords) > 0)
	}
	b, _ := db.Ledger().Balance(ctx, "acct-1")
	fmt.Println("credits left:", b.Credits)
	// Output:
	// job done done: 2 failed: 0
	// 0 swatch-0.png true
	// 1 swatch-1.png true
	// credits left: 8
}

func swatch(c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{c.R, c.G, uint8(int(c.B) + x/8), 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// A front end that only submits and looks (Workers < 0), leaving the work
// to `picfre worker` processes; here the user changes their mind.
func ExampleService_Cancel() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "picfre-jobs-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	spool, err := blob.OpenBucket(ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "spool"))+"?create_dir=true")
	if err != nil {
		log.Fatal(err)
	}
	defer spool.Close()
	svc, err := jobs.Open(ctx, "sqlite:"+filepath.Join(dir, "queue.db"), jobs.Config{Spool: spool, Workers: -1})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close(ctx)

	files := func(yield func(picfre.Media) bool) {
		_ = yield(picfre.Bytes("red.png", swatch(color.RGBA{200, 40, 40, 255}))) &&
			yield(picfre.Bytes("notes.txt", []byte("not an image")))
	}
	job, err := svc.Submit(ctx, "acct-1", picfre.Options{}, files)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range job.Files {
		fmt.Println(f.Name, f.State, cmp.Or(string(f.Code), "-"))
	}
	job, err = svc.Cancel(ctx, "acct-1", job.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("job", job.State, "canceled:", job.Canceled, "failed:", job.Failed)
	_, err = svc.Job(ctx, "acct-2", job.ID)
	fmt.Println("another account:", errcode.Of(err))
	// Output:
	// red.png queued -
	// notes.txt failed unsupported_media
	// job canceled canceled: 1 failed: 1
	// another account: not_found
}

// A Result in JSON is the file's record with its index first, as the
// HTTP API serves it.
func ExampleResult_MarshalJSON() {
	r := jobs.Result{Index: 2, Result: picfre.Result{File: "dup.jpg", Kind: "image", Title: "Red swatch"}}
	b, err := json.Marshal(r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
	var back jobs.Result
	if err := json.Unmarshal(b, &back); err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Index, back.File, back.Title)
	// Output:
	// {"index":2,"file":"dup.jpg","kind":"image","title":"Red swatch"}
	// 2 dup.jpg Red swatch
}
