package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/internal/vector"
	"github.com/picfre/picfre/stock"
)

// tagFlags are the flags shared by tag and prompt.
type tagFlags struct {
	provider, model, baseURL, apiKey string
	format, out                      string
	concurrency                      int
	rpm                              int
	lang, keywords                   string
	maxKeywords                      int
	context                          string
	ledger, account                  string
	price                            int64
	agencies, require, exclude       listFlag
	fallback                         listFlag
	write                            string
	singleWord, ascii                bool
	estimate                         bool
	generator, secondLang            string
	pricePerMinute                   int64
	maxCredits                       int64
	maxDuration                      time.Duration
	fileTimeout                      time.Duration
	// rateLimitWait is RetryOptions.MaxRateLimitWait, set for the
	// providers of a --fallback chain; not a flag.
	rateLimitWait time.Duration
}

func (f *tagFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.provider, "provider", "", "AI provider: local, openai, gemini, anthropic or ollama (default: the first with an API key in the environment, else local)")
	fs.Var(&f.fallback, "fallback", "provider to use when the previous one is out of quota, rate limited or down (repeatable): NAME or NAME=BASE_URL; keys from the environment")
	fs.StringVar(&f.model, "model", "", "model name (default: the provider's)")
	fs.StringVar(&f.baseURL, "base-url", "", "provider base URL (OpenAI-compatible: http://host/v1; Gemini and Anthropic: the host root)")
	fs.StringVar(&f.apiKey, "api-key", "", "API key (default: OPENAI_API_KEY, GEMINI_API_KEY or GOOGLE_API_KEY, ANTHROPIC_API_KEY)")
	fs.StringVar(&f.format, "format", "jsonl", "output format: jsonl, json or csv")
	fs.StringVar(&f.out, "out", "", "write output to FILE instead of stdout")
	fs.IntVar(&f.concurrency, "concurrency", 4, "requests in flight at once")
	fs.IntVar(&f.rpm, "rpm", 0, "requests per minute your provider account allows: requests are paced to it from the first one (0: learnt from the provider's rate-limit answers); a rate limit never fails a file, it is waited out")
	fs.StringVar(&f.lang, "lang", "en", "language of the output, as a code such as en or de")
	fs.StringVar(&f.keywords, "keywords", "", "keyword count range MIN-MAX, e.g. 10-49")
	fs.IntVar(&f.maxKeywords, "max-keywords", 0, "at most this many keywords (same as --keywords 10-N)")
	fs.StringVar(&f.context, "context", "", "your own note about the files, sent to the provider (e.g. \"wedding, May 2025\")")
	fs.StringVar(&f.ledger, "ledger", "", "credit ledger: sqlite:PATH or a postgres:// URL (with --account)")
	fs.StringVar(&f.account, "account", "", "account to bill in the ledger")
	fs.Var(&f.agencies, "agency", "stock agency whose rules apply (repeatable): adobe, shutterstock, getty, freepik, vecteezy, dreamstime, pond5, envato, depositphotos, 123rf; with --format csv each gets its upload CSV")
	fs.Var(&f.require, "require", "keywords that must come first (repeatable, or comma-separated)")
	fs.Var(&f.exclude, "exclude", "keywords that must not appear (repeatable, or comma-separated)")
	fs.BoolVar(&f.singleWord, "single-word", false, "single-word keywords only")
	fs.BoolVar(&f.ascii, "ascii", false, "English letters only (accents folded)")
	fs.StringVar(&f.write, "write", "", "store metadata with the files: xmp (into JPEGs, sidecars for others) or sidecar (FILE.xmp)")
	fs.BoolVar(&f.estimate, "estimate", false, "print the expected input tokens per file and in total, without sending anything")
	fs.StringVar(&f.secondLang, "second-lang", "", "also give the keywords in this language (a code such as de)")
	fs.StringVar(&f.generator, "generator", "", "prompt: write for midjourney, sd, sdxl, flux, dalle or ideogram")
	fs.Int64Var(&f.pricePerMinute, "price-per-minute", 0, "extra credits per started minute of video or audio, with --ledger")
	fs.Int64Var(&f.maxCredits, "max-credits", picfre.DefaultMaxCredits, "most credits one file may cost, with --ledger; a dearer file fails with too_large before anything is held; 0: no ceiling")
	fs.DurationVar(&f.maxDuration, "max-duration", picfre.DefaultMaxDuration, "longest video or audio accepted, measured from its packets (not its header); a longer one fails with too_large")
	fs.Int64Var(&f.price, "price", 1, "credits charged per file with --ledger")
	fs.DurationVar(&f.fileTimeout, "file-timeout", picfre.DefaultFileTimeout, "time limit of each file, e.g. 90s or 5m; a file out of time fails with deadline_exceeded and the run goes on; 0: no limit")
}

// keywordRange parses --keywords / --max-keywords.
func (f *tagFlags) keywordRange() (lo, hi int, err error) {
	if f.keywords != "" {
		a, b, ok := strings.Cut(f.keywords, "-")
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi, err2 := strconv.Atoi(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil || lo < 1 || hi < lo {
			return 0, 0, usagef("--keywords wants MIN-MAX with 1 <= MIN <= MAX, got %q", f.keywords)
		}
		return lo, hi, nil
	}
	if f.maxKeywords < 0 {
		return 0, 0, usagef("--max-keywords must be positive")
	}
	if f.maxKeywords > 0 {
		return min(10, f.maxKeywords), f.maxKeywords, nil
	}
	return 0, 0, nil
}

// options are the request options the flags ask for (without the
// agency), for the task and the keyword range lo-hi.
func (f *tagFlags) options(task picfre.Task, lo, hi int) picfre.Options {
	opts := picfre.Options{
		Task: task, Language: f.lang, MinKeywords: lo, MaxKeywords: hi,
		Context: f.context, Account: f.account, Concurrency: f.concurrency,
		Require: f.require, Exclude: f.exclude, SingleWord: f.singleWord, ASCIIOnly: f.ascii,
		Generator: f.generator, SecondLanguage: f.secondLang,
		FileTimeout: f.fileTimeout,
	}
	if f.fileTimeout <= 0 {
		opts.FileTimeout = -1 // no limit
	}
	return opts
}

// registerSome registers on fs only the named flags of tag, with tag's
// defaults and help text, bound to f: the commands that share some of
// tag's flags (worker: the provider; jobs submit: the request options)
// spell and document them exactly as tag does.
func registerSome(fs *flag.FlagSet, f *tagFlags, names ...string) {
	all := flag.NewFlagSet("tag", flag.ContinueOnError)
	f.register(all)
	for _, name := range names {
		fl := all.Lookup(name)
		fs.Var(fl.Value, fl.Name, fl.Usage)
	}
}

func runTag(ctx context.Context, cmd string, args []string, e env) error {
	var f tagFlags
	fs := newFlagSet(cmd, cmd+" [flags] PATH...", e.stderr)
	f.register(fs)
	paths, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("%s needs at least one file or folder", cmd)
	}
	lo, hi, err := f.keywordRange()
	if err != nil {
		return err
	}
	if f.concurrency < 1 {
		return usagef("--concurrency must be at least 1")
	}
	if (f.ledger == "") != (f.account == "") {
		return usagef("--ledger and --account go together")
	}
	prov, err := newProvider(f, e.getenv)
	if err != nil {
		return err
	}
	// --concurrency N means N provider requests in flight, across the run.
	if f.maxCredits < 0 || f.maxDuration <= 0 {
		return usagef("--max-credits must not be negative and --max-duration must be positive")
	}
	cfg := picfre.Config{MaxRequests: f.concurrency, MaxCredits: f.maxCredits, MaxDuration: f.maxDuration}
	if f.maxCredits == 0 {
		cfg.MaxCredits = -1 // no ceiling
	}
	if f.ledger != "" {
		if f.price < 0 || f.pricePerMinute < 0 {
			return usagef("--price and --price-per-minute must not be negative")
		}
		closer, err := configureLedger(ctx, &cfg, f.ledger, f.price, f.pricePerMinute)
		if err != nil {
			return err
		}
		defer closer.Close()
	}
	files := expandPaths(paths)
	if f.write != "" {
		// Temporary files of a run killed while writing (SIGKILL during
		// --write) are removed before this run writes beside them.
		cleanStaleTemps(files, time.Now())
	}
	var profiles []*stock.Profile
	for _, name := range f.agencies {
		p, err := stock.Lookup(name)
		if err != nil {
			return usagef("--agency: %v", err)
		}
		profiles = append(profiles, p)
	}
	if f.write != "" && f.write != "xmp" && f.write != "sidecar" {
		return usagef("--write wants xmp or sidecar, got %q", f.write)
	}
	if f.generator != "" && cmd != "prompt" {
		return usagef("--generator goes with picfre prompt")
	}
	if f.write != "" && cmd == "prompt" {
		return usagef("--write stores metadata; prompt has none to store")
	}
	task := picfre.TaskMetadata
	if cmd == "prompt" {
		task = picfre.TaskPrompt
	}
	opts := f.options(task, lo, hi)
	if len(profiles) > 0 {
		// The first agency shapes the request; each agency's CSV is then
		// normalized to that agency's own rules.
		opts.Agency = profiles[0].Name
	}
	pl := picfre.New(prov, cfg)
	if f.estimate {
		return runEstimate(ctx, pl, files, opts, e)
	}
	var emit func(*picfre.Result) error
	var closeOut func() error
	if f.format == "csv" && len(profiles) > 0 {
		if cmd == "prompt" {
			return usagef("agency CSVs hold metadata: use tag, or --format jsonl")
		}
		rules := stock.Rules{MinKeywords: lo, MaxKeywords: hi, Required: f.require, Excluded: f.exclude,
			SingleWord: f.singleWord, ASCIIOnly: f.ascii, Lowercase: true, Language: f.lang}
		ao, err := newAgencyOutput(profiles, rules, f.out, e.stdout)
		if err != nil {
			return err
		}
		emit = func(r *picfre.Result) error {
			if r.Err != nil {
				fmt.Fprintf(e.stderr, "picfre: %s: %s: %v\n", picfre.EscapeName(r.File), errcode.Of(r.Err), r.Err)
			}
			return ao.Write(r)
		}
		closeOut = ao.Close
	} else {
		var out io.Writer = e.stdout
		if f.out != "" {
			file, err := os.Create(f.out)
			if err != nil {
				return err
			}
			defer file.Close()
			out = file
		}
		rw, err := newResultWriter(f.format, out)
		if err != nil {
			return err
		}
		emit = func(r *picfre.Result) error { return rw.Write(toRecord(r)) }
		closeOut = rw.Close
	}
	if e.isTerminal {
		bar := &progressBar{w: e.stderr, total: len(files)}
		opts.Progress = func(p picfre.Progress) { bar.update(p.Done, p.Failed) }
	}
	failed := 0
	media := mediaFiles(files)
	if f.write != "" {
		// A file whose metadata could not be written is refused before
		// it is sent, so that it is never charged.
		media = func(yield func(picfre.Media) bool) {
			for m := range mediaFiles(files) {
				if !yield(checkedMedia(m, f.write, m.Name, f.lang)) {
					return
				}
			}
		}
	}
	err = pl.TagAll(ctx, media, opts, func(r *picfre.Result) error {
		if r.Err == nil && f.write != "" {
			if werr := writeMetadata(f.write, r, f.lang); werr != nil {
				r.Err = &writeError{err: werr}
			}
		}
		if r.Err != nil {
			failed++
		}
		return emit(r)
	})
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "picfre: %d of %d files failed\n", failed, len(files))
		return errSomeFailed
	}
	if len(files) == 0 {
		fmt.Fprintln(e.stderr, "picfre: no media files found")
	}
	return nil
}

func mediaFiles(files []entry) func(func(picfre.Media) bool) {
	return func(yield func(picfre.Media) bool) {
		for f := range slices.Values(files) {
			if !yield(entryMedia(f)) {
				return
			}
		}
	}
}

// entryMedia is the Media of a listed entry: one that fails with the
// entry's error, if it has one, else mediaFile.
func entryMedia(f entry) picfre.Media {
	if f.err != nil {
		return picfre.Media{Name: f.path, Open: failing(f.err)}
	}
	return mediaFile(f.path)
}

// runEstimate prints one JSON line per file with its expected input
// tokens, and the total on stderr. Nothing is sent or charged.
func runEstimate(ctx context.Context, pl *picfre.Pipeline, files []entry, opts picfre.Options, e env) error {
	enc := json.NewEncoder(e.stdout)
	var total, failed int
	for _, f := range files {
		est, err := pl.Estimate(ctx, entryMedia(f), opts)
		if err != nil {
			failed++
			if err := enc.Encode(&picfre.Result{File: f.path, Err: err}); err != nil {
				return err
			}
			continue
		}
		total += est.InputTokens
		est.File = picfre.EscapeName(est.File)
		if err := enc.Encode(est); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stderr, "picfre: about %d input tokens for %d files (%d could not be read)\n", total, len(files)-failed, failed)
	if failed > 0 {
		return errSomeFailed
	}
	return nil
}

// mediaFile is the Media for a path. EPS and AI files are tagged through
// the JPEG preview agencies require beside them; the result still names
// the vector file.
func mediaFile(path string) picfre.Media {
	if !vector.IsSource(path) {
		return picfre.File(path)
	}
	preview, ok := vector.FindPreview(path)
	if !ok {
		return picfre.Media{Name: path, Open: func() (io.ReadCloser, error) {
			return nil, vector.ErrNoPreview
		}}
	}
	m := picfre.File(preview)
	m.Name = path
	return m
}
