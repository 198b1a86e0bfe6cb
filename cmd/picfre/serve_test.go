package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/store"
)

// server is a "picfre serve" run in-process.
type server struct {
	base   string // http://127.0.0.1:PORT
	stderr *testenv.Buffer
	stop   func() (code int, stderr string, took time.Duration)
}

var servingRE = regexp.MustCompile(`picfre: serving (http://\S+) \((single-user|tokens)\)`)

// startServe runs "picfre serve ARGS" until the returned server's stop
// is called (as SIGTERM would), and waits until it serves.
func startServe(t *testing.T, vars map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out testenv.Buffer
	s := &server{stderr: &testenv.Buffer{}}
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: s.stderr, getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), e) }()
	var once sync.Once
	var code int
	var took time.Duration
	s.stop = func() (int, string, time.Duration) {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case code = <-done:
			case <-time.After(2 * time.Minute):
				t.Fatal("serve did not stop within two minutes of its signal")
			}
			took = time.Since(start)
		})
		return code, s.stderr.String(), took
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(time.Minute)
	for {
		if m := servingRE.FindStringSubmatch(s.stderr.String()); m != nil {
			s.base = m[1]
			return s
		}
		select {
		case code := <-done:
			t.Fatalf("serve ended while starting: exit %d: %s", code, s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start within a minute: %s", s.stderr.String())
		}
	}
}

// do sends a request with the token (none when empty) and returns the
// status and body.
func (s *server) do(t *testing.T, method, path, token string, body io.Reader, contentType string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// upload posts the files as one job (multipart, streamed) and returns the
// created job.
func (s *server) upload(t *testing.T, token string, files ...string) jobs.Job {
	t.Helper()
	form, formType := streamUpload(files, func(i int, path string) string {
		return fmt.Sprintf("%03d-%s", i, filepath.Base(path))
	})
	code, body := s.do(t, http.MethodPost, "/v1/jobs", token, form, formType)
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, body)
	}
	var j jobs.Job
	if err := json.Unmarshal(body, &j); err != nil {
		t.Fatalf("upload answer %s: %v", body, err)
	}
	return j
}

// waitJob polls GET /v1/jobs/{id} until the job is final.
func (s *server) waitJob(t *testing.T, token, id string) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, body := s.do(t, http.MethodGet, "/v1/jobs/"+id, token, nil, "")
		if code != http.StatusOK {
			t.Fatalf("GET job: %d %s", code, body)
		}
		var j jobs.Job
		if err := json.Unmarshal(body, &j); err != nil {
			t.Fatal(err)
		}
		if !j.Finished.IsZero() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not final after 2 minutes: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newAccount makes an account and a token with the CLI, and tops it up.
func newAccount(t *testing.T, dsn string, credits int) (account, secret string) {
	t.Helper()
	out, errw, code := runCLI(t, nil, "accounts", "create", "--ledger", dsn)
	if code != exitOK {
		t.Fatalf("accounts create: exit %d: %s", code, errw)
	}
	account = strings.TrimSpace(out)
	out, errw, code = runCLI(t, nil, "accounts", "token", "--account", account, "--ledger", dsn)
	if code != exitOK {
		t.Fatalf("accounts token: exit %d: %s", code, errw)
	}
	secret = strings.TrimSpace(out)
	if credits > 0 {
		mustCredits(t, "topup", "--ledger", dsn, "--account", account, "--credits", fmt.Sprint(credits), "--ref", "pay-"+account)
	}
	return account, secret
}

func TestServeTokens(t *testing.T) {
	je := newJobsEnv(t)
	alice, aliceTok := newAccount(t, je.dsn, 10)
	_, bobTok := newAccount(t, je.dsn, 0)
	s := startServe(t, je.vars, "--addr", "127.0.0.1:0", "--auth", "tokens", "--ledger", je.dsn, "--workers", "2", "--sweep-every", "200ms")
	if !strings.Contains(s.stderr.String(), "(tokens)") {
		t.Errorf("serving line: %s", s.stderr.String())
	}

	// Without a token, or with a wrong one: 401.
	for _, tok := range []string{"", "pfr_wrong", aliceTok + "x"} {
		if code, body := s.do(t, http.MethodGet, "/v1/jobs", tok, nil, ""); code != http.StatusUnauthorized || !strings.Contains(string(body), `"unauthenticated"`) {
			t.Errorf("GET /v1/jobs with %q: %d %s", tok, code, body)
		}
	}
	// The web app at /, the OpenAPI document without a token.
	if code, body := s.do(t, http.MethodGet, "/", "", nil, ""); code != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), "<!doctype html") {
		t.Errorf("GET /: %d %.200s", code, body)
	}
	if code, body := s.do(t, http.MethodGet, "/v1/openapi.json", "", nil, ""); code != http.StatusOK || !strings.Contains(string(body), `"openapi"`) {
		t.Errorf("GET /v1/openapi.json: %d %.200s", code, body)
	}

	j := s.upload(t, aliceTok, threeSamples...)
	if !strings.HasPrefix(j.ID, "job_") || j.Total != 3 {
		t.Fatalf("created job %+v", j)
	}
	// Bob sees nothing of it.
	if code, _ := s.do(t, http.MethodGet, "/v1/jobs/"+j.ID, bobTok, nil, ""); code != http.StatusNotFound {
		t.Errorf("another account's job: %d, want 404", code)
	}
	done := s.waitJob(t, aliceTok, j.ID)
	if done.State != jobs.StateDone || done.Done != 3 {
		t.Fatalf("job %+v", done)
	}
	code, body := s.do(t, http.MethodGet, "/v1/jobs/"+j.ID+"/results", aliceTok, nil, "")
	if code != http.StatusOK {
		t.Fatalf("results: %d %s", code, body)
	}
	var res struct {
		Results []struct {
			Index    int      `json:"index"`
			File     string   `json:"file"`
			Title    string   `json:"title"`
			Keywords []string `json:"keywords"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 3 {
		t.Fatalf("%d results, want 3: %s", len(res.Results), body)
	}
	for i, r := range res.Results {
		if r.Index != i || r.Title == "" || len(r.Keywords) < 8 || len(r.Keywords) > 12 {
			t.Errorf("result %d: %+v", i, r)
		}
	}

	code, stderr, took := s.stop()
	if code != exitOK || !strings.Contains(stderr, "picfre: stopped") {
		t.Fatalf("serve: exit %d after %s: %s", code, took, stderr)
	}
	// Neither a token nor a file name in what the server wrote.
	for _, secret := range append([]string{aliceTok, bobTok, alice}, threeSamples...) {
		if strings.Contains(stderr, filepath.Base(secret)) {
			t.Errorf("serve's stderr holds %q", secret)
		}
	}
	bal := decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", je.dsn, "--account", alice))
	if bal.Credits != 7 || bal.Held != 0 {
		t.Errorf("balance after 3 files: %+v, want 7", bal)
	}
}

func TestServeSingleUserLoopbackOnly(t *testing.T) {
	je := newJobsEnv(t)
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "[::]:8080", "192.168.1.20:8080", "example.com:80"} {
		_, errw, code := runCLI(t, je.vars, "serve", "--addr", addr, "--ledger", je.dsn)
		if code != exitUsage || !strings.Contains(errw, "loopback") {
			t.Errorf("serve --addr %s: exit %d, %q; want a usage error", addr, code, errw)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--auth", "jwt"}, "--auth"},
		{[]string{"--addr", "nocolon"}, "--addr"},
		{[]string{"--workers", "0"}, "--workers"},
		{[]string{"stray"}, "unexpected"},
	} {
		_, errw, code := runCLI(t, je.vars, append([]string{"serve", "--ledger", je.dsn}, c.args...)...)
		if code != exitUsage || !strings.Contains(errw, c.want) {
			t.Errorf("serve %v: exit %d, %q", c.args, code, errw)
		}
	}
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.0.0.2:1": true, "[::1]:0": true, "localhost:8080": true, "LOCALHOST:1": true,
		":0": false, "0.0.0.0:1": false, "[::]:1": false, "10.0.0.1:1": false, "localhost.evil.com:1": false,
	} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v", addr, got)
		}
	}

	// Single-user on the loopback: no token needed, every request is the
	// local account's.
	mustCredits(t, "topup", "--ledger", je.dsn, "--account", singleUserAccount, "--credits", "5", "--ref", "pay-local")
	s := startServe(t, je.vars, "--addr", "127.0.0.1:0", "--ledger", je.dsn, "--sweep-every", "0")
	if !strings.Contains(s.stderr.String(), "(single-user)") {
		t.Errorf("serving line: %s", s.stderr.String())
	}
	j := s.upload(t, "", threeSamples[0])
	if done := s.waitJob(t, "", j.ID); done.Done != 1 {
		t.Fatalf("job %+v", done)
	}
	if code, _, _ := s.stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
}

// TestServeShutdownInFlight: SIGTERM with a job in progress stops within
// the grace with exit 0; a restarted serve finishes the job; every file
// is charged once.
func TestServeShutdownInFlight(t *testing.T) {
	je := newJobsEnv(t)
	const n = 24
	account, tok := newAccount(t, je.dsn, 100)
	files := distinctJPEGs(t, n, 480, 320)
	args := []string{"--addr", "127.0.0.1:0", "--auth", "tokens", "--ledger", je.dsn, "--workers", "1", "--grace", "20s", "--sweep-every", "0"}
	s := startServe(t, je.vars, args...)
	j := s.upload(t, tok, files...)
	code, stderr, took := s.stop()
	if code != exitOK || took > 25*time.Second {
		t.Fatalf("stop with a job in flight: exit %d after %s: %s", code, took, stderr)
	}
	st := decodeJob(t, mustJobs(t, je, "status", "--account", account, j.ID))
	t.Logf("after the first serve: %d of %d files done", st.Done, st.Total)

	s = startServe(t, je.vars, args...)
	done := s.waitJob(t, tok, j.ID)
	if done.State != jobs.StateDone || done.Done != n {
		t.Fatalf("job after the restart: %+v", done)
	}
	if code, stderr, _ := s.stop(); code != exitOK {
		t.Fatalf("second serve: exit %d: %s", code, stderr)
	}

	// Charged once per file: the balance, and one usage entry per file.
	db, err := store.Open(t.Context(), je.dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := db.Ledger().Balance(t.Context(), account)
	if err != nil {
		t.Fatal(err)
	}
	if b.Credits != 100-n || b.Held != 0 {
		t.Errorf("balance %+v, want %d credits and nothing held", b, 100-n)
	}
	usage := 0
	hist, err := db.Ledger().History(t.Context(), account)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range hist {
		if e.Kind == metering.KindUsage {
			usage++
		}
	}
	if usage != n {
		t.Errorf("%d usage entries, want one per file (%d)", usage, n)
	}
}

// distinctJPEGs writes n JPEGs of w×h that are no near-duplicates of
// each other (a coarse grid of colours drawn from a seed per file), so
// that each is tagged and charged on its own.
func distinctJPEGs(t testing.TB, n, w, h int) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := range n {
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		const grid = 8
		for gy := range grid {
			for gx := range grid {
				c := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
				draw.Draw(img, image.Rect(gx*w/grid, gy*h/grid, (gx+1)*w/grid, (gy+1)*h/grid), image.NewUniform(c), image.Point{}, draw.Src)
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("photo-%03d.jpg", i))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

func mustJobs(t *testing.T, je *jobsEnv, sub string, args ...string) string {
	t.Helper()
	out, errw, code := je.cli(t, sub, args...)
	if code != exitOK {
		t.Fatalf("jobs %s: exit %d: %s", sub, code, errw)
	}
	return out
}

func TestAccountsCLI(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "picfre.db")
	out, errw, code := runCLI(t, nil, "accounts", "create", "--ledger", dsn)
	account := strings.TrimSpace(out)
	if code != exitOK || !regexp.MustCompile(`^acct_[a-z2-7]{26}$`).MatchString(account) {
		t.Fatalf("create: exit %d, %q, %s", code, out, errw)
	}
	out, errw, code = runCLI(t, nil, "accounts", "token", "--account", account, "--label", "laptop", "--ledger", dsn)
	secret := strings.TrimSpace(out)
	if code != exitOK || !regexp.MustCompile(`^pfr_[A-Za-z0-9_-]{43}$`).MatchString(secret) || strings.Count(out, "\n") != 1 {
		t.Fatalf("token: exit %d, %q", code, out)
	}
	if !strings.Contains(errw, "shown this once") || strings.Contains(errw, secret) {
		t.Errorf("token's note on stderr: %q", errw)
	}
	// The store knows the secret; tokens lists it without it.
	db, err := store.Open(t.Context(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.Accounts().AccountForToken(t.Context(), secret); err != nil || got != account {
		t.Fatalf("AccountForToken(printed secret) = %q, %v", got, err)
	}
	db.Close()
	out, _, code = runCLI(t, nil, "accounts", "tokens", "--account", account, "--ledger", dsn)
	list := decodeJSONLines[store.Token](t, out)
	if code != exitOK || len(list) != 1 || list[0].Label != "laptop" || strings.Contains(out, secret[4:]) {
		t.Fatalf("tokens: exit %d, %q", code, out)
	}
	if _, errw, code := runCLI(t, nil, "accounts", "revoke", "--account", account, "--token", list[0].ID, "--ledger", dsn); code != exitOK {
		t.Fatalf("revoke: exit %d: %s", code, errw)
	}
	if out, _, code := runCLI(t, nil, "accounts", "tokens", "--account", account, "--ledger", dsn); code != exitOK || out != "" {
		t.Fatalf("tokens after revoke: exit %d, %q", code, out)
	}
	if _, errw, code := runCLI(t, nil, "accounts", "revoke", "--account", account, "--token", list[0].ID, "--ledger", dsn); code != exitFailed || !strings.Contains(errw, "not_found") {
		t.Errorf("second revoke: exit %d, %q", code, errw)
	}
	if _, errw, code := runCLI(t, nil, "accounts", "token", "--account", "acct_nobody", "--ledger", dsn); code != exitFailed || !strings.Contains(errw, "not_found") {
		t.Errorf("token for an unknown account: exit %d, %q", code, errw)
	}
	for _, args := range [][]string{{}, {"nope"}, {"token"}, {"revoke", "--account", account}, {"create", "stray"}} {
		if _, _, code := runCLI(t, nil, append([]string{"accounts"}, args...)...); code != exitUsage {
			t.Errorf("accounts %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func decodeJSONLines[T any](t *testing.T, s string) []T {
	t.Helper()
	var out []T
	dec := json.NewDecoder(strings.NewReader(s))
	for dec.More() {
		var v T
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		out = append(out, v)
	}
	return out
}

// streamUpload returns the multipart body of an upload of files (an
// options part, then each file under name(i, path)), written from disk
// as it is read, and its content type.
func streamUpload(files []string, name func(i int, path string) string) (io.Reader, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			opts, err := mw.CreateFormField("options")
			if err != nil {
				return err
			}
			if _, err := io.WriteString(opts, `{"language":"en","min_keywords":8,"max_keywords":12}`); err != nil {
				return err
			}
			for i, path := range files {
				w, err := mw.CreateFormFile("file", name(i, path))
				if err != nil {
					return err
				}
				f, err := os.Open(path)
				if err != nil {
					return err
				}
				_, err = io.Copy(w, f)
				f.Close()
				if err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	return pr, mw.FormDataContentType()
}
