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
  picfre credits topup   --account A --credits N --ref PAYMENT [--ledger DSN]
  picfre credits balance --account A [--ledger DSN]
  picfre credits history --account A [--ledger DSN]
  picfre credits checkout --pack NAME --account A --success-url URL [payment flags as for serve]

The ledger DSN is sqlite:PATH or a postgres:// URL; default: ` + defaultLedgerDSN + `.
Output is JSON: one object for topup and balance, one object per line
(JSONL) for history. A top-up is idempotent by its payment reference: the
same --ref again credits nothing; with another amount it is an error.
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
}

func entryToRecord(e metering.Entry) ledgerEntryRecord {
	r := ledgerEntryRecord{Seq: e.Seq, Account: e.Account, Kind: string(e.Kind), Credits: e.Credits, Time: e.Time, Ref: e.Ref, Reason: e.Reason}
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
	Owed      int64  `json:"owed,omitempty"`
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
	var credits *int64
	var ref *string
	switch sub {
	case "topup":
		credits = fs.Int64("credits", 0, "credits to add (positive integer)")
		ref = fs.String("ref", "", "payment reference; the same reference credits once")
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
	if *account == "" {
		fs.Usage()
		return usagef("credits %s: --account is required", sub)
	}
	if sub == "topup" && (*credits <= 0 || *ref == "") {
		fs.Usage()
		return usagef("credits topup: --credits must be a positive integer and --ref is required")
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
		e, err := l.TopUp(ctx, metering.TopUp{Account: *account, Credits: *credits, PaymentRef: *ref})
		if err != nil {
			return fmt.Errorf("credits topup: %w", err)
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
