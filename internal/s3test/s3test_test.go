package s3test_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // registers s3:// with blob.OpenBucket
	"gocloud.dev/gcerrors"

	"github.com/picfre/picfre/internal/s3test"
)

const objectSize = 5 << 20

// content returns objectSize bytes that start with marker and go on with
// random bytes, so the marker is found on disk only where the object is.
func content(t *testing.T, marker []byte) []byte {
	t.Helper()
	data := make([]byte, objectSize)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	copy(data, marker)
	return data
}

func newMarker() []byte {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return []byte("picfre-s3test-" + hex.EncodeToString(b))
}

// TestURLRoundTrip goes through blob.OpenBucket with the URL Start returns,
// the path the job service takes from its configuration.
func TestURLRoundTrip(t *testing.T) {
	ctx := t.Context()
	u := s3test.Start(t)
	b, err := blob.OpenBucket(ctx, u)
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	defer b.Close()
	roundTrip(t, ctx, b, s3test.Dir(t))
}

// TestOpenRoundTrip goes through the bucket Open builds from an explicit
// client, in a parallel test, which Start's t.Setenv would forbid.
func TestOpenRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	roundTrip(t, ctx, s3test.Open(t, ctx), s3test.Dir(t))
}

// roundTrip writes a 5 MiB object in uneven pieces, reads it back, lists it, deletes it, and checks that it
// is gone through the API and from the server's data folder.
func roundTrip(t *testing.T, ctx context.Context, b *blob.Bucket, dir string) {
	t.Helper()
	const key = "spool/job-1/upload.bin"
	marker := newMarker()
	data := content(t, marker)

	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		t.Fatalf("new writer: %v", err)
	}
	// Write in uneven pieces, as a request body arrives.
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 300_001)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatalf("write: %v", err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close writer: %v", err)
	}

	got, err := b.ReadAll(ctx, key)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes that differ from the %d written", len(got), len(data))
	}
	attrs, err := b.Attributes(ctx, key)
	if err != nil {
		t.Fatalf("attributes: %v", err)
	}
	if attrs.Size != objectSize || attrs.ContentType != "application/octet-stream" {
		t.Errorf("attributes: size %d, content type %q; want %d, application/octet-stream", attrs.Size, attrs.ContentType, objectSize)
	}
	r, err := b.NewRangeReader(ctx, key, objectSize-10, 10, nil)
	if err != nil {
		t.Fatalf("range reader: %v", err)
	}
	tail, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(tail, data[objectSize-10:]) {
		t.Errorf("range read of the last 10 bytes: %x, %v; want %x", tail, err, data[objectSize-10:])
	}

	keys := list(t, ctx, b, "spool/")
	if len(keys) != 1 || keys[0] != key {
		t.Fatalf("list spool/: %q; want [%q]", keys, key)
	}
	if onDisk(t, dir, marker) == "" {
		t.Fatalf("the object's first bytes are nowhere under the server's data folder %s", dir)
	}

	if err := b.Delete(ctx, key); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if ok, err := b.Exists(ctx, key); err != nil || ok {
		t.Errorf("exists after delete: %v, %v; want false, nil", ok, err)
	}
	if _, err := b.ReadAll(ctx, key); gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("read after delete: %v; want a NotFound error", err)
	}
	if keys := list(t, ctx, b, ""); len(keys) != 0 {
		t.Errorf("list after delete: %q; want none", keys)
	}
	// A server may unlink deleted data a moment after it answers.
	deadline := time.Now().Add(20 * time.Second)
	for p := onDisk(t, dir, marker); p != ""; p = onDisk(t, dir, marker) {
		if time.Now().After(deadline) {
			t.Fatalf("the deleted object's bytes are still in %s under the server's data folder after 20s", p)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func list(t *testing.T, ctx context.Context, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return keys
		}
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		keys = append(keys, obj.Key)
	}
}

// minioTrash is where MinIO moves deleted data, to unlink it in the
// background minutes later; versitygw unlinks at once and has no such
// folder. The deleted object's bytes are looked for everywhere else.
const minioTrash = ".minio.sys/tmp/.trash"

// onDisk returns the path, relative to dir, of a regular file under dir
// that holds marker, or "" when none does.
func onDisk(t *testing.T, dir string, marker []byte) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// The server removes files while we walk.
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() && filepath.ToSlash(path) == filepath.ToSlash(filepath.Join(dir, minioTrash)) {
			return fs.SkipDir
		}
		if found != "" || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if bytes.Contains(b, marker) {
			found, _ = filepath.Rel(dir, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk the data folder: %v", err)
	}
	return found
}

// TestBucketsAreFresh checks that each call gets an empty bucket of its own
// on the one server of the test.
func TestBucketsAreFresh(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := s3test.Open(t, ctx), s3test.Open(t, ctx)
	if err := a.WriteAll(ctx, "k", []byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	if keys := list(t, ctx, b, ""); len(keys) != 0 {
		t.Errorf("second bucket lists %q; want none", keys)
	}
}

// TestMultipartUpload writes an object above the uploader's 16 MiB
// multipart threshold, so it goes up in parts that the server joins.
func TestMultipartUpload(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b := s3test.Open(t, ctx)
	data := make([]byte, 17<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, "big", data, nil); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := b.ReadAll(ctx, "big")
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes that differ from the %d written", len(got), len(data))
	}
}

// TestOneServerPerTest checks that goroutines of one test calling Open at
// once share one server, and that a subtest gets a server of its own.
func TestOneServerPerTest(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	done := make(chan *blob.Bucket, 2)
	for range 2 {
		go func() {
			var b *blob.Bucket
			// Deferred, so that a skip (runtime.Goexit) still reports.
			defer func() { done <- b }()
			b = s3test.Open(t, ctx)
		}()
	}
	if a, b := <-done, <-done; a == nil || b == nil {
		s3test.Dir(t) // skips or fails here, in the test's goroutine
		t.Fatal("Open returned no bucket")
	}
	parent := s3test.Dir(t)
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	buckets := 0
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "picfre-") {
			buckets++
		}
	}
	if buckets != 2 {
		t.Errorf("%d buckets in the shared server's folder; want 2", buckets)
	}
	t.Run("sub", func(t *testing.T) {
		if s3test.Dir(t) == parent {
			t.Error("the subtest shares its parent's server; want one of its own")
		}
	})
}
