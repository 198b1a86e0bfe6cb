package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/store"
)

const creditsUsage = `usage:
  picfre credits topup   --account A --credits N --ref PAYMENT [--amount MINOR --currency CUR] [--ledger DSN]
  picfre credits reverse --ref PAYMENT --key KEY --credits N [--reason TEXT] [--ledger DSN]
  picfre credits balance --account A [--ledger DSN]
  picfre credits history --account A [--ledger DSN]
  picfre credits checkout --pack NAME --account A --success-url URL [payment flags as for serve]

The ledger DSN is sqlite:PATH or a postgres:// URL; default: ` + defaultLedgerDSN + `.
Output is JSON: one object for topup, reverse and balance, one object per
line (JSONL) for history. A top-up is idempotent by its payment reference:
the same --ref again credits nothing; with another amount it is an error.
--amount is the money paid in the currency's minor unit (cents), with
--currency its ISO 4217 code in lower case ("usd").

reverse takes back up to N credits of the top-up paid under --ref, after
its payment was refunded or disputed, once per --key (the refund's or
dispute's id). The balance never goes negative: what was already spent is
owed ("owed" in balance), the account cannot spend while it owes, and the
next top-ups pay it first.

checkout prints the URL of a Stripe Checkout Session for the pack
(picfre credits checkout -h for its flags).
`

// ledgerEntryRecord is a ledger entry as the CLI prints it.
type ledgerEntryRecord struct {
	Seq          int64      `json:"seq,omitempty"`
	Account      string     `json:"account"`
	Kind         string     `json:"kind"`
	Credits      int64      `json:"credits"`
	Time         time.Time  `json:"time"`
	Ref          string     `json:"ref,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	File         string     `json:"file,omitempty"`
	EventTime    *time.Time `json:"event_time,omitempty"`
	Task         string     `json:"task,omitempty"`
	MediaType    string     `json:"media_type,omitempty"`
	Provider     string     `json:"provider,omitempty"`
	Model        string     `json:"model,omitempty"`
	InputTokens  int64      `json:"input_tokens,omitempty"`
	OutputTokens int64      `json:"output_tokens,omitempty"`
	Amount       int64      `json:"amount,omitempty"`
	Currency     string     `json:"currency,omitempty"`
}

func entryToRecord(e metering.Entry) ledgerEntryRecord {
	r := ledgerEntryRecord{Seq: e.Seq, Account: e.Account, Kind: string(e.Kind), Credits: e.Credits, Time: e.Time, Ref: e.Ref, Reason: e.Reason,
		Amount: e.Amount, Currency: e.Currency}
	if u := e.Usage; u != nil {
		t := u.Time
		r.File, r.EventTime, r.Task, r.MediaType = u.File, &t, u.Task, u.MediaType
		r.Provider, r.Model, r.InputTokens, r.OutputTokens = u.Provider, u.Model, u.InputTokens, u.OutputTokens
	}
	return r
}

type balanceRecord struct {
	Account   string `json:"account"`
	Credits   int64  `json:"credits"`
	Held      int64  `json:"held"`
	Available int64  `json:"available"`
	Owed      int64  `json:"owed"`
}

// runCredits runs "picfre credits SUBCOMMAND [flags]": topup, balance or
// history against the ledger named by --ledger.
func runCredits(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, creditsUsage)
		return usagef("credits: missing subcommand")
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("picfre credits "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, creditsUsage) }
	ledgerDSN := fs.String("ledger", defaultLedgerDSN, "ledger DSN: sqlite:PATH or postgres://...")
	account := fs.String("account", "", "account identifier")
	var credits, amount *int64
	var ref, currency, key, reason *string
	switch sub {
	case "topup":
		credits = fs.Int64("credits", 0, "credits to add (positive integer)")
		ref = fs.String("ref", "", "payment reference; the same reference credits once")
		amount = fs.Int64("amount", 0, "money paid, in the currency's minor unit (optional)")
		currency = fs.String("currency", "", "ISO 4217 code of --amount, lower case (with --amount)")
	case "reverse":
		credits = fs.Int64("credits", 0, "credits to take back (positive integer)")
		ref = fs.String("ref", "", "payment reference of the top-up")
		key = fs.String("key", "", "refund or dispute id; the same key reverses once")
		reason = fs.String("reason", "", "short note kept with the entry")
	case "balance", "history":
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, creditsUsage)
		return nil
	default:
		fmt.Fprint(stderr, creditsUsage)
		return usagef("credits: unknown subcommand %q", sub)
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usagef("credits %s: %v", sub, err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return usagef("credits %s: unexpected argument %q", sub, fs.Arg(0))
	}
	if *account == "" && sub != "reverse" {
		fs.Usage()
		return usagef("credits %s: --account is required", sub)
	}
	if (sub == "topup" || sub == "reverse") && (*credits <= 0 || *ref == "") {
		fs.Usage()
		return usagef("credits %s: --credits must be a positive integer and --ref is required", sub)
	}
	if sub == "reverse" && (*key == "" || *account != "") {
		fs.Usage()
		return usagef("credits reverse: --key is required, and the account is the top-up's (no --account)")
	}
	db, err := store.Open(ctx, *ledgerDSN, store.Options{})
	if err != nil {
		return fmt.Errorf("credits %s: open ledger: %w", sub, err)
	}
	defer db.Close()
	l := db.Ledger()
	enc := json.NewEncoder(stdout)
	switch sub {
	case "topup":
		e, err := l.TopUp(ctx, metering.TopUp{Account: *account, Credits: *credits, PaymentRef: *ref, Amount: *amount, Currency: *currency})
		if err != nil {
			return fmt.Errorf("credits topup: %w", err)
		}
		return enc.Encode(entryToRecord(e))
	case "reverse":
		e, err := l.Reverse(ctx, metering.Reversal{PaymentRef: *ref, Key: *key, Credits: *credits, Reason: *reason})
		if err != nil {
			return fmt.Errorf("credits reverse: %w", err)
		}
		return enc.Encode(entryToRecord(e))
	case "balance":
		b, err := l.Balance(ctx, *account)
		if err != nil {
			return fmt.Errorf("credits balance: %w", err)
		}
		return enc.Encode(balanceRecord{Account: *account, Credits: b.Credits, Held: b.Held, Available: b.Available, Owed: b.Owed})
	default: // history
		h, err := l.History(ctx, *account)
		if err != nil {
			return fmt.Errorf("credits history: %w", err)
		}
		for _, e := range h {
			if err := enc.Encode(entryToRecord(e)); err != nil {
				return err
			}
		}
		return nil
	}
}
