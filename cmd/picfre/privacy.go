package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/strip"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/store"
)

const privacyUsage = `usage:
  picfre privacy strip [--drop-orientation] [--drop-icc] IN OUT
  picfre privacy hash-email [--rules google-2025|gmail-canonical-1] ADDRESS
  picfre privacy contact --account A [--email E] [--phone P] [--country CC]
        [--consent granted|denied|unspecified] [--ad-user-data S] [--ad-personalization S]
        [--eea=true|false] [--opt-out | --opt-in] [--birth-date YYYY-MM-DD] [--ledger DSN]
  picfre privacy export --account A [--out FILE] [--usage-months N] [--topup-years N] [--ledger DSN]
  picfre privacy erase --account A [--usage-months N] [--topup-years N] [--ledger DSN]
  picfre privacy customer-match [--out FILE] [--removals FILE] [--allow-without-consent-outside-eea] [--ledger DSN]

strip removes EXIF, XMP, IPTC, comments and text chunks from a JPEG, PNG or
WebP image without re-encoding it (OUT "-" writes to stdout); the ICC
profile and the orientation are kept unless dropped. A report goes to
stderr.

hash-email prints the customer-match SHA-256 of an address and the version
of the normalization rules.

contact records or corrects what is kept for customer matching: only the
hashes of the address and number, the consent signals, the opt-out, and
the age gate's answer (a date of birth only while the person is under 13,
or the country's minimum).

Changing or deleting the e-mail address or phone number queues the old
hash for removal from customer lists.

export prints everything held about an account as versioned JSON,
including the attempts that were not charged; erase deletes what may be
deleted and reports what the law keeps, and why. After erase the usage
records and their idempotency keys are gone: running the same files again
is billed again. Both state how long each kind of record is kept; give
them the --usage-months and --topup-years the retention sweep runs with
(defaults: three calendar months; top-ups kept with no end date).

customer-match writes the Customer Match CSV of contacts to add (--out,
default stdout) and, with --removals, the CSV of contacts to remove
(opted out, under age, consent denied, erased, replaced addresses and
numbers). Only contacts who granted both consent signals are added;
--allow-without-consent-outside-eea also adds contacts outside the EEA
whose consent was never asked (only where the law and the ad platform's
terms allow it). Queued hashes are forgotten once written to --removals.

The ledger DSN is sqlite:PATH or a postgres:// URL; default: ` + defaultLedgerDSN + `.
`

// runPrivacy runs "picfre privacy SUBCOMMAND [flags]".
func runPrivacy(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, privacyUsage)
		return usagef("privacy: missing subcommand")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "strip":
		return privacyStrip(ctx, rest, e)
	case "hash-email":
		return privacyHashEmail(rest, e)
	case "contact", "export", "erase", "customer-match":
		return privacyStored(ctx, sub, rest, e)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, privacyUsage)
		return nil
	}
	fmt.Fprint(e.stderr, privacyUsage)
	return usagef("privacy: unknown subcommand %q", sub)
}

func privacyFlags(sub string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("picfre privacy "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, privacyUsage) }
	return fs
}

func parseFlags(fs *flag.FlagSet, sub string, args []string, interspersed bool) ([]string, error) {
	var pos []string
	var err error
	if interspersed {
		pos, err = parseInterspersed(fs, args)
	} else {
		err = fs.Parse(args)
		pos = fs.Args()
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil, err
	}
	if err != nil {
		return nil, usagef("privacy %s: %v", sub, err)
	}
	return pos, nil
}

func privacyStrip(ctx context.Context, args []string, e env) error {
	fs := privacyFlags("strip", e)
	dropOrientation := fs.Bool("drop-orientation", false, "drop the EXIF orientation too (default: keep it in a minimal EXIF block)")
	dropICC := fs.Bool("drop-icc", false, "drop the ICC colour profile")
	pos, err := parseFlags(fs, "strip", args, true)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("privacy strip: want IN and OUT")
	}
	in, out := pos[0], pos[1]
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("privacy strip: %w", err)
	}
	defer f.Close()
	clean, rep, err := strip.Read(ctx, f, strip.Options{DropOrientation: *dropOrientation, DropICC: *dropICC})
	if err != nil {
		return fmt.Errorf("privacy strip %s: %w", filepath.Base(in), err)
	}
	if out == "-" {
		if _, err := e.stdout.Write(clean); err != nil {
			return fmt.Errorf("privacy strip: %w", err)
		}
	} else if err := writeFileAtomic(out, clean); err != nil {
		return fmt.Errorf("privacy strip: %w", err)
	}
	removed := "nothing"
	if len(rep.Removed) > 0 {
		removed = strings.Join(rep.Removed, ", ")
	}
	fmt.Fprintf(e.stderr, "privacy strip: %s %s, %d → %d bytes; removed: %s", filepath.Base(in), rep.Format,
		rep.BytesBefore, rep.BytesAfter, removed)
	if rep.KeptOrientation != 0 {
		fmt.Fprintf(e.stderr, "; kept orientation %d", rep.KeptOrientation)
	}
	fmt.Fprintln(e.stderr)
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, so that a failure never leaves a half-written file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func privacyHashEmail(args []string, e env) error {
	fs := privacyFlags("hash-email", e)
	rules := fs.String("rules", string(custmatch.DefaultEmailRules), "normalization rules: google-2025 or gmail-canonical-1")
	pos, err := parseFlags(fs, "hash-email", args, true)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("privacy hash-email: want one ADDRESS")
	}
	h, err := custmatch.EmailRules(*rules).Hash(pos[0])
	switch {
	case errors.Is(err, custmatch.ErrUnknownEmailRules):
		return usagef("privacy hash-email: unknown --rules %q", *rules)
	case err != nil:
		return fmt.Errorf("privacy hash-email: %w", err)
	}
	return json.NewEncoder(e.stdout).Encode(struct {
		SHA256 string `json:"email_sha256"`
		Rules  string `json:"rules"`
	}{h, *rules})
}

func privacyStored(ctx context.Context, sub string, args []string, e env) error {
	fs := privacyFlags(sub, e)
	ledgerDSN := fs.String("ledger", defaultLedgerDSN, "ledger DSN: sqlite:PATH or postgres://...")
	var account, out, removals *string
	var allowWithoutConsent *bool
	var corr privacy.Correction
	policy := retention.Policy{UsageMonths: retention.DefaultUsageMonths}
	var birth, consent, aud, apers string
	var eea, optOut, optIn bool
	switch sub {
	case "contact":
		account = fs.String("account", "", "account identifier")
		fs.Func("email", "e-mail address (hashed at once; empty deletes)", func(s string) error { corr.Email = &s; return nil })
		fs.Func("phone", "phone number (hashed at once; empty deletes)", func(s string) error { corr.Phone = &s; return nil })
		fs.Func("country", "ISO 3166-1 alpha-2 country code", func(s string) error { corr.Country = &s; return nil })
		fs.StringVar(&consent, "consent", "", "both consent signals: granted, denied or unspecified")
		fs.StringVar(&aud, "ad-user-data", "", "the ad_user_data consent signal")
		fs.StringVar(&apers, "ad-personalization", "", "the ad_personalization consent signal")
		fs.BoolVar(&eea, "eea", false, "the person is where consent is required (EEA, UK, Switzerland)")
		fs.BoolVar(&optOut, "opt-out", false, "opt out of customer matching")
		fs.BoolVar(&optIn, "opt-in", false, "withdraw an opt-out")
		fs.StringVar(&birth, "birth-date", "", "date of birth, YYYY-MM-DD (checked by the age gate; kept only while under age; empty forgets it)")
	case "export":
		account = fs.String("account", "", "account identifier")
		out = fs.String("out", "", "write the export to FILE (default stdout)")
		policyFlags(fs, &policy)
	case "erase":
		account = fs.String("account", "", "account identifier")
		policyFlags(fs, &policy)
	case "customer-match":
		out = fs.String("out", "", "write the additions CSV to FILE (default stdout)")
		removals = fs.String("removals", "", "write the removals CSV to FILE")
		allowWithoutConsent = fs.Bool("allow-without-consent-outside-eea", false,
			"also add contacts outside the EEA whose consent was never asked (default: granted consent required everywhere)")
	}
	pos, err := parseFlags(fs, sub, args, false)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("privacy %s: unexpected argument %q", sub, pos[0])
	}
	if account != nil && *account == "" {
		return usagef("privacy %s: --account is required", sub)
	}
	if sub == "contact" {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if err := contactCorrection(&corr, set, consent, aud, apers, eea, optOut, optIn, birth); err != nil {
			return err
		}
	}
	if policy.UsageMonths <= 0 || policy.Validate() != nil {
		return usagef("privacy %s: --usage-months must be positive and --topup-years 0 (no end date) or at least %d", sub, retention.LegalTopUpYears)
	}
	db, err := store.Open(ctx, *ledgerDSN, store.Options{})
	if err != nil {
		return fmt.Errorf("privacy %s: open ledger: %w", sub, err)
	}
	defer db.Close()
	// The ledger and the contact store over the one database.
	s := &privacy.Subjects{Contacts: db.Contacts(), Ledger: db.Ledger(), Retention: policy}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	switch sub {
	case "contact":
		c, err := s.Correct(ctx, *account, corr)
		if err != nil {
			return fmt.Errorf("privacy contact: %w", err)
		}
		return enc.Encode(c)
	case "export":
		x, err := s.Export(ctx, *account)
		if err != nil {
			return fmt.Errorf("privacy export: %w", err)
		}
		if *out == "" {
			return enc.Encode(x)
		}
		b, err := json.MarshalIndent(x, "", "  ")
		if err != nil {
			return err
		}
		if err := writeFileAtomic(*out, append(b, '\n')); err != nil {
			return fmt.Errorf("privacy export: %w", err)
		}
		return nil
	case "erase":
		r, err := s.Erase(ctx, *account)
		if err != nil {
			return fmt.Errorf("privacy erase: %w", err)
		}
		return enc.Encode(r)
	default: // customer-match
		up, ids, err := s.CustomerMatch(ctx, custmatch.Builder{AllowWithoutConsentOutsideEEA: *allowWithoutConsent})
		if err != nil {
			return fmt.Errorf("privacy customer-match: %w", err)
		}
		var adds bytes.Buffer
		if err := custmatch.WriteCSV(&adds, up.Adds); err != nil {
			return err
		}
		if *out == "" {
			if _, err := e.stdout.Write(adds.Bytes()); err != nil {
				return err
			}
		} else if err := writeFileAtomic(*out, adds.Bytes()); err != nil {
			return fmt.Errorf("privacy customer-match: %w", err)
		}
		if *removals != "" {
			var rm bytes.Buffer
			if err := custmatch.WriteCSV(&rm, up.Removes); err != nil {
				return err
			}
			if err := writeFileAtomic(*removals, rm.Bytes()); err != nil {
				return fmt.Errorf("privacy customer-match: %w", err)
			}
			// The removals file now holds the queued hashes: forget
			// them here.
			if err := s.AckRemovals(ctx, ids); err != nil {
				return fmt.Errorf("privacy customer-match: %w", err)
			}
		}
		fmt.Fprintf(e.stderr, "privacy customer-match: %d to add, %d to remove, %d excluded (rules %s)\n",
			len(up.Adds), len(up.Removes), len(up.Excluded), up.EmailRules)
		if *removals == "" && len(up.Removes) > 0 {
			fmt.Fprintln(e.stderr, "privacy customer-match: removals not written; pass --removals FILE to upload them")
		}
		return nil
	}
}

// policyFlags adds the retention sweep's period flags, for the statement
// of how long records are kept.
func policyFlags(fs *flag.FlagSet, p *retention.Policy) {
	fs.IntVar(&p.UsageMonths, "usage-months", retention.DefaultUsageMonths, "calendar months usage records are kept (as the retention sweep runs)")
	fs.IntVar(&p.TopUpYears, "topup-years", 0, fmt.Sprintf("top-ups are kept until the end of the Nth year after the year of payment (0: no end date; at least %d)", retention.LegalTopUpYears))
}

// contactCorrection fills in the consent, opt-out and birth-date parts of
// a correction from the flags that were set.
func contactCorrection(c *privacy.Correction, set map[string]bool, consent, aud, apers string, eea, optOut, optIn bool, birth string) error {
	parse := func(flagName, v string) (*custmatch.ConsentState, error) {
		st, err := custmatch.ParseConsentState(v)
		if err != nil {
			return nil, usagef("privacy contact: --%s must be granted, denied or unspecified", flagName)
		}
		return &st, nil
	}
	var err error
	if set["consent"] {
		if c.AdUserData, err = parse("consent", consent); err != nil {
			return err
		}
		c.AdPersonalization = c.AdUserData
	}
	if set["ad-user-data"] {
		if c.AdUserData, err = parse("ad-user-data", aud); err != nil {
			return err
		}
	}
	if set["ad-personalization"] {
		if c.AdPersonalization, err = parse("ad-personalization", apers); err != nil {
			return err
		}
	}
	if set["eea"] {
		c.EEA = &eea
	}
	if optOut && optIn {
		return usagef("privacy contact: --opt-out and --opt-in exclude each other")
	}
	if set["opt-out"] {
		c.OptedOut = &optOut
	}
	if set["opt-in"] {
		v := !optIn
		c.OptedOut = &v
	}
	if set["birth-date"] {
		var t time.Time
		if birth != "" {
			if t, err = time.Parse(time.DateOnly, birth); err != nil {
				return usagef("privacy contact: --birth-date must be YYYY-MM-DD")
			}
		}
		c.BirthDate = &t
	}
	return nil
}
