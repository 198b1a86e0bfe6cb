package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/payments"
	"github.com/picfre/picfre/payments/stripe"
	"github.com/picfre/picfre/store"
)

// The environment variables of the payment processor.
const (
	stripeKeyEnv     = "STRIPE_SECRET_KEY"
	stripeWebhookEnv = "STRIPE_WEBHOOK_SECRET"
)

// payFlags are the payment flags of serve and credits checkout.
type payFlags struct {
	keyFile     string // --stripe-secret-key-file
	webhookFile string // --stripe-webhook-secret-file
	apiBase     string // --stripe-api
	packs       string // --packs
	packsFile   string // --packs-file
	publicURL   string // --public-url (serve only)
}

func (p *payFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.keyFile, "stripe-secret-key-file", "", "file holding the Stripe secret key (default: $"+stripeKeyEnv+"); payments are off without a key")
	fs.StringVar(&p.webhookFile, "stripe-webhook-secret-file", "", "file holding the Stripe webhook signing secrets, one a line (default: $"+stripeWebhookEnv+", comma-separated)")
	fs.StringVar(&p.apiBase, "stripe-api", "", "base URL of the Stripe API (default: Stripe's own; http://127.0.0.1:12111 for stripe-mock)")
	fs.StringVar(&p.packs, "packs", "", `credit packs on sale, "name=credits:amount:currency,..." (amount in minor units; default: starter=500:500:usd)`)
	fs.StringVar(&p.packsFile, "packs-file", "", "file holding the credit packs as JSON, [{\"name\",\"credits\",\"amount\",\"currency\"}]")
}

// secretLines reads a secret file: its non-empty lines that are not
// comments. The error never holds the file's content.
func secretLines(flagName, path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, errcode.Errorf(errcode.InvalidArgument, "%s: the file cannot be read", flagName)
	}
	var out []string
	for line := range strings.SplitSeq(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, errcode.Errorf(errcode.InvalidArgument, "%s: the file holds no secret", flagName)
	}
	return out, nil
}

// stripeSecrets returns the secret key ("" when payments are off) and
// the webhook secrets, from the files when given, else the environment.
func (p *payFlags) stripeSecrets(getenv func(string) string) (string, []string, error) {
	key := strings.TrimSpace(getenv(stripeKeyEnv))
	if p.keyFile != "" {
		lines, err := secretLines("--stripe-secret-key-file", p.keyFile)
		if err != nil {
			return "", nil, err
		}
		if len(lines) != 1 {
			return "", nil, usagef("--stripe-secret-key-file: want one key in the file, found %d lines", len(lines))
		}
		key = lines[0]
	}
	var hooks []string
	if p.webhookFile != "" {
		lines, err := secretLines("--stripe-webhook-secret-file", p.webhookFile)
		if err != nil {
			return "", nil, err
		}
		hooks = lines
	} else {
		for s := range strings.SplitSeq(getenv(stripeWebhookEnv), ",") {
			if s = strings.TrimSpace(s); s != "" {
				hooks = append(hooks, s)
			}
		}
	}
	return key, hooks, nil
}

// packList returns the packs of --packs or --packs-file, or
// payments.DefaultPacks().
func (p *payFlags) packList() ([]payments.Pack, error) {
	switch {
	case p.packs != "" && p.packsFile != "":
		return nil, usagef("--packs and --packs-file: give one of them")
	case p.packs != "":
		ps, err := payments.ParsePacks(p.packs)
		if err != nil {
			return nil, usagef("--packs: %v", err)
		}
		return ps, nil
	case p.packsFile != "":
		f, err := os.Open(p.packsFile)
		if err != nil {
			return nil, errcode.Errorf(errcode.InvalidArgument, "--packs-file: the file cannot be read")
		}
		defer f.Close()
		ps, err := payments.LoadPacks(f)
		if err != nil {
			return nil, usagef("--packs-file: %v", err)
		}
		return ps, nil
	}
	return payments.DefaultPacks(), nil
}

// processor builds the Stripe processor over db's ledger, or returns nil
// when no secret key is configured (payments off). A key without a
// webhook secret is an error: the credits of a payment would never
// arrive.
//
// exists, when not nil, tells whether a payment's account is one this
// server serves: a payment naming any other credits nothing.
func (p *payFlags) processor(e env, db *store.DB, log *slog.Logger, exists func(ctx context.Context, account string) (bool, error)) (*stripe.Processor, error) {
	packs, err := p.packList()
	if err != nil {
		return nil, err
	}
	key, hooks, err := p.stripeSecrets(e.getenv)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, nil
	}
	if len(hooks) == 0 {
		return nil, usagef("payments: a Stripe secret key is set but no webhook signing secret ($%s or --stripe-webhook-secret-file)", stripeWebhookEnv)
	}
	proc, err := stripe.New(stripe.Config{
		SecretKey: key, WebhookSecrets: hooks, Packs: packs, Ledger: db.Ledger(),
		APIBase: p.apiBase, Logger: log, AccountExists: exists,
	})
	if err != nil {
		return nil, coded("payments", err)
	}
	return proc, nil
}

// paymentsLine is serve's startup line about payments: never a secret.
func paymentsLine(proc *stripe.Processor, apiBase string) string {
	if proc == nil {
		return "picfre: payments off (no Stripe secret key: $" + stripeKeyEnv + " or --stripe-secret-key-file)"
	}
	where := "Stripe"
	if apiBase != "" {
		where = "the Stripe API at --stripe-api"
	}
	return fmt.Sprintf("picfre: payments on through %s; packs %s; webhook at /v1/payments/webhook", where, packNames(proc.Packs()))
}

const checkoutUsage = `usage:
  picfre credits checkout --pack NAME --account ID --success-url URL [--cancel-url URL] [--ledger DSN]
                          [--stripe-secret-key-file F] [--stripe-webhook-secret-file F] [--stripe-api URL]
                          [--packs LIST | --packs-file F]

checkout creates a Stripe Checkout Session selling the pack to the account
and prints its URL; the credits arrive through the webhook of a running
picfre serve once the buyer has paid. The keys and packs are read as
picfre serve reads them ($STRIPE_SECRET_KEY, $STRIPE_WEBHOOK_SECRET).
`

// runCreditsCheckout runs "picfre credits checkout".
func runCreditsCheckout(ctx context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("picfre credits checkout", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprint(e.stderr, checkoutUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	var pf payFlags
	pf.register(fs)
	ledgerDSN := fs.String("ledger", defaultLedgerDSN, "ledger DSN: sqlite:PATH or postgres://...")
	account := fs.String("account", "", "account the credits go to")
	pack := fs.String("pack", "", "name of the pack")
	success := fs.String("success-url", "", "where the buyer goes after paying (absolute http(s) URL)")
	cancel := fs.String("cancel-url", "", "where the buyer goes on cancelling (default: --success-url)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usagef("credits checkout: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("credits checkout: unexpected argument %q", fs.Arg(0))
	}
	if *account == "" || *pack == "" || *success == "" {
		fs.Usage()
		return usagef("credits checkout: --account, --pack and --success-url are required")
	}
	if *cancel == "" {
		*cancel = *success
	}
	db, err := openLedger(ctx, *ledgerDSN)
	if err != nil {
		return coded("credits checkout", err)
	}
	defer db.Close()
	proc, err := pf.processor(e, db, nil, nil)
	if err != nil {
		return err
	}
	if proc == nil {
		return usagef("credits checkout: no Stripe secret key ($%s or --stripe-secret-key-file)", stripeKeyEnv)
	}
	if _, ok := payments.FindPack(proc.Packs(), *pack); !ok {
		return usagef("credits checkout: no such pack; the packs are %s", packNames(proc.Packs()))
	}
	c, err := proc.Checkout(ctx, payments.CheckoutRequest{Account: *account, Pack: *pack, SuccessURL: *success, CancelURL: *cancel})
	if err != nil {
		return coded("credits checkout", err)
	}
	_, err = fmt.Fprintln(e.stdout, c.URL)
	return err
}

func packNames(ps []payments.Pack) string {
	names := make([]string, 0, len(ps))
	for _, k := range ps {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}
