package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // some file or operation failed
	exitUsage  = 2 // the command line is wrong
)

// errUsage marks a command-line mistake: the message is printed with the
// usage hint and the exit status is 2.
var errUsage = errors.New("usage")

// errSomeFailed reports that a batch finished with failed files, which were
// already reported in the output.
var errSomeFailed = errors.New("some files failed")

// env is how the command reads its environment, injectable in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// isTerminal reports whether stderr is a terminal (for the progress bar).
	isTerminal bool
}

// memoryLimit is the Go runtime's soft memory limit for this program
// unless GOMEMLIMIT sets another. The pipeline's decode budget (768 MiB by
// default) bounds the images being decoded; the limit makes the garbage
// collector keep up with the rest (scaling and encoding buffers, the
// garbage of finished files) even when the machine is loaded and the
// collector's pacing lags, so the process stays under 1 GB.
const memoryLimit = 850 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTerminal: stderrIsTerminal()}
	os.Exit(run(ctx, os.Args[1:], e))
}

const usageText = `picfre — titles, descriptions, keywords and reverse prompts for stock media

Usage:
  picfre tag [flags] PATH...        tag files or folders (recursive)
  picfre prompt [flags] PATH...     write reverse prompts
  picfre credits topup|balance|history [flags]
  picfre retention sweep|hold [flags]
  picfre privacy strip|hash-email|contact|export|erase|customer-match [flags]
  picfre jobs submit|status|results|cancel|delete|purge [flags]
                                    the online service's jobs, worked by:
  picfre worker [flags]             work queued jobs until SIGINT or SIGTERM
  picfre serve [flags]              the HTTP API, the web app, the workers and the
                                    sweeper in one process (http://127.0.0.1:8080)
  picfre accounts create|token|tokens|revoke [flags]
                                    accounts and API tokens of serve --auth tokens

Run "picfre COMMAND -h" for the flags of a command.
`

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usageText)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "tag":
		err = runTag(ctx, "tag", rest, e)
	case "prompt":
		err = runTag(ctx, "prompt", rest, e)
	case "credits":
		if len(rest) > 0 && rest[0] == "checkout" {
			err = runCreditsCheckout(ctx, rest[1:], e)
		} else {
			err = runCredits(ctx, rest, e.stdout, e.stderr)
		}
	case "retention":
		err = runRetention(ctx, rest, e)
	case "privacy":
		err = runPrivacy(ctx, rest, e)
	case "jobs":
		err = runJobs(ctx, rest, e)
	case "worker":
		err = runWorker(ctx, rest, e)
	case "serve":
		err = runServe(ctx, rest, e)
	case "accounts":
		err = runAccounts(ctx, rest, e)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usageText)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "picfre: unknown command %q\n\n%s", cmd, usageText)
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errSomeFailed):
		return exitFailed
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "picfre: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "picfre: %v\n", err)
		return exitFailed
	}
}

// usagef returns a usage error with a message.
func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}
