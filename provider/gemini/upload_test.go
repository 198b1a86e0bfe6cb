package gemini_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/gemini"
	"github.com/picfre/picfre/provider/providertest"
)

// marker is part of the scratch file's name; it must never cross the wire.
const marker = "holiday-secret-clip"

func media(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed+1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// scratch writes data to a file named with the marker and returns a
// streamed part reading it, and a counter of open readers.
func scratch(t *testing.T, mt string, data []byte) (provider.Part, *atomic.Int32) {
	t.Helper()
	path := filepath.Join(t.TempDir(), marker+".mp4")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var open atomic.Int32
	return provider.Part{Item: 0, MIMEType: mt, Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		open.Add(1)
		return &closeCounter{f, &open}, nil
	}}, &open
}

type closeCounter struct {
	io.ReadCloser
	n *atomic.Int32
}

func (c *closeCounter) Close() error { c.n.Add(-1); return c.ReadCloser.Close() }

func uploader(t *testing.T, s *wiretest.Server, o gemini.Options) *gemini.Provider {
	t.Helper()
	o.APIKey, o.BaseURL = s.Secret(), s.BaseURL()
	if o.PollInterval == 0 {
		o.PollInterval = 2 * time.Millisecond
	}
	p, err := gemini.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func videoRequest(part provider.Part) *provider.Request {
	return &provider.Request{
		Instructions: "Describe the clip.",
		Parts:        []provider.Part{{Item: -1, MIMEType: "text/plain", Text: "Clip 1:"}, part},
		Schema:       []byte(`{"type":"object","additionalProperties":false,"required":["title"],"properties":{"title":{"type":"string"}}}`),
		Spec:         provider.Spec{Task: provider.TaskMetadata, Items: 1},
	}
}

// requestLines returns "METHOD /path" of each request on the wire.
func requestLines(s *wiretest.Server) []string {
	var out []string
	for _, w := range s.Wire() {
		line, _, _ := bytes.Cut(w, []byte("\r\n"))
		f := strings.Fields(string(line))
		path, _, _ := strings.Cut(f[1], "?")
		out = append(out, f[0]+" "+path)
	}
	return out
}

func TestStreamedVideoIsUploadedReferencedAndDeleted(t *testing.T) {
	s := wiretest.New(t, wiretest.Gemini, wiretest.Options{ProcessingPolls: 2})
	p := uploader(t, s, gemini.Options{})
	data := media(3<<20, 1)
	part, open := scratch(t, "video/mp4", data)
	resp, err := p.Generate(t.Context(), videoRequest(part))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.Text, "title") {
		t.Fatalf("answer %q", resp.Text)
	}
	if n := open.Load(); n != 0 {
		t.Fatalf("%d readers left open", n)
	}
	ups := s.Uploads()
	if len(ups) != 1 {
		t.Fatalf("%d uploads, want 1", len(ups))
	}
	u := ups[0]
	if !bytes.Equal(u.Data, data) || u.MIMEType != "video/mp4" || u.DisplayName != gemini.UploadDisplayName {
		t.Fatalf("upload: %d bytes (equal %v), %q, display name %q", len(u.Data), bytes.Equal(u.Data, data), u.MIMEType, u.DisplayName)
	}
	if u.Header.Get("X-Goog-Upload-Protocol") != "resumable" || u.Header.Get("X-Goog-Upload-Header-Content-Length") != "3145728" ||
		u.Header.Get("X-Goog-Upload-Header-Content-Type") != "video/mp4" {
		t.Fatalf("start headers: %v", u.Header)
	}
	if fs := s.Files(); len(fs) != 0 {
		t.Fatalf("%d files left on the server after Generate", len(fs))
	}
	want := []string{
		"POST /upload/v1beta/files", "POST /upload/v1beta/files", // start, upload+finalize
		"GET /v1beta/files/" + strings.TrimPrefix(u.Name, "files/"), // PROCESSING
		"GET /v1beta/files/" + strings.TrimPrefix(u.Name, "files/"), // PROCESSING
		"GET /v1beta/files/" + strings.TrimPrefix(u.Name, "files/"), // ACTIVE
		"POST /v1beta/models/gemini-2.5-flash:generateContent",
		"DELETE /v1beta/files/" + strings.TrimPrefix(u.Name, "files/"),
	}
	if got := requestLines(s); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests on the wire:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	reqs := s.Requests()
	if len(reqs) != 1 || len(reqs[0].Media) != 1 {
		t.Fatalf("generateContent requests: %d", len(reqs))
	}
	m := reqs[0].Media[0]
	if m.FileURI != u.URI || m.MIMEType != "video/mp4" || !bytes.Equal(m.Data, data) {
		t.Fatalf("generateContent referenced %q (%s), want %q", m.FileURI, m.MIMEType, u.URI)
	}
	if bytes.Contains(reqs[0].Raw, []byte("inlineData")) || !bytes.Contains(reqs[0].Raw, []byte(`"fileData"`)) {
		t.Fatal("the clip was not sent as a fileData reference")
	}
	for i, w := range s.Wire() {
		if bytes.Contains(w, []byte(marker)) || bytes.Contains(w, []byte(".mp4")) || bytes.Contains(w, []byte("X-Goog-Upload-File-Name")) {
			t.Fatalf("request %d names the file:\n%.400s", i, w)
		}
	}
}

func TestLargeInlineMediaIsUploadedInChunks(t *testing.T) {
	s := wiretest.NewGemini(t)
	var cleanupErrs []error
	p := uploader(t, s, gemini.Options{MaxInlineBytes: 1 << 20, OnCleanupError: func(err error) { cleanupErrs = append(cleanupErrs, err) }})
	big := media(8<<20+1000, 2) // two chunks: 8 MB, then the rest with finalize
	small := media(4000, 3)
	req := &provider.Request{Instructions: "Describe.", Parts: []provider.Part{
		{Item: 0, MIMEType: "image/png", Data: small, Width: 10, Height: 10},
		{Item: 0, MIMEType: "audio/wav", Data: big},
	}}
	if _, err := p.Generate(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if len(cleanupErrs) != 0 {
		t.Fatal(cleanupErrs)
	}
	ups := s.Uploads()
	if len(ups) != 1 || !bytes.Equal(ups[0].Data, big) {
		t.Fatalf("uploads: %d", len(ups))
	}
	chunks := 0
	for _, w := range s.Wire() {
		if bytes.Contains(w, []byte("upload_id=")) {
			chunks++
		}
	}
	if chunks != 2 {
		t.Fatalf("%d chunks, want 2", chunks)
	}
	m := s.Requests()[0].Media
	if len(m) != 2 || m[0].FileURI != "" || !bytes.Equal(m[0].Data, small) || m[1].FileURI == "" {
		t.Fatalf("media: %+v", m[0].FileURI)
	}
	if len(s.Files()) != 0 {
		t.Fatal("file left on the server")
	}
}

func TestUploadedFileIsDeletedWhenGenerateFails(t *testing.T) {
	s := wiretest.NewGemini(t)
	p := uploader(t, s, gemini.Options{})
	part, open := scratch(t, "video/mp4", media(100_000, 4))
	s.Enqueue(providertest.Outcome{Fault: provider.Unavailable})
	_, err := p.Generate(t.Context(), videoRequest(part))
	if provider.Classify(err) != provider.Unavailable {
		t.Fatalf("got %v", err)
	}
	if len(s.Uploads()) != 1 || len(s.Files()) != 0 || open.Load() != 0 {
		t.Fatalf("uploads %d, files left %d, open readers %d", len(s.Uploads()), len(s.Files()), open.Load())
	}
}

func TestUploadedFileIsDeletedWhenCancelledWhileProcessing(t *testing.T) {
	s := wiretest.New(t, wiretest.Gemini, wiretest.Options{ProcessingPolls: 1 << 30})
	p := uploader(t, s, gemini.Options{PollInterval: time.Millisecond})
	part, _ := scratch(t, "video/mp4", media(50_000, 5))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			gets := 0
			for _, l := range requestLines(s) {
				if strings.HasPrefix(l, "GET ") {
					gets++
				}
			}
			if gets >= 3 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	_, err := p.Generate(ctx, videoRequest(part))
	wg.Wait()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if len(s.Uploads()) != 1 || len(s.Files()) != 0 {
		t.Fatalf("uploads %d, files left %d", len(s.Uploads()), len(s.Files()))
	}
	lines := requestLines(s)
	if !strings.HasPrefix(lines[len(lines)-1], "DELETE ") {
		t.Fatalf("last request %q, want the delete", lines[len(lines)-1])
	}
	for _, l := range lines {
		if strings.Contains(l, "generateContent") {
			t.Fatal("generateContent was sent for a file that never became ACTIVE")
		}
	}
}

func TestProcessingWaitIsBounded(t *testing.T) {
	s := wiretest.New(t, wiretest.Gemini, wiretest.Options{ProcessingPolls: 1 << 30})
	p := uploader(t, s, gemini.Options{PollInterval: time.Millisecond, MaxProcessingWait: 50 * time.Millisecond})
	part, _ := scratch(t, "video/mp4", media(1000, 6))
	_, err := p.Generate(t.Context(), videoRequest(part))
	if provider.Classify(err) != provider.Timeout || !strings.Contains(err.Error(), "still processing") {
		t.Fatalf("got %v", err)
	}
	if len(s.Files()) != 0 {
		t.Fatal("file left on the server")
	}
}

func TestFailedProcessingIsInvalidRequest(t *testing.T) {
	s := wiretest.New(t, wiretest.Gemini, wiretest.Options{FailProcessing: true})
	p := uploader(t, s, gemini.Options{})
	part, _ := scratch(t, "video/mp4", media(1000, 7))
	_, err := p.Generate(t.Context(), videoRequest(part))
	if provider.Classify(err) != provider.InvalidRequest || !strings.Contains(err.Error(), "could not be processed") {
		t.Fatalf("got %v", err)
	}
	if len(s.Files()) != 0 {
		t.Fatal("file left on the server")
	}
}

// TestUploadFailuresAreClassifiedAndNotRetried: a failed step of the
// upload is one classified error at once; genai's own chunk retries
// (which sleep a second and more) stay off.
func TestUploadFailuresAreClassifiedAndNotRetried(t *testing.T) {
	cases := []struct {
		name   string
		script []providertest.Outcome
		want   provider.Code
		sent   int
	}{
		{"start rate limited", []providertest.Outcome{{Fault: provider.RateLimited, RetryAfter: 3 * time.Second}}, provider.RateLimited, 1},
		{"start quota", []providertest.Outcome{{Fault: provider.QuotaExhausted}}, provider.QuotaExhausted, 1},
		{"start bad key", []providertest.Outcome{{Fault: provider.Unauthenticated}}, provider.Unauthenticated, 1},
		{"chunk unavailable", []providertest.Outcome{{}, {Fault: provider.Unavailable}}, provider.Unavailable, 2},
		{"chunk unknown 502", []providertest.Outcome{{}, {Fault: provider.Unknown}}, provider.Unavailable, 2},
		{"get unavailable", []providertest.Outcome{{}, {}, {Fault: provider.Unavailable}}, provider.Unavailable, 4}, // + delete
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := wiretest.NewGemini(t)
			p := uploader(t, s, gemini.Options{})
			for _, o := range c.script {
				s.EnqueueFiles(o)
			}
			part, open := scratch(t, "video/mp4", media(2000, 8))
			start := time.Now()
			_, err := p.Generate(t.Context(), videoRequest(part))
			if provider.Classify(err) != c.want {
				t.Fatalf("got %v, want %s", err, c.want)
			}
			if c.want == provider.RateLimited && retryHint(err) != 3*time.Second {
				t.Fatalf("retry hint %v", retryHint(err))
			}
			if d := time.Since(start); d > 900*time.Millisecond {
				t.Fatalf("took %v: the SDK retried", d)
			}
			if n := len(s.Wire()); n != c.sent {
				t.Fatalf("%d requests, want %d:\n%s", n, c.sent, strings.Join(requestLines(s), "\n"))
			}
			if len(s.Files()) != 0 || open.Load() != 0 {
				t.Fatalf("files left %d, open readers %d", len(s.Files()), open.Load())
			}
			if strings.Contains(err.Error(), s.Secret()) {
				t.Fatal("error contains the key")
			}
		})
	}
}

func TestCleanupFailureIsReportedAndAnswerKept(t *testing.T) {
	s := wiretest.NewGemini(t)
	var got []error
	var mu sync.Mutex
	p := uploader(t, s, gemini.Options{MaxInlineBytes: 100, OnCleanupError: func(err error) {
		mu.Lock()
		got = append(got, err)
		mu.Unlock()
	}})
	// An image is ACTIVE at once: start, upload, then three failed deletes.
	s.EnqueueFiles(providertest.Outcome{})
	s.EnqueueFiles(providertest.Outcome{})
	for range 3 {
		s.EnqueueFiles(providertest.Outcome{Fault: provider.Unavailable})
	}
	req := &provider.Request{Instructions: "Describe.", Parts: []provider.Part{{Item: 0, MIMEType: "image/png", Data: media(500, 9)}}}
	if _, err := p.Generate(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || provider.Classify(got[0]) != provider.Unavailable || !strings.Contains(got[0].Error(), "could not be deleted") {
		t.Fatalf("cleanup errors: %v", got)
	}
	if len(s.Files()) != 1 {
		t.Fatalf("%d files, want the one that could not be deleted", len(s.Files()))
	}
	if strings.Contains(got[0].Error(), s.Files()[0].Name) {
		t.Fatal("cleanup error names the file")
	}
}

func TestLocalReadFailures(t *testing.T) {
	s := wiretest.NewGemini(t)
	p := uploader(t, s, gemini.Options{})
	missing := provider.Part{Item: 0, MIMEType: "video/mp4", Size: 10, Open: func() (io.ReadCloser, error) {
		return os.Open(filepath.Join(t.TempDir(), marker+".mp4"))
	}}
	_, err := p.Generate(t.Context(), videoRequest(missing))
	if provider.Classify(err) != provider.InvalidRequest || strings.Contains(err.Error(), marker) {
		t.Fatalf("open failure: %v", err)
	}
	if len(s.Wire()) != 0 {
		t.Fatal("a request was sent for media that could not be opened")
	}
	broken := provider.Part{Item: 0, MIMEType: "video/mp4", Size: 9 << 20, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(bytes.NewReader(media(1000, 10)), failingReader{})), nil
	}}
	_, err = p.Generate(t.Context(), videoRequest(broken))
	if provider.Classify(err) != provider.InvalidRequest || !strings.Contains(err.Error(), "could not be read") {
		t.Fatalf("read failure: %v", err)
	}
	if len(s.Uploads()) != 0 || len(s.Files()) != 0 {
		t.Fatal("a file was stored from a failed read")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) {
	return 0, errors.New("read " + marker + ".mp4: input/output error")
}

func TestMediaOverTheUploadLimitIsRefusedUpFront(t *testing.T) {
	s := wiretest.NewGemini(t)
	p := uploader(t, s, gemini.Options{})
	if got := p.Capabilities().MaxUploadBytes; got != gemini.MaxUploadBytes {
		t.Fatalf("MaxUploadBytes %d", got)
	}
	huge := provider.Part{Item: 0, MIMEType: "video/mp4", Size: gemini.MaxUploadBytes + 1, Open: func() (io.ReadCloser, error) {
		t.Fatal("opened a part over the limit")
		return nil, nil
	}}
	_, err := p.Generate(t.Context(), videoRequest(huge))
	if provider.Classify(err) != provider.InvalidRequest || len(s.Wire()) != 0 {
		t.Fatalf("got %v after %d requests", err, len(s.Wire()))
	}
	pdf := provider.Part{Item: 0, MIMEType: "application/pdf", Size: 10, Open: func() (io.ReadCloser, error) { return nil, errors.New("no") }}
	if _, err := p.Generate(t.Context(), videoRequest(pdf)); provider.Classify(err) != provider.Unsupported {
		t.Fatalf("pdf: %v", err)
	}
}

func TestConcurrentUploads(t *testing.T) {
	s := wiretest.NewGemini(t)
	p := uploader(t, s, gemini.Options{})
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		part, _ := scratch(t, "audio/mpeg", media(20_000+i, uint64(20+i)))
		wg.Go(func() { _, errs[i] = p.Generate(t.Context(), videoRequest(part)) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(s.Uploads()) != 6 || len(s.Files()) != 0 {
		t.Fatalf("uploads %d, files left %d", len(s.Uploads()), len(s.Files()))
	}
}

func TestEarlierUploadsAreDeletedWhenALaterOneFails(t *testing.T) {
	s := wiretest.NewGemini(t)
	p := uploader(t, s, gemini.Options{})
	good, _ := scratch(t, "video/mp4", media(3000, 11))
	bad := provider.Part{Item: 1, MIMEType: "audio/wav", Size: 10, Open: func() (io.ReadCloser, error) {
		return nil, errors.New("open /scratch/" + marker + ".wav: no such file")
	}}
	req := videoRequest(good)
	req.Parts = append(req.Parts, bad)
	_, err := p.Generate(t.Context(), req)
	if provider.Classify(err) != provider.InvalidRequest || strings.Contains(err.Error(), marker) {
		t.Fatalf("got %v", err)
	}
	if len(s.Uploads()) != 1 || len(s.Files()) != 0 {
		t.Fatalf("uploads %d, files left %d", len(s.Uploads()), len(s.Files()))
	}
}
