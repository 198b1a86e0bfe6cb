package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"

	"github.com/picfre/picfre/errcode"
)

// The sizes a caller may need.
const (
	// MaxIDLen is the longest key id, in bytes.
	MaxIDLen = 64
	// SecretSize is the length of a key's secret: AES-256.
	SecretSize = 32
	// ChunkSize is the plaintext size of every chunk of a sealed object
	// but the final one.
	ChunkSize = 64 << 10
)

// The format's other constants; doc.go describes the layout they make.
const (
	// magic opens every sealed object.
	magic = "PFSEAL"
	// version is the one format version this package writes and reads.
	version = 1
	// prefixSize is the fixed part of the header: magic, version, id length.
	prefixSize = len(magic) + 2
	// saltSize is the length of the per-object random salt.
	saltSize = 32
	// tagSize is the GCM authentication tag appended to every chunk.
	tagSize = 16
	// sealedChunkSize is the size of every sealed chunk but the final one.
	sealedChunkSize = ChunkSize + tagSize
	// nonceSize is GCM's standard nonce length.
	nonceSize = 12
	// flagFinal marks the last chunk in its nonce.
	flagFinal = 1
	// hkdfInfo binds derived subkeys to this format and version.
	hkdfInfo = "picfre seal v1"
)

// The errors of this package. Each is a sentinel for errors.Is and carries
// an errcode; the errors returned wrap one of them once, with a detail that
// never holds key material or content.
var (
	// ErrCorrupt: a sealed object failed to open: truncated, reordered,
	// altered, sealed with another aad, or an unsupported version. Its code
	// is Internal, because the object was written by the service itself:
	// the bytes at rest (or the code that chose the aad) are at fault, not
	// the uploader, and retrying cannot help. Treat everything read from a
	// stream that ends in ErrCorrupt as void.
	ErrCorrupt = errcode.New(errcode.Internal, "seal: sealed object is corrupt")
	// ErrUnknownKey: the object names a key id the keyring does not hold.
	// The operator must put the key (kept after rotation) back in the ring;
	// until then the object cannot be read. FailedPrecondition.
	ErrUnknownKey = errcode.New(errcode.FailedPrecondition, "seal: sealed with a key the keyring does not hold")
	// ErrNotSealed: a keyring with keys was given bytes that do not begin
	// with the format's magic, such as an object stored before sealing was
	// turned on. A sealing keyring never reads clear objects; let them
	// expire or reseal them. FailedPrecondition.
	ErrNotSealed = errcode.New(errcode.FailedPrecondition, "seal: object is not sealed")
	// ErrClosed: Write or Close on a Writer after it failed, or Write after
	// Close: a bug in the caller. Internal.
	ErrClosed = errcode.New(errcode.Internal, "seal: writer is closed")
	// errInvalid is the parent of every argument error.
	errInvalid = errcode.New(errcode.InvalidArgument, "seal: invalid key")
)

// Key is one sealing key: ID names it in every sealed object (1..64 bytes,
// printable ASCII, no spaces), Secret is 32 bytes (AES-256).
type Key struct {
	ID     string
	Secret []byte
}

// Format prints k with its secret redacted, whatever the verb, so that a
// Key in a log line or a %+v dump never shows its secret.
func (k Key) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "seal.Key{ID:%q Secret:[redacted %d bytes]}", k.ID, len(k.Secret))
}

// LogValue gives slog the key's id only.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID), slog.String("secret", "redacted"))
}

// Keyring seals with its first key and opens with any key whose ID an
// object names. A nil *Keyring or one with no keys is "clear":
// Writer/Reader/Seal/Open pass bytes through unchanged.
//
// A Keyring is immutable and safe for concurrent use; the Writers and
// Readers it returns are not.
type Keyring struct {
	current string
	secrets map[string][]byte
}

// NewKeyring returns a keyring holding keys, the first of which seals. With
// no keys it returns a clear keyring. A bad id, a secret that is not 32
// bytes or a duplicate id give an InvalidArgument error that names the
// key's position, never its id or secret. The secrets are copied.
func NewKeyring(keys ...Key) (*Keyring, error) {
	k := &Keyring{secrets: make(map[string][]byte, len(keys))}
	for i, key := range keys {
		if err := validID(key.ID); err != nil {
			return nil, fmt.Errorf("%w: key %d: %s", errInvalid, i, err)
		}
		if len(key.Secret) != SecretSize {
			return nil, fmt.Errorf("%w: key %d: secret is %d bytes, want %d", errInvalid, i, len(key.Secret), SecretSize)
		}
		if _, dup := k.secrets[key.ID]; dup {
			return nil, fmt.Errorf("%w: key %d: duplicate id", errInvalid, i)
		}
		k.secrets[key.ID] = slices.Clone(key.Secret)
		if i == 0 {
			k.current = key.ID
		}
	}
	return k, nil
}

// Sealing reports whether k seals: false when k is clear.
func (k *Keyring) Sealing() bool { return k != nil && k.current != "" }

// CurrentID returns the id of the key that seals, or "" when k is clear.
func (k *Keyring) CurrentID() string {
	if k == nil {
		return ""
	}
	return k.current
}

// SealedSize returns the size of the object Seal or Writer makes of n
// plaintext bytes (n itself when k is clear), for a Content-Length or a
// quota check before sealing.
func (k *Keyring) SealedSize(n int64) int64 {
	if !k.Sealing() {
		return n
	}
	chunks := n/ChunkSize + 1
	if n > 0 && n%ChunkSize == 0 {
		chunks--
	}
	return int64(headerSize(k.current)) + n + chunks*tagSize
}

// Writer seals a stream written to w under aad (which the Reader must be
// given again; it may be nil). Close writes the final chunk (it does NOT
// close w); the header is written with the first chunk. Errors of w keep their errcode, or get
// Unavailable; after one, the Writer is done. To abandon a stream (the
// upload failed), do not call Close: without its final chunk the object
// never opens. When k is clear, the Writer writes the bytes through
// unchanged.
func (k *Keyring) Writer(w io.Writer, aad []byte) (io.WriteCloser, error) {
	if !k.Sealing() {
		return nopCloser{w}, nil
	}
	hdr, aead, err := k.newObject()
	if err != nil {
		return nil, err
	}
	return &writer{
		w:      w,
		header: hdr,
		aad:    append(slices.Clip(hdr), aad...),
		aead:   aead,
		buf:    make([]byte, 0, sealedChunkSize),
	}, nil
}

// Reader opens a stream sealed by Writer (or Seal) with the same aad. It
// reads and checks the header at once, so an object that is not sealed
// (ErrNotSealed), names an unknown key (ErrUnknownKey) or has a broken
// header (ErrCorrupt) fails here. The Reader then returns each chunk's
// plaintext only once the chunk has been authenticated, and detects
// truncation (a missing final chunk), reordered, dropped or altered
// chunks and a wrong aad as ErrCorrupt; it returns io.EOF only after a
// valid final chunk. Bytes read before an error are authentic but
// incomplete: treat the stream as valid only on io.EOF. It buffers one
// chunk, whatever r holds. Errors of r keep their errcode, or get
// Unavailable.
//
// When k is clear, Reader returns r itself: objects sealed earlier cannot
// be read without their key.
func (k *Keyring) Reader(r io.Reader, aad []byte) (io.Reader, error) {
	if !k.Sealing() {
		return r, nil
	}
	hdr, aead, err := k.openHeader(r)
	if err != nil {
		return nil, err
	}
	return &reader{
		r:    r,
		aad:  append(hdr, aad...),
		aead: aead,
		buf:  make([]byte, sealedChunkSize+1),
	}, nil
}

// Seal seals one message in one piece (a held result): the same format as
// Writer, so Reader opens it too. When k is clear, it returns a copy of
// plain.
func (k *Keyring) Seal(plain, aad []byte) ([]byte, error) {
	if !k.Sealing() {
		return slices.Clone(plain), nil
	}
	hdr, aead, err := k.newObject()
	if err != nil {
		return nil, err
	}
	ad := append(slices.Clip(hdr), aad...)
	out := make([]byte, 0, k.SealedSize(int64(len(plain))))
	out = append(out, hdr...)
	var nonce [nonceSize]byte
	for counter := uint64(0); ; counter++ {
		final := len(plain) <= ChunkSize
		n := min(len(plain), ChunkSize)
		out = aead.Seal(out, chunkNonce(&nonce, counter, final), plain[:n], ad)
		plain = plain[n:]
		if final {
			return out, nil
		}
	}
}

// Open opens a message sealed by Seal (or a stream sealed by Writer) with
// the same aad, with the errors Reader gives. When k is clear, it returns
// a copy of sealed.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	if !k.Sealing() {
		return slices.Clone(sealed), nil
	}
	src := bytes.NewReader(sealed)
	hdr, aead, err := k.openHeader(src)
	if err != nil {
		return nil, err
	}
	ad := append(hdr, aad...)
	body := sealed[len(sealed)-src.Len():]
	out := make([]byte, 0, len(body))
	var nonce [nonceSize]byte
	for counter := uint64(0); ; counter++ {
		final := len(body) <= sealedChunkSize
		n := min(len(body), sealedChunkSize)
		if n < tagSize {
			return nil, fmt.Errorf("%w: truncated", ErrCorrupt)
		}
		out, err = aead.Open(out, chunkNonce(&nonce, counter, final), body[:n], ad)
		if err != nil {
			return nil, fmt.Errorf("%w: chunk %d fails authentication", ErrCorrupt, counter)
		}
		body = body[n:]
		if final {
			return out, nil
		}
	}
}

// ParseKey parses the textual form an operator writes in a file or an
// environment variable: "ID:BASE64", the secret in standard or URL
// base64, padded or not, of exactly 32 bytes. Surrounding white space (a
// file's final newline) is ignored; the id runs up to the last colon. An
// error is InvalidArgument and never echoes the id or the secret.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return Key{}, fmt.Errorf("%w: want ID:BASE64", errInvalid)
	}
	id, enc := s[:i], s[i+1:]
	if err := validID(id); err != nil {
		return Key{}, fmt.Errorf("%w: %s", errInvalid, err)
	}
	secret, ok := decodeSecret(enc)
	if !ok {
		return Key{}, fmt.Errorf("%w: secret is not base64 of %d bytes", errInvalid, SecretSize)
	}
	return Key{ID: id, Secret: secret}, nil
}

// decodeSecret decodes enc in whichever of the four base64 alphabets
// yields exactly SecretSize bytes.
func decodeSecret(enc string) ([]byte, bool) {
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		e = e.Strict()
		if e.DecodedLen(len(enc)) < SecretSize || e.DecodedLen(len(enc)) > SecretSize+2 {
			continue
		}
		b, err := e.DecodeString(enc)
		if err == nil && len(b) == SecretSize {
			return b, true
		}
	}
	return nil, false
}

// validID checks a key id's length and characters; its message never
// holds the id.
func validID(id string) error {
	if len(id) < 1 || len(id) > MaxIDLen {
		return fmt.Errorf("id is %d bytes, want 1 to %d", len(id), MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("id byte %d is not printable ASCII", i)
		}
	}
	return nil
}

// headerSize is the size of a header naming id.
func headerSize(id string) int { return prefixSize + len(id) + saltSize }

// newObject makes the header of a new object sealed with the current key,
// with a fresh salt, and the object's AEAD.
func (k *Keyring) newObject() ([]byte, cipher.AEAD, error) {
	hdr := make([]byte, 0, headerSize(k.current))
	hdr = append(hdr, magic...)
	hdr = append(hdr, version, byte(len(k.current)))
	hdr = append(hdr, k.current...)
	salt := hdr[len(hdr) : len(hdr)+saltSize]
	rand.Read(salt) // never fails: crypto/rand crashes the program instead
	hdr = hdr[:len(hdr)+saltSize]
	aead, err := objectAEAD(k.secrets[k.current], salt)
	return hdr, aead, err
}

// openHeader reads and checks the header at the start of r, and returns
// its bytes and the object's AEAD.
func (k *Keyring) openHeader(r io.Reader) ([]byte, cipher.AEAD, error) {
	hdr := make([]byte, prefixSize, prefixSize+MaxIDLen+saltSize)
	n, err := io.ReadFull(r, hdr)
	if m := min(n, len(magic)); n == 0 || string(hdr[:m]) != magic[:m] {
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, nil, readError(err)
		}
		return nil, nil, ErrNotSealed
	}
	if err != nil {
		return nil, nil, headerError(err)
	}
	if hdr[len(magic)] != version {
		return nil, nil, fmt.Errorf("%w: unsupported version %d", ErrCorrupt, hdr[len(magic)])
	}
	idLen := int(hdr[len(magic)+1])
	if idLen < 1 || idLen > MaxIDLen {
		return nil, nil, fmt.Errorf("%w: key id length %d", ErrCorrupt, idLen)
	}
	hdr = hdr[:prefixSize+idLen+saltSize]
	if _, err := io.ReadFull(r, hdr[prefixSize:]); err != nil {
		return nil, nil, headerError(err)
	}
	id := string(hdr[prefixSize : prefixSize+idLen])
	if validID(id) != nil {
		return nil, nil, fmt.Errorf("%w: malformed key id", ErrCorrupt)
	}
	secret, ok := k.secrets[id]
	if !ok {
		// A valid id is printable ASCII without spaces: safe to log, and
		// what the operator needs to find the missing key.
		return nil, nil, fmt.Errorf("%w: key id %q", ErrUnknownKey, id)
	}
	aead, err := objectAEAD(secret, hdr[prefixSize+idLen:])
	return hdr, aead, err
}

// headerError classifies an error reading the header once the magic has
// matched: an early end is truncation.
func headerError(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: truncated header", ErrCorrupt)
	}
	return readError(err)
}

// readError classifies an error of the underlying reader or writer.
func readError(err error) error {
	return errcode.WrapIfNone(errcode.Unavailable, err)
}

// objectAEAD derives the object's subkey from the key's secret and the
// object's salt, and returns AES-256-GCM under it.
func objectAEAD(secret, salt []byte) (cipher.AEAD, error) {
	sub, err := hkdf.Key(sha256.New, secret, salt, hkdfInfo, SecretSize)
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, err)
	}
	block, err := aes.NewCipher(sub)
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, err)
	}
	return aead, nil
}

// chunkNonce fills nonce for chunk counter: 11 bytes of big-endian counter
// (its top 3 bytes always zero), then the final flag.
func chunkNonce(nonce *[nonceSize]byte, counter uint64, final bool) []byte {
	*nonce = [nonceSize]byte{}
	binary.BigEndian.PutUint64(nonce[3:11], counter)
	if final {
		nonce[11] = flagFinal
	}
	return nonce[:]
}

// nopCloser is the clear Writer: Close does not close w.
type nopCloser struct{ io.Writer }

// Close does nothing.
func (nopCloser) Close() error { return nil }

// writer seals a stream chunk by chunk; buf holds the pending plaintext
// (at most ChunkSize bytes) with room for its tag.
type writer struct {
	w       io.Writer
	header  []byte // written before the first chunk, then nil
	aad     []byte // header || caller's aad
	aead    cipher.AEAD
	buf     []byte
	counter uint64
	nonce   [nonceSize]byte
	err     error // sticky: ErrClosed after Close, or the first failure
}

// Write buffers p, sealing and writing each full chunk once more data
// follows it (the last chunk is sealed by Close, as the final one).
func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	written := 0
	for len(p) > 0 {
		if len(w.buf) == ChunkSize {
			if err := w.flush(false); err != nil {
				return written, err
			}
		}
		n := min(len(p), ChunkSize-len(w.buf))
		w.buf = append(w.buf, p[:n]...)
		p = p[n:]
		written += n
	}
	return written, nil
}

// Close seals and writes the final chunk (empty when nothing is pending
// and no chunk was written, or the last full one). It does not close the
// underlying writer. A second Close returns nil when the first succeeded.
func (w *writer) Close() error {
	if w.err == ErrClosed {
		return nil
	}
	if w.err != nil {
		return w.err
	}
	if err := w.flush(true); err != nil {
		return err
	}
	w.err = ErrClosed
	return nil
}

// flush seals buf as chunk w.counter and writes it, after the header on
// the first call.
func (w *writer) flush(final bool) error {
	if w.counter == math.MaxUint64 {
		w.err = fmt.Errorf("%w: stream too long", ErrClosed)
		return w.err
	}
	if w.header != nil {
		if err := w.write(w.header); err != nil {
			return err
		}
		w.header = nil
	}
	sealed := w.aead.Seal(w.buf[:0], chunkNonce(&w.nonce, w.counter, final), w.buf, w.aad)
	if err := w.write(sealed); err != nil {
		return err
	}
	w.counter++
	w.buf = w.buf[:0]
	return nil
}

// write writes b to w.w, making any failure sticky.
func (w *writer) write(b []byte) error {
	n, err := w.w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = readError(err)
	}
	return w.err
}

// reader opens a stream chunk by chunk. buf holds one sealed chunk plus
// one byte of look-ahead: a chunk is the final one exactly when nothing
// follows it.
type reader struct {
	r       io.Reader
	aad     []byte // header || caller's aad
	aead    cipher.AEAD
	buf     []byte // sealedChunkSize+1 bytes
	plain   []byte // the part of the current chunk not yet returned
	carry   bool   // buf[sealedChunkSize] is the next chunk's first byte
	counter uint64
	nonce   [nonceSize]byte
	err     error // sticky: io.EOF after the final chunk, or the failure
}

// Read returns authenticated plaintext, then io.EOF after the final chunk.
func (r *reader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.err = r.next()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// next reads and opens the next chunk into r.plain; it returns io.EOF once
// the final chunk is open.
func (r *reader) next() error {
	have := 0
	if r.carry {
		r.buf[0] = r.buf[sealedChunkSize]
		have = 1
	}
	n, err := io.ReadFull(r.r, r.buf[have:])
	have += n
	final := false
	switch err {
	case nil:
		have = sealedChunkSize
		r.carry = true
	case io.EOF, io.ErrUnexpectedEOF:
		final = true
	default:
		return readError(err)
	}
	if have < tagSize {
		return fmt.Errorf("%w: truncated", ErrCorrupt)
	}
	if r.counter == math.MaxUint64 {
		return fmt.Errorf("%w: stream too long", ErrCorrupt)
	}
	plain, err := r.aead.Open(r.buf[:0], chunkNonce(&r.nonce, r.counter, final), r.buf[:have], r.aad)
	if err != nil {
		return fmt.Errorf("%w: chunk %d fails authentication", ErrCorrupt, r.counter)
	}
	r.counter++
	r.plain = plain
	if final {
		return io.EOF
	}
	return nil
}
