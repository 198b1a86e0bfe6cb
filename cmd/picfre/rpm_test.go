package main

import (
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/providertest"
)

// TestRPMFlag: --rpm N paces the requests to N a minute from the first
// one, in tag and in the worker; a negative N is a usage error that names
// the flag, in every command that builds a provider.
func TestRPMFlag(t *testing.T) {
	for _, args := range [][]string{
		{"tag", "--rpm", "-1", "x.jpg"},
		{"prompt", "--rpm", "-5", "x.jpg"},
		{"worker", "--rpm", "-1", "--queue", "sqlite:" + t.TempDir() + "/q.db"},
	} {
		_, errw, code := runCLI(t, nil, args...)
		if code != exitUsage || !strings.Contains(errw, "--rpm must not be negative") {
			t.Errorf("%q: exit %d, stderr %q; want a usage error about --rpm", args, code, errw)
		}
	}
	if _, errw, code := runCLI(t, nil, "tag", "--rpm", "many", "x.jpg"); code != exitUsage || !strings.Contains(errw, "rpm") {
		t.Errorf("--rpm many: exit %d, stderr %q", code, errw)
	}
	_, errw, _ := runCLI(t, nil, "tag", "--help")
	if !strings.Contains(errw, "-rpm") {
		t.Errorf("tag --help does not document --rpm:\n%s", errw)
	}
	_, errw, _ = runCLI(t, nil, "worker", "--help")
	if !strings.Contains(errw, "-rpm") {
		t.Errorf("worker --help does not document --rpm:\n%s", errw)
	}

	// Effect: 24 files are 3 requests of 8. At --rpm 60 they are a
	// second apart from the first one (the server has no limit and
	// answers at once); without the flag they go together.
	gaps := func(extra ...string) time.Duration {
		t.Helper()
		var rec wiretest.Arrivals
		s := wiretest.New(t, wiretest.OpenAI, wiretest.Options{Respond: rec.Respond})
		dir := t.TempDir()
		writeDistinctPNGs(t, dir, 24)
		args := append([]string{"tag", "--provider", "openai", "--base-url", s.BaseURL(), "--api-key", s.Secret(),
			"--concurrency", "3", dir}, extra...)
		out, errw, code := runCLI(t, nil, args...)
		if code != exitOK {
			t.Fatalf("%q: exit %d: %s", extra, code, errw)
		}
		for _, r := range decodeJSONL(t, out) {
			if r.Error != nil {
				t.Fatalf("%s: %v", r.File, r.Error)
			}
		}
		arrivals := rec.Times()
		if len(arrivals) != 3 {
			t.Fatalf("%q: %d requests, want 3 of 8 files", extra, len(arrivals))
		}
		return min(arrivals[1].Sub(arrivals[0]), arrivals[2].Sub(arrivals[1]))
	}
	if g := gaps("--rpm", "60"); g < 900*time.Millisecond {
		t.Errorf("--rpm 60: requests %s apart, want a second", g)
	}
	if g := gaps(); g > 900*time.Millisecond {
		t.Errorf("no --rpm: requests %s apart, want no pacing", g)
	}
}

// TestRateLimitsNeverFailAFile: a server that answers every request with a
// 429 for its first 12 requests (more than the 6 attempts a request had)
// and then admits them; every file is tagged.
func TestRateLimitsNeverFailAFile(t *testing.T) {
	s := wiretest.New(t, wiretest.OpenAI, wiretest.Options{})
	for range 12 {
		s.Enqueue(providertest.Outcome{Fault: provider.RateLimited, RetryAfter: 10 * time.Millisecond})
	}
	dir := t.TempDir()
	writeDistinctPNGs(t, dir, 8)
	out, errw, code := runCLI(t, nil, "tag", "--provider", "openai", "--base-url", s.BaseURL(), "--api-key", s.Secret(), dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	recs := decodeJSONL(t, out)
	for _, r := range recs {
		if r.Error != nil {
			t.Errorf("%s: %v", r.File, r.Error)
		}
	}
	if len(recs) != 8 || len(s.Wire()) != 13 {
		t.Fatalf("%d records after %d requests; want 8 after 13", len(recs), len(s.Wire()))
	}
}
