package s3test_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // registers s3:// with blob.OpenBucket

	"github.com/picfre/picfre/internal/s3test"
)

// Start gives a test a fresh bucket on a real server, as a URL for the
// code under test to open like any configured bucket. The body is in a
// test function, which an example cannot run, so it has no output.
func ExampleStart() {
	_ = func(t *testing.T) {
		bucket, err := blob.OpenBucket(t.Context(), s3test.Start(t))
		if err != nil {
			t.Fatal(err)
		}
		defer bucket.Close()
		if err := bucket.WriteAll(t.Context(), "spool/a", []byte("hello"), nil); err != nil {
			t.Fatal(err)
		}
	}
}

// Open builds the bucket from an explicit client, so it works in parallel
// tests.
func ExampleOpen() {
	_ = func(t *testing.T) {
		t.Parallel()
		bucket := s3test.Open(t, t.Context()) // closed when the test ends
		if err := bucket.WriteAll(t.Context(), "spool/a", []byte("hello"), nil); err != nil {
			t.Fatal(err)
		}
	}
}

// Dir lets a test check what reaches the disk, here that a marker written
// in an object is stored where the server keeps its data.
func ExampleDir() {
	_ = func(t *testing.T) {
		bucket := s3test.Open(t, t.Context())
		if err := bucket.WriteAll(t.Context(), "k", []byte("marker-123"), nil); err != nil {
			t.Fatal(err)
		}
		found := false
		_ = filepath.Walk(s3test.Dir(t), func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				b, _ := os.ReadFile(p)
				found = found || bytes.Contains(b, []byte("marker-123"))
			}
			return nil
		})
		if !found {
			t.Error("marker not on disk")
		}
	}
}

// Run starts a server of the test's own, for tests that want its client,
// several buckets, or URLs of buckets they name.
func ExampleRun() {
	_ = func(t *testing.T) {
		srv := s3test.Run(t)
		name := srv.NewBucket(t)
		_ = srv.URL(name)                                 // for blob.OpenBucket, with Start's environment
		_ = srv.OpenBucket(t, t.Context(), name)          // with the server's own client
		_, _ = srv.Client().ListBuckets(t.Context(), nil) // the AWS SDK client
	}
}
