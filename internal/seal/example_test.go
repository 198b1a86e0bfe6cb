package seal_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/seal"
)

// A key as an operator writes it: an id, a colon, 32 bytes in base64.
const operatorKey = "2026-01:q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="

func ExampleParseKey() {
	key, err := seal.ParseKey(operatorKey + "\n")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(key.ID, len(key.Secret))

	_, err = seal.ParseKey("2026-01:c2hvcnQ=")
	fmt.Println(errcode.Of(err), err)
	// Output:
	// 2026-01 32
	// invalid_argument seal: invalid key: secret is not base64 of 32 bytes
}

func ExampleNewKeyring() {
	current, _ := seal.ParseKey(operatorKey)
	previous := seal.Key{ID: "2025-07", Secret: bytes.Repeat([]byte{7}, seal.SecretSize)}

	// An object sealed before the rotation...
	before, _ := seal.NewKeyring(previous)
	old, _ := before.Seal([]byte(`{"title":"Harbour at dawn"}`), []byte("job-1/result"))

	// ...opens with the rotated ring, which seals with its first key.
	ring, err := seal.NewKeyring(current, previous)
	if err != nil {
		fmt.Println(err)
		return
	}
	plain, err := ring.Open(old, []byte("job-1/result"))
	fmt.Println(string(plain), err)
	fmt.Println(ring.Sealing(), ring.CurrentID())

	// Without the previous key the object cannot be read.
	only, _ := seal.NewKeyring(current)
	_, err = only.Open(old, []byte("job-1/result"))
	fmt.Println(errors.Is(err, seal.ErrUnknownKey), errcode.Of(err))
	// Output:
	// {"title":"Harbour at dawn"} <nil>
	// true 2026-01
	// true failed_precondition
}

func ExampleKeyring_Writer() {
	key, _ := seal.ParseKey(operatorKey)
	ring, _ := seal.NewKeyring(key)
	aad := []byte("job-7/upload") // binds the object to its job and role

	// Spool an upload: io.Copy streams it in 64 KiB chunks.
	var spool bytes.Buffer // a blob.Writer in the job service
	w, err := ring.Writer(&spool, aad)
	if err != nil {
		fmt.Println(err)
		return
	}
	upload := strings.NewReader(strings.Repeat("frame ", 50000)) // 300 kB
	if _, err := io.Copy(w, upload); err != nil {
		fmt.Println(err)
		return
	}
	if err := w.Close(); err != nil { // writes the final chunk
		fmt.Println(err)
		return
	}
	fmt.Println(int64(spool.Len()) == ring.SealedSize(300000))

	// Read it back; only io.EOF (a nil error from io.Copy) means all of it.
	r, err := ring.Reader(&spool, aad)
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := io.Copy(io.Discard, r)
	fmt.Println(n, err)
	// Output:
	// true
	// 300000 <nil>
}

func ExampleKeyring_Reader() {
	key, _ := seal.ParseKey(operatorKey)
	ring, _ := seal.NewKeyring(key)
	sealed, _ := ring.Seal(bytes.Repeat([]byte("x"), 200000), nil)

	// A spool cut short (a crashed upload, a partial copy) never reads as
	// complete: the whole chunks before the cut are returned, then ErrCorrupt.
	r, _ := ring.Reader(bytes.NewReader(sealed[:len(sealed)-100]), nil)
	n, err := io.Copy(io.Discard, r)
	fmt.Println(n, errors.Is(err, seal.ErrCorrupt), errcode.Of(err))
	// Output:
	// 196608 true internal
}

func ExampleKeyring_Seal() {
	key, _ := seal.ParseKey(operatorKey)
	ring, _ := seal.NewKeyring(key)
	result := []byte(`{"keywords":["boat","sea"]}`)

	sealed, err := ring.Seal(result, []byte("job-9/result"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(sealed) == len(result)+40+len(key.ID)+16)

	plain, err := ring.Open(sealed, []byte("job-9/result"))
	fmt.Println(string(plain), err)

	_, err = ring.Open(sealed, []byte("job-10/result")) // not this job's result
	fmt.Println(errors.Is(err, seal.ErrCorrupt))
	// Output:
	// true
	// {"keywords":["boat","sea"]} <nil>
	// true
}

func ExampleKeyring_clear() {
	// A nil keyring (sealing not configured) passes bytes through.
	var ring *seal.Keyring
	w, _ := ring.Writer(os.Stdout, nil)
	fmt.Fprintln(w, "stored as is")
	w.Close()
	fmt.Println(ring.Sealing())
	// Output:
	// stored as is
	// false
}
