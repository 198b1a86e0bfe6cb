package jobs

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"io"
	"strconv"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/picfre/picfre/errcode"
)

// newJobID returns a random job id: 128 bits, so that ids cannot be
// guessed, in lower-case base32 behind "job_".
func newJobID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return "job_" + lowerBase32.EncodeToString(b[:])
}

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// validID reports whether id has the form newJobID makes, so that a
// hostile id never reaches a query or a bucket key.
func validID(id string) bool {
	if len(id) != 4+26 || id[:4] != "job_" {
		return false
	}
	for _, c := range id[4:] {
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// spoolKey names a file's object in the spool: the job id and the index,
// never the file's name or the account.
func spoolKey(job string, idx int) string { return job + "/" + strconv.Itoa(idx) }

// spoolAAD binds a sealed object to its place, so that an object copied
// under another job's key does not open.
func spoolAAD(job string, idx int) []byte {
	return []byte("picfre.spool\x00" + job + "\x00" + strconv.Itoa(idx))
}

func resultAAD(job string, idx int) []byte {
	return []byte("picfre.result\x00" + job + "\x00" + strconv.Itoa(idx))
}

func optionsAAD(job string) []byte { return []byte("picfre.options\x00" + job) }

// errTooBig marks an upload over Config.MaxFileBytes.
var errTooBig = errcode.New(errcode.TooLarge, "jobs: the file is larger than the upload limit")

// spoolPut streams r, sealed, into the file's object and returns the bytes
// read. At most limit bytes are taken: a larger file fails with errTooBig
// and nothing of it stays in the spool.
func (s *Service) spoolPut(ctx context.Context, job string, idx int, r io.Reader, limit int64) (int64, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.cfg.Spool.NewWriter(wctx, spoolKey(job, idx), nil)
	if err != nil {
		return 0, wrap(errcode.Unavailable, "jobs: spool", err)
	}
	sw, err := s.keys.Writer(w, spoolAAD(job, idx))
	if err != nil {
		cancel()
		_ = w.Close()
		return 0, wrap(errcode.Internal, "jobs: seal", err)
	}
	n, err := io.Copy(sw, io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = errTooBig
	}
	if err == nil {
		err = sw.Close()
	}
	if err != nil {
		// Cancelling the writer's context before Close discards the
		// object: gocloud writes nothing that was not closed cleanly.
		cancel()
		_ = w.Close()
		s.spoolDelete(context.WithoutCancel(ctx), job, idx)
		if errcode.Of(err) == errcode.TooLarge {
			return n, err
		}
		return n, wrapIfNone(errcode.Unavailable, "jobs: spool", err)
	}
	if err := w.Close(); err != nil {
		s.spoolDelete(context.WithoutCancel(ctx), job, idx)
		return n, wrap(errcode.Unavailable, "jobs: spool", err)
	}
	return n, nil
}

// spoolOpen opens a file's content, unsealed.
func (s *Service) spoolOpen(ctx context.Context, job string, idx int) (io.ReadCloser, error) {
	r, err := s.cfg.Spool.NewReader(ctx, spoolKey(job, idx), nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, errcode.New(errcode.Internal, "jobs: the file's content is no longer in the spool")
		}
		return nil, wrap(errcode.Unavailable, "jobs: spool", err)
	}
	sr, err := s.keys.Reader(r, spoolAAD(job, idx))
	if err != nil {
		_ = r.Close()
		return nil, wrapIfNone(errcode.Internal, "jobs: unseal", err)
	}
	return readCloser{sr, r}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// spoolDelete deletes a file's content. A missing object is fine (deleted
// before, or never written); other failures are logged, and Sweep deletes
// what is left of settled files.
func (s *Service) spoolDelete(ctx context.Context, job string, idx int) {
	err := s.cfg.Spool.Delete(ctx, spoolKey(job, idx))
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		s.log.Warn("jobs: spool delete failed", "job", job, "file", idx, "code", string(errcode.Unavailable))
	}
}

// spoolDeleteJob deletes every object of a job (cancel, delete, erasure).
func (s *Service) spoolDeleteJob(ctx context.Context, job string) error {
	it := s.cfg.Spool.List(&blob.ListOptions{Prefix: job + "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return wrap(errcode.Unavailable, "jobs: spool list", err)
		}
		if err := s.cfg.Spool.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return wrap(errcode.Unavailable, "jobs: spool delete", err)
		}
	}
}
