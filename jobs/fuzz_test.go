package jobs_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
)

// FuzzUpload: any bytes under any name are taken into a job without a
// panic; a file the sniffer refuses is recorded as failed with a typed
// code, any other is queued; an abort leaves nothing in the spool.
func FuzzUpload(f *testing.F) {
	f.Add("photo.jpg", photo(f, 1))
	f.Add("", []byte{})
	f.Add("x.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00"))
	f.Add("\xff\x00name", []byte("MZ\x90\x00"))
	f.Add("clip.mp4", []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"))
	e := newEnv(f, envOptions{keys: []jobs.Key{testKey}, workers: -1})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		u, err := e.svc.Begin(ctx, "fuzz", picfre.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Add(ctx, name, bytes.NewReader(data)); err != nil {
			t.Fatalf("Add: %v", err)
		}
		j, err := e.svc.Job(ctx, "fuzz", u.ID())
		if err != nil {
			t.Fatal(err)
		}
		file := j.Files[0]
		switch file.State {
		case jobs.FileQueued:
			if file.Size != int64(len(data)) {
				t.Fatalf("size %d, want %d", file.Size, len(data))
			}
		case jobs.FileFailed:
			if c := file.Code; c != errcode.InvalidMedia && c != errcode.UnsupportedMedia {
				t.Fatalf("code %q", c)
			}
		default:
			t.Fatalf("state %q", file.State)
		}
		if len(name) < 256 && file.Name != name {
			t.Fatalf("name %q came back as %q", name, file.Name)
		}
		if err := u.Abort(ctx); err != nil {
			t.Fatal(err)
		}
		if left := listKeys(t, e.spool); len(left) != 0 {
			t.Fatalf("left in the spool: %v", left)
		}
	})
}
