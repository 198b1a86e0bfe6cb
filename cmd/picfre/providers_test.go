package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/providertest"
)

var kinds = []wiretest.Kind{wiretest.OpenAI, wiretest.Gemini, wiretest.Anthropic}

// TestTagThroughEachProvider tags the samples through each real driver and
// an in-process server speaking that provider's wire protocol.
func TestTagThroughEachProvider(t *testing.T) {
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			s := wiretest.New(t, kind, wiretest.Options{})
			out, errw, code := runCLI(t, nil, "tag", "--provider", string(kind), "--base-url", s.BaseURL(),
				"--api-key", s.Secret(), "../../testdata/samples")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errw)
			}
			recs := decodeJSONL(t, out)
			if len(recs) != 8 {
				t.Fatalf("%d records, want 8", len(recs))
			}
			for _, r := range recs {
				if r.Error != nil || r.Title == "" || len(r.Keywords) < 8 {
					t.Errorf("%s: %+v", r.File, r)
				}
				if r.Usage == nil || r.Usage.Provider != string(kind) || r.Usage.InputTokens == 0 || r.Usage.Model == "" {
					t.Errorf("%s: usage %+v", r.File, r.Usage)
				}
			}
			// The drivers pack several files into one request.
			if s.Served() >= 8 {
				t.Errorf("%d requests for 8 files: no packing", s.Served())
			}
		})
	}
}

func TestKeyFromEnvironmentPicksProvider(t *testing.T) {
	s := wiretest.NewGemini(t)
	out, errw, code := runCLI(t, map[string]string{"GOOGLE_API_KEY": s.Secret()}, "tag", "--base-url", s.BaseURL(), "../../testdata/samples/coffee.png")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	if r := decodeJSONL(t, out)[0]; r.Usage.Provider != "gemini" {
		t.Fatalf("provider %q, want gemini from GOOGLE_API_KEY", r.Usage.Provider)
	}
}

// TestNothingIdentifyingOnTheWire puts GPS coordinates, a camera serial
// number, an artist and an XMP description into a photo with exiftool,
// names it after a client, bills an account, and checks that none of it
// reaches any provider.
func TestNothingIdentifyingOnTheWire(t *testing.T) {
	exiftool := testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	dir := filepath.Join(t.TempDir(), "clients", "Ingrid-Svensson")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := "IMG_wedding-Lindqvist-2025.jpg"
	copyFile(t, "../../testdata/samples/rocket.jpg", dir, name)
	path := filepath.Join(dir, name)
	cmd := exec.Command(exiftool, "-q", "-overwrite_original",
		"-GPSLatitude=59.329323", "-GPSLatitudeRef=N", "-GPSLongitude=18.068581", "-GPSLongitudeRef=E",
		"-SerialNumber=SN-4417-XQ-0099", "-Artist=Ingrid Svensson Photography",
		"-XMP-dc:Description=Private wedding of the Lindqvist family at Drottningholm", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v %s", err, out)
	}
	check, _ := exec.Command(exiftool, "-s3", "-SerialNumber", "-Artist", "-GPSLatitude#", path).Output()
	if !bytes.Contains(check, []byte("SN-4417-XQ-0099")) || !bytes.Contains(check, []byte("Ingrid Svensson")) {
		t.Fatalf("fixture lacks the injected metadata: %s", check)
	}
	ledger := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	mustCredits(t, "topup", "--ledger", ledger, "--account", "acct-SE-778812", "--credits", "10", "--ref", "p1")

	forbidden := []string{
		"IMG_wedding", "Lindqvist", "wedding", "Ingrid", "Svensson", "clients", "2025",
		"acct-SE-778812", "778812", "SN-4417", "4417-XQ", "Drottningholm", "Photography",
		"59.32", "18.06", "59,32", "GPS", "Exif", "http://ns.adobe.com", "Photoshop",
	}
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			s := wiretest.New(t, kind, wiretest.Options{})
			_, errw, code := runCLI(t, nil, "tag", "--provider", string(kind), "--base-url", s.BaseURL(),
				"--api-key", s.Secret(), "--ledger", ledger, "--account", "acct-SE-778812", path)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errw)
			}
			reqs := s.Requests()
			if len(reqs) == 0 {
				t.Fatal("nothing reached the server")
			}
			for _, req := range reqs {
				// Media travel base64-encoded, where short words occur by
				// chance: check the rest of the request as text and the
				// decoded media as bytes.
				text := req.Raw
				for _, m := range req.Media {
					text = bytes.ReplaceAll(text, []byte(base64.StdEncoding.EncodeToString(m.Data)), nil)
					for _, f := range forbidden {
						if bytes.Contains(m.Data, []byte(f)) {
							t.Errorf("an image on the wire carries %q", f)
						}
					}
				}
				if len(text) > len(req.Raw)/2 {
					t.Fatalf("media not found in the raw request: cannot separate text from data")
				}
				for _, f := range forbidden {
					if bytes.Contains(bytes.ToLower(text), bytes.ToLower([]byte(f))) {
						t.Errorf("request on the wire contains %q", f)
					}
				}
			}
		})
	}
}

// writeDistinctPNGs writes n small PNGs whose contents differ, so each
// has its own billing key.
func writeDistinctPNGs(t *testing.T, dir string, n int) {
	t.Helper()
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 64, 48))
		for y := range 48 {
			for x := range 64 {
				img.Set(x, y, color.RGBA{uint8(i), uint8(x * 4), uint8(y * 5), 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("img-%03d.png", i)), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRateLimitedBatchCompletesAndChargesOnce: a server that answers 30%
// of requests with 429 and a retry hint; a 200-file batch ends with every
// file tagged and each charged exactly once.
func TestRateLimitedBatchCompletesAndChargesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("200-file batch")
	}
	dir := t.TempDir()
	writeDistinctPNGs(t, dir, 200)
	s := wiretest.New(t, wiretest.OpenAI, wiretest.Options{FailRate: 0.3, FailRetryAfter: 20 * time.Millisecond, Seed: 7})
	ledger := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	mustCredits(t, "topup", "--ledger", ledger, "--account", "acme", "--credits", "1000", "--ref", "p1")
	out, errw, code := runCLI(t, nil, "tag", "--provider", "openai", "--base-url", s.BaseURL(), "--api-key", s.Secret(),
		"--ledger", ledger, "--account", "acme", "--price", "3", "--concurrency", "8", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	recs := decodeJSONL(t, out)
	var charged int64
	for _, r := range recs {
		if r.Error != nil {
			t.Errorf("%s: %v", r.File, r.Error)
			continue
		}
		charged += r.Usage.Credits
	}
	if len(recs) != 200 || charged != 600 {
		t.Fatalf("%d records, %d credits charged; want 200 and 600", len(recs), charged)
	}
	bal := decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", ledger, "--account", "acme"))
	if bal.Available != 400 {
		t.Fatalf("balance %+v, want 400 available", bal)
	}
	hist := mustCredits(t, "history", "--ledger", ledger, "--account", "acme")
	if n := strings.Count(hist, `"kind":"usage"`); n != 200 {
		t.Fatalf("%d usage entries, want 200", n)
	}
	if n := len(s.Wire()); n <= s.Served() {
		t.Fatalf("%d requests for %d answers: the 429s did not happen", n, s.Served())
	}
}

// TestQuotaStopsBatchEarly: under insufficient_quota the batch stops after
// a handful of requests with one clear error on every file.
func TestQuotaStopsBatchEarly(t *testing.T) {
	dir := t.TempDir()
	writeDistinctPNGs(t, dir, 60)
	s := wiretest.New(t, wiretest.OpenAI, wiretest.Options{Respond: func(*wiretest.Request) providertest.Outcome {
		return providertest.Outcome{Fault: provider.QuotaExhausted}
	}})
	out, _, code := runCLI(t, nil, "tag", "--provider", "openai", "--base-url", s.BaseURL(), "--api-key", s.Secret(),
		"--concurrency", "4", dir)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d", code, exitFailed)
	}
	recs := decodeJSONL(t, out)
	for _, r := range recs {
		if r.Error == nil || r.Error.Code != "quota_exhausted" {
			t.Fatalf("%s: %+v", r.File, r.Error)
		}
	}
	if n := len(s.Wire()); len(recs) != 60 || n > 4 {
		t.Fatalf("%d records, %d requests to the server; want 60 records after at most 4 requests", len(recs), n)
	}
}

func TestEstimateSendsNothing(t *testing.T) {
	s := wiretest.NewOpenAI(t)
	out, errw, code := runCLI(t, nil, "tag", "--estimate", "--provider", "openai", "--base-url", s.BaseURL(), "--api-key", s.Secret(), "../../testdata/samples")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 8 || len(s.Wire()) != 0 {
		t.Fatalf("%d estimates, %d requests sent", len(lines), len(s.Wire()))
	}
	var est struct {
		InputTokens  int `json:"input_tokens"`
		SentLongEdge int `json:"sent_long_edge"`
	}
	for _, l := range lines {
		if err := json.Unmarshal([]byte(l), &est); err != nil || est.InputTokens <= 0 || est.SentLongEdge <= 0 {
			t.Fatalf("estimate %s: %v", l, err)
		}
	}
	if !strings.Contains(errw, "input tokens for 8 files") {
		t.Fatalf("stderr %q", errw)
	}
}

// TestFallbackChain: OpenAI is out of quota, so every file is tagged by
// the Gemini fallback, whose key comes from the environment.
func TestFallbackChain(t *testing.T) {
	oa := wiretest.New(t, wiretest.OpenAI, wiretest.Options{Respond: func(*wiretest.Request) providertest.Outcome {
		return providertest.Outcome{Fault: provider.QuotaExhausted}
	}})
	gm := wiretest.NewGemini(t)
	out, errw, code := runCLI(t, map[string]string{"GEMINI_API_KEY": gm.Secret()},
		"tag", "--provider", "openai", "--base-url", oa.BaseURL(), "--api-key", oa.Secret(),
		"--fallback", "gemini="+gm.BaseURL(), "../../testdata/samples")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	for _, r := range decodeJSONL(t, out) {
		if r.Error != nil || r.Usage.Provider != "gemini" {
			t.Fatalf("%s: %+v", r.File, r)
		}
	}
	if n := len(oa.Wire()); n == 0 || n > 2 {
		t.Fatalf("%d requests to the exhausted provider; want a handful, not one per file", n)
	}
	if _, _, code := runCLI(t, nil, "tag", "--fallback", "local", "x.jpg"); code != exitUsage {
		t.Fatalf("--fallback local: exit %d", code)
	}
}
