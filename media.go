package picfre

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/picfre/picfre/errcode"
)

// Media is one file to process.
//
// Name is the caller's name for the file (a path, an upload name). It is
// carried through to the Result and into the usage event for the caller's
// records, and it is never sent to a provider: the provider request type
// has no field that could hold it.
type Media struct {
	Name string
	// Open returns the file's content. It is called at most once per Tag
	// and the reader is closed before Tag returns. An error that is a
	// *Error keeps its code; any other fails the file as invalid_media.
	Open func() (io.ReadCloser, error)
	// Key, if set, is the idempotency key under which the file is billed:
	// one key, one charge. When empty, the pipeline derives one from the
	// account, the content (a SHA-256 of the file's bytes) and every
	// option that shapes the answer (task, languages, keyword and length
	// limits, context, agency, generator, required and excluded keywords,
	// single-word and ASCII rules); keyed with Config.KeySecret when set.
	// The name is not part of it: the same bytes with the same options
	// for the same account are charged once, under whatever name they
	// come, and a later run within the ledger's replay window
	// (metering.Options.ReplayWindow, 24 hours by default) is Replayed
	// at 0 credits; after it the file is charged again. Changing any
	// option makes it new work, charged again.
	Key string
}

// File returns Media that reads the file at path, named path.
//
// Only a regular file is read (a symbolic link is followed to one).
// Anything else (a named pipe, a device, a socket, a folder) fails with
// unsupported_media before it is read, so that a FIFO named x.jpg cannot
// block the caller: the path is checked, opened without blocking
// (O_NONBLOCK, where the system has it) and checked again on the open
// file, closing the race of a path swapped between the two. Reading a
// regular file does not block indefinitely, so Open needs no context.
// A file that does not exist or cannot be opened fails with
// invalid_media; the error message never holds the path.
func File(path string) Media {
	return Media{Name: path, Open: func() (io.ReadCloser, error) { return openRegular(path) }}
}

// errNotRegular is the error of File's Open for anything but a regular
// file; the message says what it is instead.
func errNotRegular(mode fs.FileMode) error {
	what := "special file"
	switch {
	case mode.IsDir():
		what = "folder"
	case mode&fs.ModeNamedPipe != 0:
		what = "named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		what = "socket"
	case mode&fs.ModeDevice != 0:
		what = "device"
	}
	return errcode.Errorf(errcode.UnsupportedMedia, "not a regular file but a %s", what)
}

// openRegular opens path for reading if, and only if, it is a regular
// file (see File).
func openRegular(path string) (*os.File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, openFailed(err)
	}
	if !info.Mode().IsRegular() {
		return nil, errNotRegular(info.Mode())
	}
	// O_NONBLOCK: if the path was replaced by a FIFO since the Stat, the
	// open returns at once instead of waiting for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, openFailed(err)
	}
	info, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, openFailed(err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, errNotRegular(info.Mode())
	}
	return f, nil
}

// openFailed is err, an *fs.PathError from opening a file, as an
// invalid_media error without the path: "open: permission denied".
// errors.Is still finds the cause (fs.ErrNotExist, fs.ErrPermission).
func openFailed(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return errcode.Errorf(errcode.InvalidMedia, "%s: %w", pe.Op, pe.Err)
	}
	return errcode.Wrap(errcode.InvalidMedia, err)
}

// Bytes returns Media over data, named name. data must not be modified
// while the media is processed.
func Bytes(name string, data []byte) Media {
	return Media{Name: name, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}
