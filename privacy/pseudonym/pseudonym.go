package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// MinKeyLen is the shortest key a Keyring accepts (bytes).
const MinKeyLen = 16

// Keyring turns identifiers (account ids, e-mail addresses) into
// keyed pseudonyms: "keyid:" followed by the hex HMAC-SHA-256 of the value
// under that key. Without the key a pseudonym cannot be linked back to the
// value, even by trying likely values, which a plain hash allows.
// Pseudonymised data is still personal data; keep the keys apart from it.
//
// Rotation: new pseudonyms use the current key; pseudonyms made under
// older keys still match as long as their key is held. Find old records
// with Candidates and move them to the current key with Refresh.
//
// Keys never appear in String, GoString, log output or errors. A
// Keyring is immutable and safe for concurrent use.
type Keyring struct {
	current string
	keys    map[string][]byte
}

// NewKeyring returns a Keyring that makes new pseudonyms with
// keys[current] and matches pseudonyms under any key in keys. Key ids must
// be non-empty and contain no ':'; keys must be at least
// MinKeyLen bytes. The keys are copied.
func NewKeyring(current string, keys map[string][]byte) (*Keyring, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("%w: current key id %q not among the keys", ErrInvalidKey, current)
	}
	p := &Keyring{current: current, keys: make(map[string][]byte, len(keys))}
	for id, k := range keys {
		if id == "" || strings.ContainsAny(id, ": \t\n") {
			return nil, fmt.Errorf("%w: key id %q is empty or contains ':' or space", ErrInvalidKey, id)
		}
		if len(k) < MinKeyLen {
			return nil, fmt.Errorf("%w: key %q is shorter than %d bytes", ErrInvalidKey, id, MinKeyLen)
		}
		p.keys[id] = slices.Clone(k)
	}
	return p, nil
}

// CurrentKeyID returns the id of the key new pseudonyms are made with.
func (p *Keyring) CurrentKeyID() string { return p.current }

// Pseudonym returns the pseudonym of value under the current key.
func (p *Keyring) Pseudonym(value string) string {
	return p.with(p.current, value)
}

// PseudonymWith returns the pseudonym of value under the key keyID, or an
// error matching ErrUnknownKey.
func (p *Keyring) PseudonymWith(keyID, value string) (string, error) {
	if _, ok := p.keys[keyID]; !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownKey, keyID)
	}
	return p.with(keyID, value), nil
}

func (p *Keyring) with(keyID, value string) string {
	return keyID + ":" + hex.EncodeToString(p.mac(keyID, value))
}

func (p *Keyring) mac(keyID, value string) []byte {
	m := hmac.New(sha256.New, p.keys[keyID])
	m.Write([]byte(value))
	return m.Sum(nil)
}

// Match reports whether pseudonym is the pseudonym of value under the key
// it names, comparing in constant time. It returns an error matching
// ErrUnknownKey when the key is not held and ErrBadPseudonym when the
// string is not a pseudonym.
func (p *Keyring) Match(value, pseudonym string) (bool, error) {
	id, mac, err := splitPseudonym(pseudonym)
	if err != nil {
		return false, err
	}
	if _, ok := p.keys[id]; !ok {
		return false, fmt.Errorf("%w: %q", ErrUnknownKey, id)
	}
	return hmac.Equal(mac, p.mac(id, value)), nil
}

// Candidates returns the pseudonyms of value under every key held, the
// current key first and the others in key-id order: look a record up by
// all of them to find it whichever key it was stored under.
func (p *Keyring) Candidates(value string) []string {
	ids := make([]string, 0, len(p.keys))
	for id := range p.keys {
		if id != p.current {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := []string{p.Pseudonym(value)}
	for _, id := range ids {
		out = append(out, p.with(id, value))
	}
	return out
}

// Refresh returns the current-key pseudonym of value if pseudonym matches
// value (under any key held); changed tells whether it differs from the
// pseudonym given, so that the stored one should be replaced.
func (p *Keyring) Refresh(value, pseudonym string) (fresh string, changed bool, err error) {
	ok, err := p.Match(value, pseudonym)
	if err != nil {
		return "", false, err
	}
	if !ok {
		return "", false, fmt.Errorf("%w: pseudonym does not belong to the value", ErrBadPseudonym)
	}
	fresh = p.Pseudonym(value)
	return fresh, fresh != pseudonym, nil
}

// String describes the Keyring by key ids only.
func (p Keyring) String() string {
	ids := make([]string, 0, len(p.keys))
	for id := range p.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return fmt.Sprintf("pseudonym.Keyring{current: %s, keys: [%s]}", p.current, strings.Join(ids, " "))
}

// GoString is String, so that %#v does not print the keys either.
func (p Keyring) GoString() string { return p.String() }

// LogValue keeps the keys out of log/slog output.
func (p Keyring) LogValue() slog.Value { return slog.StringValue(p.String()) }

func splitPseudonym(s string) (id string, mac []byte, err error) {
	id, h, ok := strings.Cut(s, ":")
	if !ok || id == "" || len(h) != 2*sha256.Size {
		return "", nil, ErrBadPseudonym
	}
	mac, err = hex.DecodeString(h)
	if err != nil {
		return "", nil, ErrBadPseudonym
	}
	return id, mac, nil
}
