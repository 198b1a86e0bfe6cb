package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/sqlq"
)

// ErrNotFound: the account or token does not exist (or the token is
// another account's). Code NotFound; check the id.
var ErrNotFound = errcode.New(errcode.NotFound, "store: no such account or token")

// ErrUnauthenticated: the secret names no token — unknown, revoked or not
// of the form NewToken returns. Code Unauthenticated; the caller answers
// 401 and asks for credentials. The secret is never part of the message.
var ErrUnauthenticated = errcode.New(errcode.Unauthenticated, "store: the API token is unknown, revoked or malformed")

// Prefixes of the identifiers and secrets Accounts makes, so that a
// secret pasted in the wrong place is recognised as one (and secret
// scanners can find it).
const (
	AccountPrefix = "acct_"
	TokenPrefix   = "tok_"
	SecretPrefix  = "pfr_"
)

// secretBytes is the randomness of a token's secret.
const secretBytes = 32

// touchEvery is how stale a token's last-used time may get before
// AccountForToken writes it again: a write per request would make every
// authenticated read a write.
const touchEvery = time.Minute

// Account is an account the reference server knows.
type Account struct {
	// ID is "acct_" and 26 characters of base32: 128 random bits, not
	// guessable and not derived from anything about the person.
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
}

// Token describes an API token. It never holds the secret or its hash:
// the secret is shown once, by NewToken.
type Token struct {
	// ID names the token for Revoke: "tok_" and 26 characters of base32.
	ID      string    `json:"id"`
	Account string    `json:"account"`
	Label   string    `json:"label,omitempty"`
	Created time.Time `json:"created"`
	// LastUsed is when AccountForToken last accepted it, to the minute;
	// zero if never.
	LastUsed time.Time `json:"last_used,omitzero"`
}

// Accounts keeps the accounts and API tokens of the reference server
// (picfre serve --auth tokens) in the database of the DB, in the tables
// picfre_accounts and picfre_api_tokens. Only the SHA-256 of a token's
// secret is stored: a copy of the database does not let anyone in.
//
// Its AccountForToken is what httpapi.Tokens asks. Erasing a person's data
// (privacy.Subjects.Erase) leaves the account and its tokens: they are
// credentials, not personal data (a random id, a hash, a label the
// operator chose and times), and the person still signs in to see that
// the erasure happened. Revoke the tokens to close an account.
//
// It is safe for concurrent use, also by several processes on one
// database.
type Accounts struct {
	db      *sql.DB // nil for Memory
	dialect string  // "sqlite" or "postgres"
	mem     *memAccounts
	now     func() time.Time
}

// Accounts returns the account and API-token store of the database; every
// call returns the same one. Close closes it.
func (db *DB) Accounts() *Accounts { return db.accounts }

// accountsSchema creates the tables; it is idempotent. Times are Unix
// microseconds (0 = never), as in the other picfre tables.
var accountsSchema = []string{
	`CREATE TABLE IF NOT EXISTS picfre_accounts (
		id      TEXT   NOT NULL PRIMARY KEY,
		created BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS picfre_api_tokens (
		id        TEXT   NOT NULL PRIMARY KEY,
		account   TEXT   NOT NULL REFERENCES picfre_accounts (id),
		hash      TEXT   NOT NULL UNIQUE,
		label     TEXT   NOT NULL,
		created   BIGINT NOT NULL,
		last_used BIGINT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS picfre_api_tokens_account ON picfre_api_tokens (account, created)`,
}

// openAccounts creates the tables if needed and returns the store over
// db, which the caller keeps and closes.
func openAccounts(ctx context.Context, db *sql.DB, dialect string) (*Accounts, error) {
	a := &Accounts{db: db, dialect: dialect, now: time.Now}
	err := a.tx(ctx, func(tx *sql.Tx) error {
		if dialect == "postgres" {
			// CREATE TABLE IF NOT EXISTS races in PostgreSQL when two
			// processes open a fresh database at once.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('picfre.accounts.schema'))`); err != nil {
				return err
			}
		}
		for _, stmt := range accountsSchema {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("store: accounts: create tables: %w", err))
	}
	return a, nil
}

func memoryAccounts() *Accounts {
	return &Accounts{mem: &memAccounts{accounts: map[string]Account{}, tokens: map[string]Token{}}, now: time.Now}
}

// Create makes a new account and returns it.
func (a *Accounts) Create(ctx context.Context) (Account, error) {
	acct := Account{ID: AccountPrefix + randomID(), Created: a.now().UTC().Truncate(time.Microsecond)}
	if a.mem != nil {
		a.mem.mu.Lock()
		defer a.mem.mu.Unlock()
		a.mem.accounts[acct.ID] = acct
		return acct, nil
	}
	if _, err := a.db.ExecContext(ctx, a.q(`INSERT INTO picfre_accounts (id, created) VALUES (?, ?)`), acct.ID, acct.Created.UnixMicro()); err != nil {
		return Account{}, wrapDB("create account", err)
	}
	return acct, nil
}

// Exists reports whether account was made by Create. It has the shape of
// stripe.Config.AccountExists, so that a payment naming an account this
// server does not know credits nothing.
func (a *Accounts) Exists(ctx context.Context, account string) (bool, error) {
	if a.mem != nil {
		a.mem.mu.Lock()
		defer a.mem.mu.Unlock()
		_, ok := a.mem.accounts[account]
		return ok, nil
	}
	var one int
	err := a.db.QueryRowContext(ctx, a.q(`SELECT 1 FROM picfre_accounts WHERE id = ?`), account).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, wrapDB("exists", err)
	}
	return true, nil
}

// NewToken makes an API token for account, with an optional label for
// the people who manage it ("laptop", "CI"), and returns its secret —
// "pfr_" and 43 characters of base64url, 256 random bits — and its
// description. The secret is returned this once: only its SHA-256 is
// kept. An unknown account fails with ErrNotFound.
func (a *Accounts) NewToken(ctx context.Context, account, label string) (string, Token, error) {
	var raw [secretBytes]byte
	rand.Read(raw[:])
	secret := SecretPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	hash := hashSecret(secret)
	tok := Token{ID: TokenPrefix + randomID(), Account: account, Label: label, Created: a.now().UTC().Truncate(time.Microsecond)}
	if a.mem != nil {
		a.mem.mu.Lock()
		defer a.mem.mu.Unlock()
		if _, ok := a.mem.accounts[account]; !ok {
			return "", Token{}, ErrNotFound
		}
		a.mem.tokens[hash] = tok
		return secret, tok, nil
	}
	err := a.tx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, a.q(`SELECT 1 FROM picfre_accounts WHERE id = ?`), account).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, a.q(`INSERT INTO picfre_api_tokens (id, account, hash, label, created, last_used) VALUES (?, ?, ?, ?, ?, 0)`),
			tok.ID, tok.Account, hash, tok.Label, tok.Created.UnixMicro())
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return "", Token{}, ErrNotFound
	}
	if err != nil {
		return "", Token{}, wrapDB("new token", err)
	}
	return secret, tok, nil
}

// AccountForToken returns the account whose token secret is; it
// implements httpapi.TokenStore. A secret that is unknown, revoked or not
// of NewToken's form fails with ErrUnauthenticated, checked without
// asking the database when malformed. The secret is in no error and no
// log.
func (a *Accounts) AccountForToken(ctx context.Context, secret string) (string, error) {
	if !wellFormedSecret(secret) {
		return "", ErrUnauthenticated
	}
	hash := hashSecret(secret)
	now := a.now().UTC()
	if a.mem != nil {
		a.mem.mu.Lock()
		defer a.mem.mu.Unlock()
		t, ok := a.mem.tokens[hash]
		if !ok {
			return "", ErrUnauthenticated
		}
		if now.Sub(t.LastUsed) >= touchEvery {
			t.LastUsed = now.Truncate(time.Microsecond)
			a.mem.tokens[hash] = t
		}
		return t.Account, nil
	}
	var id, account, stored string
	var lastUsed int64
	err := a.db.QueryRowContext(ctx, a.q(`SELECT id, account, hash, last_used FROM picfre_api_tokens WHERE hash = ?`), hash).
		Scan(&id, &account, &stored, &lastUsed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrUnauthenticated
	}
	if err != nil {
		return "", wrapDB("look up token", err)
	}
	// The index found it; compare once more in constant time, so that no
	// collation or driver quirk lets a near miss through.
	if subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) != 1 {
		return "", ErrUnauthenticated
	}
	if now.Sub(fromMicros(lastUsed)) >= touchEvery {
		// Best effort: a failed touch must not refuse a valid token.
		_, _ = a.db.ExecContext(ctx, a.q(`UPDATE picfre_api_tokens SET last_used = ? WHERE id = ?`), now.UnixMicro(), id)
	}
	return account, nil
}

// Tokens lists account's tokens, oldest first; never their secrets or
// hashes. An account without tokens, or an unknown one, has none.
func (a *Accounts) Tokens(ctx context.Context, account string) ([]Token, error) {
	if a.mem != nil {
		a.mem.mu.Lock()
		defer a.mem.mu.Unlock()
		var out []Token
		for _, t := range a.mem.tokens {
			if t.Account == account {
				out = append(out, t)
			}
		}
		slices.SortFunc(out, func(x, y Token) int {
			if c := x.Created.Compare(y.Created); c != 0 {
				return c
			}
			return strings.Compare(x.ID, y.ID)
		})
		return out, nil
	}
	rows, err := a.db.QueryContext(ctx, a.q(`SELECT id, label, created, last_used FROM picfre_api_tokens WHERE account = ? ORDER BY created, id`), account)
	if err != nil {
		return nil, wrapDB("list tokens", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t := Token{Account: account}
		var created, lastUsed int64
		if err := rows.Scan(&t.ID, &t.Label, &created, &lastUsed); err != nil {
			return nil, wrapDB("list tokens", err)
		}
		t.Created, t.LastUsed = fromMicros(created), fromMicros(lastUsed)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapDB("list tokens", err)
	}
	return out, nil
}

// Revoke deletes account's token tokenID: its secret is refused from now
// on. A token that does not exist or is another account's fails with
// ErrNotFound.
func (a *Accounts) Revoke(ctx context.Context, account, tokenID string) error {
	if a.mem != nil {
		a.mem.mu.Lock()
		defer a.mem.mu.Unlock()
		for h, t := range a.mem.tokens {
			if t.ID == tokenID && t.Account == account {
				delete(a.mem.tokens, h)
				return nil
			}
		}
		return ErrNotFound
	}
	res, err := a.db.ExecContext(ctx, a.q(`DELETE FROM picfre_api_tokens WHERE id = ? AND account = ?`), tokenID, account)
	if err != nil {
		return wrapDB("revoke token", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrapDB("revoke token", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// wellFormedSecret reports whether s has NewToken's form: the prefix and
// exactly 32 bytes of unpadded base64url.
func wellFormedSecret(s string) bool {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(secretBytes) {
		return false
	}
	var raw [secretBytes]byte
	n, err := base64.RawURLEncoding.Strict().Decode(raw[:], []byte(rest))
	return err == nil && n == secretBytes
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// idEncoding spells ids in lower-case base32 without padding: 26
// characters for 128 bits, no characters that need escaping in a URL.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// wrapDB gives a database failure the Unavailable code unless it has one;
// the message names the operation, never an argument.
func wrapDB(op string, err error) error {
	return errcode.WrapIfNone(errcode.Unavailable, fmt.Errorf("store: accounts: %s: %w", op, err))
}

// q rewrites the '?' placeholders of query for the dialect.
func (a *Accounts) q(query string) string { return sqlq.Rebind(query, a.dialect == "postgres") }

func (a *Accounts) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return sqlq.InTx(ctx, a.db, fn)
}

// memAccounts is the store of Memory.
type memAccounts struct {
	mu       sync.Mutex
	accounts map[string]Account
	tokens   map[string]Token // by the hash of the secret
}
