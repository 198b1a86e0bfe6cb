//go:build unix

package picfre_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/provider/fake"
)

// TestFileRefusesNonRegular: File's Open refuses a FIFO (which would
// block the open until a writer came), a folder and a socket with
// unsupported_media, without blocking and without the path in the
// message; a missing file is invalid_media, still matching
// fs.ErrNotExist.
func TestFileRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.jpg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	sock := filepath.Join(dir, "s.jpg")
	if fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0); err == nil {
		defer syscall.Close(fd)
		if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: sock}); err != nil {
			sock = ""
		}
	} else {
		sock = ""
	}
	cases := map[string]string{fifo: "FIFO", dir: "folder"}
	if sock != "" {
		cases[sock] = "socket"
	}
	for path, what := range cases {
		rc, err := picfre.File(path).Open()
		if err == nil {
			rc.Close()
			t.Fatalf("%s: opened", what)
		}
		if errcode.Of(err) != errcode.UnsupportedMedia || !strings.Contains(err.Error(), what) {
			t.Errorf("%s: %s: %v", what, errcode.Of(err), err)
		}
		if strings.Contains(err.Error(), dir) {
			t.Errorf("%s: the path is in the message: %v", what, err)
		}
	}
	_, err := picfre.File(filepath.Join(dir, "missing.jpg")).Open()
	if errcode.Of(err) != errcode.InvalidMedia || !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), dir) {
		t.Errorf("missing file: %s: %v", errcode.Of(err), err)
	}
}

// TestTagAllFIFOIsARecord: a FIFO among the files fails alone, as
// unsupported_media, and the batch goes on. The deadline only guards
// against the hang this test is about.
func TestTagAllFIFOIsARecord(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.jpg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	var got []*picfre.Result
	err := pl.TagAll(ctx, func(yield func(picfre.Media) bool) {
		_ = yield(picfre.File(fifo)) && yield(picfre.File(samples(t)[0]))
	}, picfre.Options{}, func(r *picfre.Result) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("the batch hung on the FIFO")
	}
	if len(got) != 2 || errcode.Of(got[0].Err) != errcode.UnsupportedMedia || got[1].Err != nil {
		t.Fatalf("results: %+v", got)
	}
	if _, err := os.Stat(fifo); err != nil {
		t.Fatal(err)
	}
}
