// Package seal seals data at rest with AES-256-GCM under keys the embedder
// supplies: the job service's spooled uploads (streams of up to several
// GiB, sealed and opened chunk by chunk in constant memory) and its held
// results (small messages, sealed in one piece).
//
// # Keys and rotation
//
// A [Key] is an id and a 32-byte secret; [ParseKey] reads the "ID:BASE64"
// form an operator writes in a file or an environment variable. A
// [Keyring] seals with its first key and opens any object whose key id it
// holds, so a key is rotated by putting the new key first and keeping the
// old ones until every object they sealed has expired:
//
//	ring, err := seal.NewKeyring(newKey, oldKey)
//
// An object whose key is gone fails with [ErrUnknownKey].
//
// # Clear mode
//
// A nil *Keyring, or one made with no keys, is clear: Writer, Reader, Seal
// and Open pass bytes through unchanged. Clear mode and sealing do not
// mix: a clear keyring returns a sealed object's bytes as they are (it
// cannot open them without their key), and a keyring with keys refuses
// bytes that are not sealed with [ErrNotSealed].
//
// # Format (version 1)
//
// A sealed object is a header followed by one or more chunks:
//
//	header = "PFSEAL" | version (1 byte, 0x01) | id length (1 byte, 1..64)
//	         | key id (printable ASCII, no spaces) | salt (32 random bytes)
//	chunk  = AES-256-GCM(subkey, nonce, plaintext, aad = header | caller aad)
//	         (ciphertext followed by its 16-byte tag)
//
// The subkey of an object is HKDF-SHA256(secret, salt, info "picfre seal
// v1"), 32 bytes; a fresh random salt makes every object's subkey its own,
// so nonces can be deterministic. Chunk i (from 0) has the 12-byte nonce
// made of i as an 11-byte big-endian number and a flag byte, 1 for the
// final chunk and 0 for the others.
//
// Every chunk but the final one holds exactly [ChunkSize] (64 KiB) of
// plaintext, so it is 64 KiB + 16 bytes sealed; the final chunk holds 0 to
// 64 KiB. Chunks carry no length: a reader takes 64 KiB + 16 bytes at a
// time, and a chunk is the final one exactly when the object ends after
// it. The final chunk is empty only for an empty plaintext; a plaintext
// of n*64 KiB bytes (n ≥ 1) ends in a full final chunk. An object of n
// plaintext bytes is thus 40 + len(id) + n + 16*max(1, ceil(n/64 KiB))
// bytes ([Keyring.SealedSize]).
//
// What the construction detects, all as [ErrCorrupt]:
//   - altered bytes anywhere: the header through the aad of every chunk
//     (and the salt through the subkey), a chunk through its tag;
//   - reordered, dropped or repeated chunks, and chunks spliced from
//     another object: the nonce binds each chunk to its position, the
//     subkey to its object;
//   - truncation, at a chunk boundary or within a chunk: the last chunk
//     left was sealed as not final, or is cut;
//   - extra bytes after the final chunk: the final chunk is then read as
//     non-final and fails;
//   - a wrong caller aad (which binds an object to, say, its job id and
//     its role, so that one object cannot be served in place of another).
//
// Not hidden: the key id, the object's length (hence the plaintext's)
// and whether two objects share a key. Every object has its own subkey
// (a 256-bit random salt makes a repeat negligible), so the deterministic
// nonces never repeat under one key, and GCM's per-key limits apply to
// one object only: 2^64 chunks, far beyond any file.
//
// [Keyring.Seal] writes exactly the format [Keyring.Writer] writes for the
// same plaintext, and [Keyring.Open] and [Keyring.Reader] read either.
//
// # Streaming
//
// [Keyring.Reader] returns plaintext one authenticated chunk at a time,
// holding one chunk (64 KiB + 17 bytes) whatever the stream's length; it
// returns io.EOF only after the final chunk. Bytes it returned before an
// error are authentic but incomplete: a consumer must treat its output as
// valid only once it has seen io.EOF. [Keyring.Writer] likewise holds one
// chunk; its Close writes the final chunk and must be called (and its
// error checked) before the object is stored.
//
// # Errors
//
// Every error carries an errcode: [ErrCorrupt] is Internal (the service
// wrote the object, so damaged bytes at rest or a mismatched aad are not
// the uploader's fault), [ErrUnknownKey] and [ErrNotSealed] are
// FailedPrecondition (the operator's keyring does not match the stored
// objects), bad keys are InvalidArgument, and failures of the underlying
// reader or writer keep their own code or get Unavailable. Messages never
// hold key material or content; a key id named in an object appears only
// once checked to be printable ASCII.
package seal
