package store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/store"
)

var (
	accountID = regexp.MustCompile(`^acct_[a-z2-7]{26}$`)
	tokenID   = regexp.MustCompile(`^tok_[a-z2-7]{26}$`)
	secretRE  = regexp.MustCompile(`^pfr_[A-Za-z0-9_-]{43}$`)
)

// accountBackends opens a fresh DB per backend; reopen (nil for memory)
// opens another DB on the same database.
func accountBackends() map[string]func(t *testing.T) (db *store.DB, reopen func() *store.DB) {
	open := func(t *testing.T, dsn string) *store.DB {
		t.Helper()
		db, err := store.Open(t.Context(), dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	return map[string]func(t *testing.T) (*store.DB, func() *store.DB){
		"memory": func(t *testing.T) (*store.DB, func() *store.DB) {
			db := store.Memory(store.Options{})
			t.Cleanup(func() { db.Close() })
			return db, nil
		},
		"sqlite": func(t *testing.T) (*store.DB, func() *store.DB) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "picfre.db")
			return open(t, dsn), func() *store.DB { return open(t, dsn) }
		},
		"postgres": func(t *testing.T) (*store.DB, func() *store.DB) {
			dsn := testenv.Postgres(t)
			return open(t, dsn), func() *store.DB { return open(t, dsn) }
		},
	}
}

// TestAccounts is the one test body of the account store, run against
// every backend.
func TestAccounts(t *testing.T) {
	for name, mk := range accountBackends() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			db, reopen := mk(t)
			acc := db.Accounts()
			if acc == nil || acc != db.Accounts() {
				t.Fatal("Accounts does not return one store")
			}

			alice, err := acc.Create(ctx)
			if err != nil {
				t.Fatal(err)
			}
			bob, err := acc.Create(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !accountID.MatchString(alice.ID) || !accountID.MatchString(bob.ID) || alice.ID == bob.ID {
				t.Fatalf("account ids %q, %q: want two distinct acct_ + 26 base32", alice.ID, bob.ID)
			}
			if alice.Created.IsZero() || alice.Created.Location().String() != "UTC" {
				t.Errorf("Created = %v, want a UTC time", alice.Created)
			}

			for _, c := range []struct {
				id   string
				want bool
			}{{alice.ID, true}, {bob.ID, true}, {"acct_nobody", false}, {"", false}} {
				if ok, err := acc.Exists(ctx, c.id); err != nil || ok != c.want {
					t.Errorf("Exists(%q) = %v, %v; want %v", c.id, ok, err, c.want)
				}
			}

			// Tokens only for accounts that exist.
			if _, _, err := acc.NewToken(ctx, "acct_nobody", "x"); !errors.Is(err, store.ErrNotFound) || errcode.Of(err) != errcode.NotFound {
				t.Fatalf("NewToken(unknown account) = %v; want ErrNotFound", err)
			}

			secret, tok, err := acc.NewToken(ctx, alice.ID, "laptop")
			if err != nil {
				t.Fatal(err)
			}
			if !secretRE.MatchString(secret) || !tokenID.MatchString(tok.ID) {
				t.Fatalf("secret %q / id %q: wrong form", secret, tok.ID)
			}
			if tok.Account != alice.ID || tok.Label != "laptop" || tok.Created.IsZero() || !tok.LastUsed.IsZero() {
				t.Fatalf("token = %+v", tok)
			}
			secret2, tok2, err := acc.NewToken(ctx, alice.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			bobSecret, bobTok, err := acc.NewToken(ctx, bob.ID, "ci")
			if err != nil {
				t.Fatal(err)
			}
			if secret == secret2 || secret == bobSecret || tok.ID == tok2.ID {
				t.Fatal("two tokens share a secret or an id")
			}

			for s, want := range map[string]string{secret: alice.ID, secret2: alice.ID, bobSecret: bob.ID} {
				got, err := acc.AccountForToken(ctx, s)
				if err != nil || got != want {
					t.Fatalf("AccountForToken = %q, %v; want %q", got, err, want)
				}
			}

			// Anything but a live secret is refused alike, and the
			// error never repeats what was sent.
			flipped := []byte(secret)
			flipped[len(flipped)-5] ^= 1 // still base64url
			for _, bad := range []string{
				"", "pfr_", "Bearer " + secret, secret + "=", secret[:len(secret)-1], strings.ToUpper(secret),
				"pfx_" + secret[4:], string(flipped), "pfr_" + strings.Repeat("!", 43),
				"pfr_" + strings.Repeat("A", 43),     // well-formed, never issued
				hex.EncodeToString(sha256Of(secret)), // the stored hash is not a credential
			} {
				got, err := acc.AccountForToken(ctx, bad)
				if got != "" || !errors.Is(err, store.ErrUnauthenticated) || errcode.Of(err) != errcode.Unauthenticated {
					t.Errorf("AccountForToken(%q) = %q, %v; want ErrUnauthenticated", bad, got, err)
				}
				if bad != "" && err != nil && strings.Contains(err.Error(), bad) {
					t.Errorf("the error repeats the secret: %v", err)
				}
			}

			// The list: oldest first, the one just used has a LastUsed.
			list, err := acc.Tokens(ctx, alice.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].ID != tok.ID || list[1].ID != tok2.ID || list[0].Label != "laptop" || list[1].Label != "" {
				t.Fatalf("Tokens(alice) = %+v", list)
			}
			if list[0].LastUsed.IsZero() || list[0].LastUsed.Before(list[0].Created) {
				t.Errorf("LastUsed after use = %v (created %v)", list[0].LastUsed, list[0].Created)
			}
			if !list[0].Created.Equal(tok.Created) {
				t.Errorf("listed Created %v, issued %v", list[0].Created, tok.Created)
			}
			if l, err := acc.Tokens(ctx, "acct_nobody"); err != nil || len(l) != 0 {
				t.Errorf("Tokens(unknown) = %+v, %v", l, err)
			}

			// Revoke: only one's own, once.
			if err := acc.Revoke(ctx, bob.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Revoke of another account's token = %v; want ErrNotFound", err)
			}
			if got, err := acc.AccountForToken(ctx, secret); err != nil || got != alice.ID {
				t.Fatalf("after a refused revoke: %q, %v", got, err)
			}
			if err := acc.Revoke(ctx, alice.ID, tok.ID); err != nil {
				t.Fatal(err)
			}
			if err := acc.Revoke(ctx, alice.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("second Revoke = %v; want ErrNotFound", err)
			}
			if _, err := acc.AccountForToken(ctx, secret); !errors.Is(err, store.ErrUnauthenticated) {
				t.Fatalf("revoked token: %v; want ErrUnauthenticated", err)
			}
			if got, err := acc.AccountForToken(ctx, secret2); err != nil || got != alice.ID {
				t.Fatalf("the other token after revoking one: %q, %v", got, err)
			}
			if l, _ := acc.Tokens(ctx, alice.ID); len(l) != 1 || l[0].ID != tok2.ID {
				t.Fatalf("Tokens after Revoke = %+v", l)
			}

			// Erasure keeps the account and its tokens (credentials, not
			// personal data).
			subj := &privacy.Subjects{Contacts: db.Contacts(), Ledger: db.Ledger()}
			if _, err := db.Ledger().TopUp(ctx, metering.TopUp{Account: bob.ID, Credits: 3, PaymentRef: "pay-1"}); err != nil {
				t.Fatal(err)
			}
			if _, err := subj.Erase(ctx, bob.ID); err != nil {
				t.Fatal(err)
			}
			if got, err := acc.AccountForToken(ctx, bobSecret); err != nil || got != bob.ID {
				t.Fatalf("token after erasure: %q, %v; want kept", got, err)
			}

			// Concurrent use (under -race): readers and a writer.
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					if got, err := acc.AccountForToken(ctx, secret2); err != nil || got != alice.ID {
						t.Errorf("concurrent AccountForToken = %q, %v", got, err)
					}
				})
			}
			wg.Go(func() {
				if _, _, err := acc.NewToken(ctx, bob.ID, "more"); err != nil {
					t.Errorf("concurrent NewToken: %v", err)
				}
			})
			wg.Wait()

			if reopen == nil {
				return
			}
			// The same database through another DB: everything is there.
			again := reopen().Accounts()
			if got, err := again.AccountForToken(ctx, bobSecret); err != nil || got != bob.ID {
				t.Fatalf("after reopening: %q, %v", got, err)
			}
			if _, err := again.AccountForToken(ctx, secret); !errors.Is(err, store.ErrUnauthenticated) {
				t.Fatalf("revoked token after reopening: %v", err)
			}
			if l, err := again.Tokens(ctx, bob.ID); err != nil || len(l) != 2 || l[0].ID != bobTok.ID {
				t.Fatalf("Tokens(bob) after reopening = %+v, %v", l, err)
			}
			if _, _, err := again.NewToken(ctx, alice.ID, ""); err != nil {
				t.Fatalf("NewToken for an account made by the other DB: %v", err)
			}
		})
	}
}

// TestAccountsStoreOnlyHashes: the SQLite file (and its WAL) holds the
// SHA-256 of a secret, never the secret.
func TestAccountsStoreOnlyHashes(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "picfre.db")
	db, err := store.Open(ctx, "sqlite:"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := db.Accounts().Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := db.Accounts().NewToken(ctx, acct.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	read := func() []byte {
		var all []byte
		for _, p := range []string{path, path + "-wal"} {
			b, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	onDisk := read()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	onDisk = append(onDisk, read()...)
	if bytes.Contains(onDisk, []byte(secret)) || bytes.Contains(onDisk, []byte(secret[4:])) {
		t.Fatal("the secret is in the database file")
	}
	if !bytes.Contains(onDisk, []byte(hex.EncodeToString(sha256Of(secret)))) {
		t.Fatal("the secret's SHA-256 is not in the database file; the test reads the wrong file")
	}
}

// TestAccountsClosed: after Close the store fails with a coded error.
func TestAccountsClosed(t *testing.T) {
	db, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "picfre.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acc := db.Accounts()
	db.Close()
	if _, err := acc.Create(t.Context()); err == nil || errcode.Of(err) != errcode.Unavailable {
		t.Fatalf("Create after Close = %v; want unavailable", err)
	}
}

func sha256Of(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// FuzzAccountForToken: any bytes as a secret give the account only for
// the secret issued, ErrUnauthenticated otherwise; never a panic or
// another error.
func FuzzAccountForToken(f *testing.F) {
	db, err := store.Open(f.Context(), "sqlite:"+filepath.Join(f.TempDir(), "picfre.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	acc := db.Accounts()
	acct, err := acc.Create(f.Context())
	if err != nil {
		f.Fatal(err)
	}
	secret, _, err := acc.NewToken(f.Context(), acct.ID, "")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{secret, "", "pfr_", secret[:20], secret + "x", "pfr_" + strings.Repeat("-", 43), "pfr_\x00" + secret[5:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := acc.AccountForToken(t.Context(), s)
		switch {
		case s == secret:
			if err != nil || got != acct.ID {
				t.Fatalf("the issued secret: %q, %v", got, err)
			}
		case got != "" || !errors.Is(err, store.ErrUnauthenticated):
			t.Fatalf("AccountForToken(%q) = %q, %v; want ErrUnauthenticated", s, got, err)
		}
	})
}
