package testenv

import (
	"bytes"
	"sync"
)

// Buffer collects what a process or goroutines write while a test reads
// it: a bytes.Buffer behind a mutex, keeping at most its first MaxBufferLen
// bytes so that a chatty process cannot grow it without bound. The zero
// value is ready to use; it is safe for concurrent use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// MaxBufferLen bounds what a Buffer keeps.
const MaxBufferLen = 1 << 20

// Write appends p (what fits under MaxBufferLen) and reports it all
// written.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := MaxBufferLen - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// String returns what was written.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail returns the last n bytes written (all of them when fewer).
func (b *Buffer) Tail(n int) string {
	s := b.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
