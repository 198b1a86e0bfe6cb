package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := &progressBar{w: &b, total: 4}
	p.update(1, 0)
	p.update(4, 1)
	out := b.String()
	if !strings.Contains(out, "\r[#######                       ] 1/4 files") {
		t.Errorf("first update: %q", out)
	}
	if !strings.HasSuffix(out, "\r[##############################] 4/4 files, 1 failed\n") {
		t.Errorf("last update: %q", out)
	}
}

func TestProgressOnlyOnTerminal(t *testing.T) {
	var out, errw bytes.Buffer
	e := testEnv(nil, &out, &errw)
	e.isTerminal = true
	if code := run(t.Context(), []string{"tag", "../../testdata/samples/coffee.png"}, e); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errw.String(), "1/1 files") {
		t.Fatalf("no progress bar on a terminal: %q", errw.String())
	}
	_, errw2, _ := runCLI(t, nil, "tag", "../../testdata/samples/coffee.png")
	if strings.Contains(errw2, "files") {
		t.Fatalf("progress bar without a terminal: %q", errw2)
	}
}
