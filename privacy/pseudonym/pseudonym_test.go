package pseudonym

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

var (
	key1 = []byte("0123456789abcdef-key-one")
	key2 = []byte("fedcba9876543210-key-two")
)

func TestKeyringRotation(t *testing.T) {
	old, err := NewKeyring("k1", map[string][]byte{"k1": key1})
	if err != nil {
		t.Fatal(err)
	}
	p1 := old.Pseudonym("user-42")
	// HMAC-SHA-256("0123456789abcdef-key-one", "user-42"), computed once with
	// printf %s user-42 | openssl dgst -sha256 -hmac 0123456789abcdef-key-one
	const wantP1 = "k1:45d0e137a1e0befd0ae5197e3842a63fb484c8b89b1320c146bf755b00b5865d"
	if p1 != wantP1 {
		t.Fatalf("pseudonym %q, want %q", p1, wantP1)
	}

	rotated, err := NewKeyring("k2", map[string][]byte{"k1": key1, "k2": key2})
	if err != nil {
		t.Fatal(err)
	}
	p2 := rotated.Pseudonym("user-42")
	if !strings.HasPrefix(p2, "k2:") || p2 == p1 {
		t.Fatalf("after rotation: %q", p2)
	}
	for _, p := range []string{p1, p2} {
		ok, err := rotated.Match("user-42", p)
		if err != nil || !ok {
			t.Errorf("Match(%q) = %v, %v", p, ok, err)
		}
		ok, err = rotated.Match("user-43", p)
		if err != nil || ok {
			t.Errorf("Match(other, %q) = %v, %v", p, ok, err)
		}
	}
	if c := rotated.Candidates("user-42"); len(c) != 2 || c[0] != p2 || c[1] != p1 {
		t.Errorf("Candidates = %v", c)
	}
	fresh, changed, err := rotated.Refresh("user-42", p1)
	if err != nil || !changed || fresh != p2 {
		t.Errorf("Refresh(old) = %q, %v, %v", fresh, changed, err)
	}
	if _, changed, _ := rotated.Refresh("user-42", p2); changed {
		t.Error("Refresh(current) says changed")
	}
	if _, _, err := rotated.Refresh("user-43", p1); !errors.Is(err, ErrBadPseudonym) {
		t.Errorf("Refresh(wrong value) err = %v", err)
	}
	// Retiring k1 makes its pseudonyms unknown, not silently unequal.
	if _, err := old.Match("user-42", p2); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: err = %v", err)
	}
	if got, err := rotated.PseudonymWith("k1", "user-42"); err != nil || got != p1 {
		t.Errorf("PseudonymWith(k1) = %q, %v", got, err)
	}
}

func TestPseudonymIsHMAC(t *testing.T) {
	p, _ := NewKeyring("k", map[string][]byte{"k": []byte("key-of-sixteen-b")})
	// A literal computed once with
	// `printf %s value | openssl dgst -sha256 -hmac key-of-sixteen-b`.
	const want = "k:ef00d46ef012c1927a900b8a56faa530b11fb463d973060153c6de810a31c99e"
	if got := p.Pseudonym("value"); got != want {
		t.Errorf("Pseudonym = %s, want %s", got, want)
	}
}

func TestKeyringErrors(t *testing.T) {
	bad := []struct {
		current string
		keys    map[string][]byte
	}{
		{"k9", map[string][]byte{"k1": key1}},
		{"k1", map[string][]byte{"k1": []byte("short")}},
		{"a:b", map[string][]byte{"a:b": key1}},
		{"", map[string][]byte{"": key1}},
	}
	for _, b := range bad {
		if _, err := NewKeyring(b.current, b.keys); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("NewKeyring(%q) err = %v", b.current, err)
		}
	}
	p, _ := NewKeyring("k1", map[string][]byte{"k1": key1})
	for _, s := range []string{"", "k1", "k1:zz", "k1:" + strings.Repeat("0", 63), ":" + strings.Repeat("0", 64)} {
		if _, err := p.Match("v", s); !errors.Is(err, ErrBadPseudonym) {
			t.Errorf("Match(%q) err = %v", s, err)
		}
	}
}

func TestKeyringNeverPrintsKeys(t *testing.T) {
	keys := map[string][]byte{"k1": key1, "k2": key2}
	p, err := NewKeyring("k2", keys)
	if err != nil {
		t.Fatal(err)
	}
	keys["k2"][0] = 'X' // the Keyring holds its own copy
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "p", p)
	outputs := []string{
		fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %s %q %x", p, p, p, p, p, p),
		fmt.Sprintf("%v %+v %#v", *p, *p, *p), logs.String(),
	}
	_, err1 := p.PseudonymWith("k3", "v")
	_, err2 := NewKeyring("k1", map[string][]byte{"k1": []byte("short-secret")})
	outputs = append(outputs, err1.Error(), err2.Error())
	for _, out := range outputs {
		for _, k := range [][]byte{key1, key2, []byte("short-secret"), []byte("0123456789"), []byte("fedcba")} {
			if strings.Contains(out, string(k)) || strings.Contains(out, fmt.Sprintf("%x", k)) {
				t.Errorf("output %q reveals a key", out)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(p), "current: k2") {
		t.Errorf("String = %q", p)
	}
	keys["k2"][0] = 'f'
}
