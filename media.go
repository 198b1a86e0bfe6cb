package picfre

import (
	"bytes"
	"io"
	"os"
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
func File(path string) Media {
	return Media{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// Bytes returns Media over data, named name. data must not be modified
// while the media is processed.
func Bytes(name string, data []byte) Media {
	return Media{Name: name, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}
