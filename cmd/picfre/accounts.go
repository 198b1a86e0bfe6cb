package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/picfre/picfre/store"
)

const accountsUsage = `usage:
  picfre accounts create [--ledger DSN]
  picfre accounts token  --account ID [--label L] [--ledger DSN]
  picfre accounts tokens --account ID [--ledger DSN]
  picfre accounts revoke --account ID --token TOKENID [--ledger DSN]

The accounts and API tokens of "picfre serve --auth tokens", kept in the
ledger's database (sqlite:PATH or a postgres:// URL; default:
` + defaultLedgerDSN + `).

create makes an account and prints its id (acct_...). token makes an API
token for it and prints the secret (pfr_...) on stdout, this once: only
its SHA-256 is stored, so a lost secret cannot be shown again (make
another and revoke the old one). A client sends it as
"Authorization: Bearer pfr_...". tokens lists an account's tokens (id,
label, created, last used; JSONL, oldest first), never their secrets;
revoke deletes one, refused from then on.
`

// runAccounts runs "picfre accounts SUBCOMMAND [flags]".
func runAccounts(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, accountsUsage)
		return usagef("accounts: missing subcommand")
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("picfre accounts "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, accountsUsage) }
	ledgerDSN := fs.String("ledger", defaultLedgerDSN, "database of the accounts: sqlite:PATH or postgres://...")
	var account, label, token *string
	switch sub {
	case "create":
	case "token":
		account = fs.String("account", "", "account the token signs in as")
		label = fs.String("label", "", "a note on what the token is for (laptop, CI); shown by tokens")
	case "tokens":
		account = fs.String("account", "", "account whose tokens to list")
	case "revoke":
		account = fs.String("account", "", "account the token is of")
		token = fs.String("token", "", "id of the token (tok_...), as tokens lists it")
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, accountsUsage)
		return nil
	default:
		fmt.Fprint(e.stderr, accountsUsage)
		return usagef("accounts: unknown subcommand %q", sub)
	}
	pos, err := parseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("accounts %s: unexpected argument %q", sub, pos[0])
	}
	if account != nil && *account == "" {
		return usagef("accounts %s: --account is required", sub)
	}
	if token != nil && *token == "" {
		return usagef("accounts %s: --token is required", sub)
	}
	db, err := store.Open(ctx, *ledgerDSN, store.Options{})
	if err != nil {
		return coded("accounts "+sub, err)
	}
	defer db.Close()
	acc := db.Accounts()
	switch sub {
	case "create":
		a, err := acc.Create(ctx)
		if err != nil {
			return coded("accounts create", err)
		}
		fmt.Fprintln(e.stdout, a.ID)
	case "token":
		secret, tok, err := acc.NewToken(ctx, *account, *label)
		if err != nil {
			return coded("accounts token", err)
		}
		fmt.Fprintln(e.stdout, secret)
		fmt.Fprintf(e.stderr, "picfre: token %s made; the secret above is shown this once (only its hash is kept): store it now\n", tok.ID)
	case "tokens":
		list, err := acc.Tokens(ctx, *account)
		if err != nil {
			return coded("accounts tokens", err)
		}
		enc := json.NewEncoder(e.stdout)
		for _, t := range list {
			if err := enc.Encode(t); err != nil {
				return err
			}
		}
	case "revoke":
		if err := acc.Revoke(ctx, *account, *token); err != nil {
			return coded("accounts revoke", err)
		}
		fmt.Fprintf(e.stderr, "picfre: token %s revoked\n", *token)
	}
	return nil
}
