package jobs_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/internal/s3test"
	"github.com/picfre/picfre/jobs"
)

// The spool on a real S3-compatible server (s3test starts one on loopback):
// content goes up sealed and comes back to the workers, and once the job is
// done nothing of it is left, neither in the bucket nor in the server's
// files.
func TestS3Spool(t *testing.T) {
	ctx := context.Background()
	bucket := s3test.Open(t, ctx)
	dir := s3test.Dir(t) // the parent's server: a subtest would get one of its own
	for _, sealed := range []bool{true, false} {
		t.Run(map[bool]string{true: "sealed", false: "clear"}[sealed], func(t *testing.T) {
			var keys []jobs.Key
			if sealed {
				keys = []jobs.Key{testKey}
			}
			e := newEnv(t, envOptions{keys: keys, spool: bucket, workers: -1})
			e.topUp(t, "alice", 100)
			const n = 6
			j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, n))
			if err != nil {
				t.Fatal(err)
			}
			// Queued, not yet worked: the content waits in the bucket,
			// one object per file, named by job and index only.
			objects := listKeys(t, bucket)
			if len(objects) != n {
				t.Fatalf("bucket holds %v, want %d objects", objects, n)
			}
			for _, k := range objects {
				if len(k) < len(j.ID) || k[:len(j.ID)] != j.ID {
					t.Fatalf("object %q is not named by the job", k)
				}
			}
			if sealed {
				for i := range n {
					if found := findInTree(t, dir, photo(t, i)[100:164]); found != "" {
						t.Fatalf("file %d's bytes in the clear at %s", i, found)
					}
				}
			} else if findInTree(t, dir, photo(t, 0)[100:164]) == "" {
				t.Fatal("clear mode, but the content is not found on the server: the search finds nothing")
			}
			// Now work it.
			if err := e.svc.Close(ctx); err != nil {
				t.Fatal(err)
			}
			e.svc = e.reopen(t, keys, 2)
			if got := wait(t, e.svc, "alice", j.ID); got.Done != n {
				t.Fatalf("job %+v", got.Counts)
			}
			if objects := listKeys(t, bucket); len(objects) != 0 {
				t.Fatalf("left in the bucket: %v", objects)
			}
			for i := range n {
				if found := findInTree(t, dir, photo(t, i)[100:164]); found != "" {
					t.Fatalf("file %d's bytes left on the server at %s", i, found)
				}
			}
		})
	}
}

func listKeys(t testing.TB, b *blob.Bucket) []string {
	t.Helper()
	var keys []string
	it := b.List(nil)
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
}

// A job is final only once none of its content is left. Several workers
// settle a job's files at once, and the one that settles the last file is
// not always the last to delete its file's object: here the first deletion
// of file 0's object is held up at the wire for a second, while the other
// files are settled, so the job's last file is settled before that object
// is gone. The job must not be shown final before it is.
func TestFinalLeavesNoContent(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Run(t)
	slow := &slowFirstDelete{suffix: "/0", delay: time.Second, next: http.DefaultTransport}
	bucket := srv.OpenBucketVia(t, ctx, srv.NewBucket(t), slow)
	e := newEnv(t, envOptions{spool: bucket, workers: 4})
	e.topUp(t, "alice", 100)
	const n = 8
	j, err := e.svc.Submit(ctx, "alice", picfre.Options{}, photos(t, n))
	if err != nil {
		t.Fatal(err)
	}
	if got := wait(t, e.svc, "alice", j.ID); got.Done != n {
		t.Fatalf("job %+v", got.Counts)
	}
	if objects := listKeys(t, bucket); len(objects) != 0 {
		t.Fatalf("job final, but left in the bucket: %v", objects)
	}
	if !slow.held.Load() {
		t.Fatal("no deletion was held up: the test did not test the race")
	}
}

// slowFirstDelete delays the first DELETE of an object whose key ends in
// suffix.
type slowFirstDelete struct {
	suffix string
	delay  time.Duration
	next   http.RoundTripper
	held   atomic.Bool
}

func (s *slowFirstDelete) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, s.suffix) && s.held.CompareAndSwap(false, true) {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
		}
	}
	return s.next.RoundTrip(r)
}
