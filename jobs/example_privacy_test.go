package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"

	"gocloud.dev/blob"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/store"
)

// A data subject's requests cover the job records: privacy.Subjects takes
// the service as its Jobs, and retention.Sweeper as one of its Also.
func ExampleService_ExportJobs() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "picfre-example")
	defer os.RemoveAll(dir)
	dsn := "sqlite:" + filepath.Join(dir, "picfre.db")
	db, _ := store.Open(ctx, dsn, store.Options{})
	defer db.Close()
	ledger := db.Ledger()
	ledger.TopUp(ctx, metering.TopUp{Account: "jane", Credits: 10, PaymentRef: "pay-1"})
	spool, _ := blob.OpenBucket(ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "spool"))+"?create_dir=true")
	defer spool.Close()
	pricing := metering.Pricing{Rates: []metering.Rate{{Base: 1}}}
	svc, err := jobs.Open(ctx, dsn, jobs.Config{
		Tagger: picfre.New(fake.New(fake.Options{}), picfre.Config{Meter: ledger, Pricer: pricing}),
		Spool:  spool, Ledger: ledger, Pricer: pricing,
	})
	if err != nil {
		panic(err)
	}
	defer svc.Close(ctx)

	j, _ := svc.Submit(ctx, "jane", picfre.Options{}, slices.Values([]picfre.Media{
		picfre.Bytes("beach.jpg", examplePhoto()),
		picfre.Bytes("notes.txt", []byte("not a picture")),
	}))
	for ev := range svc.Watch(ctx, "jane", j.ID) {
		if ev.Final {
			break
		}
	}

	subjects := &privacy.Subjects{Contacts: contactstore.NewMemory(), Ledger: ledger, Jobs: svc}
	x, _ := subjects.Export(ctx, "jane")
	for _, f := range x.Jobs[0].Files {
		fmt.Println(f.Name, f.State, f.Code, f.Credits)
	}
	report, _ := subjects.Erase(ctx, "jane")
	fmt.Println("jobs erased:", report.Deleted[retention.KindJob])
	// Output:
	// beach.jpg done  1
	// notes.txt failed unsupported_media 0
	// jobs erased: 1
}

// examplePhoto is a small JPEG.
func examplePhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := range 32 {
		for x := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 7), 90, 255})
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, nil)
	return buf.Bytes()
}
