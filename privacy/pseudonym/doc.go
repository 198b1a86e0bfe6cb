// Package pseudonym makes keyed pseudonyms: stable stand-ins for an
// identifier that cannot be linked back to it without the key.
//
// # The promise
//
// Nothing that identifies a user leaves the service in the clear: where a
// log, a report or a third party needs a stable id for a person, it gets
// "keyid:" followed by the hex HMAC-SHA-256 of the identifier under a
// secret key. Unlike a plain hash, a keyed pseudonym cannot be reversed by
// hashing likely values (every e-mail address on a leaked list). A
// pseudonym is still personal data: the ones the service keeps are
// recorded with privacy.Subjects.KeepPseudonym, so that they are exported
// and erased with the rest of the account's data.
//
// # Keys and rotation
//
// A [Keyring] ([NewKeyring]) holds the keys by id, and one current key.
// New pseudonyms ([Keyring.Pseudonym]) use the current key; pseudonyms
// made under older keys still match ([Keyring.Match]) as long as their key
// is held. Find old records with [Keyring.Candidates] and move them to the
// current key with [Keyring.Refresh]. Keys must be at least [MinKeyLen]
// bytes; keep them apart from the data they protect.
//
// Keys never appear in String, GoString, log/slog output or errors.
//
// # Errors
//
// [ErrInvalidKey], [ErrUnknownKey] and [ErrBadPseudonym], all with code
// InvalidArgument.
//
// # Concurrency
//
// A Keyring is immutable and safe for concurrent use.
package pseudonym
