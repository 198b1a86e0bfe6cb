package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/providertest"
)

// ffmpeg makes a test clip with the given ffmpeg arguments into dir/name.
func ffmpeg(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	bin := testenv.Tool(t, "ffmpeg", "ffmpeg")
	out := filepath.Join(dir, name)
	cmd := exec.Command(bin, append(append([]string{"-v", "error", "-y"}, args...), out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	return out
}

// clip1080p makes a 20-second 1080p test clip with sound.
func clip1080p(t *testing.T, dir string) string {
	return ffmpeg(t, dir, "clip.mp4",
		"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25:duration=20",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=20",
		"-c:v", "libx264", "-preset", "ultrafast", "-crf", "35", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")
}

// privateTemp points TMPDIR at an empty folder and returns it, so a test
// can check that no scratch file outlives the job.
func privateTemp(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	return tmp
}

func assertEmpty(t *testing.T, dir, when string) {
	t.Helper()
	if left := listTree(t, dir); len(left) != 0 {
		t.Errorf("%s: scratch files left behind: %q", when, left)
	}
}

func runCLICtx(ctx context.Context, t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errw bytes.Buffer
	code := run(ctx, args, testEnv(nil, &out, &errw))
	return out.String(), errw.String(), code
}

func TestVideoAsFramesAndAsClip(t *testing.T) {
	in := t.TempDir()
	clip := clip1080p(t, in)
	tmp := privateTemp(t)

	t.Run("openai frames", func(t *testing.T) {
		s := wiretest.NewOpenAI(t)
		out, errw, code := runCLI(t, nil, "tag", "--provider", "openai", "--base-url", s.BaseURL(), "--api-key", s.Secret(), clip)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errw)
		}
		r := decodeJSONL(t, out)[0]
		reqs := s.Requests()
		if len(reqs) != 1 {
			t.Fatalf("%d requests for one clip", len(reqs))
		}
		imgs := reqs[0].Images()
		if len(imgs) < 2 || len(imgs) > 8 || len(reqs[0].Media) != len(imgs) {
			t.Fatalf("%d frame images (of %d media parts) in one request, want 2..8", len(imgs), len(reqs[0].Media))
		}
		if r.Kind != "video" || r.Duration < 19.5 || r.Duration > 20.5 {
			t.Errorf("kind %q duration %v", r.Kind, r.Duration)
		}
		if !slices.ContainsFunc(r.Keywords, func(k string) bool { return strings.Contains(k, "1080p") || strings.Contains(k, "full hd") }) {
			t.Errorf("no resolution keyword in %q", r.Keywords)
		}
		assertEmpty(t, tmp, "after success")
	})

	t.Run("gemini clip", func(t *testing.T) {
		s := wiretest.NewGemini(t)
		out, errw, code := runCLI(t, nil, "tag", "--provider", "gemini", "--base-url", s.BaseURL(), "--api-key", s.Secret(), clip)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errw)
		}
		if r := decodeJSONL(t, out)[0]; r.Error != nil {
			t.Fatal(r.Error)
		}
		reqs := s.Requests()
		if len(reqs) != 1 || len(reqs[0].Media) != 1 || reqs[0].Media[0].MIMEType != "video/mp4" {
			t.Fatalf("want one request with one video/mp4 part, got %d requests, media %+v", len(reqs), mediaTypes(reqs))
		}
		assertEmpty(t, tmp, "after success")
	})

	t.Run("failure", func(t *testing.T) {
		s := wiretest.NewOpenAI(t)
		s.Enqueue(providertest.Outcome{Fault: provider.InvalidRequest})
		out, _, code := runCLI(t, nil, "tag", "--provider", "openai", "--base-url", s.BaseURL(), "--api-key", s.Secret(), clip)
		if r := decodeJSONL(t, out)[0]; code != exitFailed || r.Error == nil {
			t.Fatalf("exit %d, record %+v", code, r)
		}
		assertEmpty(t, tmp, "after a failed request")
	})

	t.Run("cancel", func(t *testing.T) {
		s := wiretest.NewOpenAI(t)
		s.Enqueue(providertest.Outcome{Delay: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for len(s.Wire()) == 0 {
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
		}()
		_, _, code := runCLICtx(ctx, t, "tag", "--provider", "openai", "--base-url", s.BaseURL(), "--api-key", s.Secret(), clip)
		if code == exitOK {
			t.Fatal("a cancelled run succeeded")
		}
		assertEmpty(t, tmp, "after cancellation")
	})
}

func mediaTypes(reqs []*wiretest.Request) []string {
	var out []string
	for _, r := range reqs {
		for _, m := range r.Media {
			out = append(out, m.MIMEType)
		}
	}
	return out
}

func TestAudioThroughGeminiAndUnsupportedElsewhere(t *testing.T) {
	in := t.TempDir()
	wav := ffmpeg(t, in, "tone.wav", "-f", "lavfi", "-i", "sine=frequency=330:duration=4")
	mp3 := ffmpeg(t, in, "tone.mp3", "-f", "lavfi", "-i", "sine=frequency=550:duration=4", "-c:a", "libmp3lame")
	tmp := privateTemp(t)

	s := wiretest.NewGemini(t)
	out, errw, code := runCLI(t, nil, "tag", "--provider", "gemini", "--base-url", s.BaseURL(), "--api-key", s.Secret(), wav, mp3)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	for _, r := range decodeJSONL(t, out) {
		if r.Error != nil || r.Kind != "audio" || r.Title == "" {
			t.Errorf("%s: %+v", r.File, r)
		}
	}
	if got := mediaTypes(s.Requests()); !slices.Equal(got, []string{"audio/wav", "audio/mpeg"}) {
		t.Fatalf("audio parts on the wire: %q", got)
	}
	for _, r := range s.Requests() {
		if !strings.Contains(string(r.Schema), "instruments") {
			t.Errorf("audio request does not ask for instruments: %s", r.Schema)
		}
	}
	assertEmpty(t, tmp, "after audio")

	// OpenAI's default model takes no audio: the file fails with the
	// unsupported code, costs nothing, and the batch goes on.
	o := wiretest.NewOpenAI(t)
	ledger := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	mustCredits(t, "topup", "--ledger", ledger, "--account", "acme", "--credits", "10", "--ref", "p1")
	out, _, code = runCLI(t, nil, "tag", "--provider", "openai", "--base-url", o.BaseURL(), "--api-key", o.Secret(),
		"--ledger", ledger, "--account", "acme", "--price", "2", wav, "../../testdata/samples/coffee.png")
	recs := decodeJSONL(t, out)
	if code != exitFailed || len(recs) != 2 || recs[0].Error == nil || recs[0].Error.Code != "unsupported_media" || recs[1].Error != nil {
		t.Fatalf("exit %d records %+v", code, recs)
	}
	bal := decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", ledger, "--account", "acme"))
	if bal.Available != 8 {
		t.Fatalf("balance %+v: want 8 (only the image charged)", bal)
	}
	for _, m := range mediaTypes(o.Requests()) {
		if strings.HasPrefix(m, "audio/") {
			t.Fatal("audio was sent to a provider that cannot take it")
		}
	}
}

func TestGeneratorPrompts(t *testing.T) {
	// rocket.jpg is 640×427: 3:2.
	out, errw, code := runCLI(t, nil, "prompt", "--generator", "midjourney", "../../testdata/samples/rocket.jpg")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	if r := decodeJSONL(t, out)[0]; !strings.HasSuffix(r.Prompt, "--ar 3:2") {
		t.Fatalf("midjourney prompt %q does not end with --ar 3:2", r.Prompt)
	}
	out, _, code = runCLI(t, nil, "prompt", "--generator", "sd", "../../testdata/samples/coffee.png")
	r := decodeJSONL(t, out)[0]
	if code != exitOK || r.Negative == "" || r.Prompt == "" || r.Generator != "sd" {
		t.Fatalf("sd: exit %d record %+v", code, r)
	}
	if _, _, code := runCLI(t, nil, "prompt", "--generator", "paintbrush", "x.jpg"); code != exitFailed && code != exitUsage {
		t.Fatalf("unknown generator: exit %d", code)
	}
}

func TestVectorFiles(t *testing.T) {
	dir := t.TempDir()
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 200"><rect width="300" height="200" fill="#1e90ff"/><circle cx="150" cy="100" r="60" fill="#ffd700"/></svg>`
	if err := os.WriteFile(filepath.Join(dir, "sun.svg"), []byte(svg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "logo.eps"), []byte("%!PS-Adobe-3.0 EPSF-3.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "../../testdata/samples/coffee.png", dir, "cup.eps.png") // not a preview: wrong name
	if err := os.WriteFile(filepath.Join(dir, "badge.eps"), []byte("%!PS-Adobe-3.0 EPSF-3.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "../../testdata/samples/rocket.jpg", dir, "badge.jpg")
	out, _, code := runCLI(t, nil, "tag", filepath.Join(dir, "sun.svg"), filepath.Join(dir, "logo.eps"), filepath.Join(dir, "badge.eps"))
	recs := decodeJSONL(t, out)
	if code != exitFailed || len(recs) != 3 {
		t.Fatalf("exit %d, %d records", code, len(recs))
	}
	if recs[0].Error != nil || recs[0].Kind != "vector" || !slices.Contains(recs[0].Keywords, "blue") {
		t.Errorf("svg: %+v", recs[0])
	}
	if recs[1].Error == nil || recs[1].Error.Code != "unsupported_media" || !strings.Contains(recs[1].Error.Message, "JPEG") {
		t.Errorf("eps without preview: %+v", recs[1].Error)
	}
	if recs[2].Error != nil || !strings.HasSuffix(recs[2].File, "badge.eps") {
		t.Errorf("eps with preview: %+v", recs[2])
	}
}
