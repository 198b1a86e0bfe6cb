package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

// progressBar draws "[#####     ] 12/40 files, 1 failed" on one terminal
// line, redrawn in place.
type progressBar struct {
	w     io.Writer
	total int
}

func (p *progressBar) update(done, failed int) {
	const width = 30
	filled := 0
	if p.total > 0 {
		filled = width * done / p.total
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d files", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, p.total)
	if failed > 0 {
		fmt.Fprintf(p.w, ", %d failed", failed)
	}
	if done == p.total {
		fmt.Fprintln(p.w)
	}
}
