package gemini

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/internal/wire"
)

// deleteTimeout bounds the cleanup of a request's uploaded files, which
// runs even when the request's context is cancelled.
const deleteTimeout = 30 * time.Second

// deleteAttempts is how often cleanup tries to delete one file. Cleanup is
// not the request itself, so it retries on its own: leaving a file behind
// would break the promise that content is not kept.
const deleteAttempts = 3

// allowHeader decides which request headers leave the machine: the key,
// content type and client identification, and the resumable upload
// headers, except X-Goog-Upload-File-Name, which would carry a file name.
// No quota-project or other header that could name the account.
func allowHeader(name string) bool {
	switch name {
	case "X-Goog-Api-Key", "Content-Type", "Content-Length", "Accept", "User-Agent", "X-Goog-Api-Client":
		return true
	case "X-Goog-Upload-File-Name":
		return false
	}
	return strings.HasPrefix(name, "X-Goog-Upload-")
}

// uploadClient returns a copy of base whose transport marks failed upload
// chunks as final. genai retries a chunk whose answer lacks
// X-Goog-Upload-Status, sleeping between attempts; retries belong to the
// middleware, so a failure must end the upload at once.
func uploadClient(base *http.Client) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = finalOnFailure{base: rt}
	return c
}

type finalOnFailure struct{ base http.RoundTripper }

func (t finalOnFailure) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode >= 400 && r.Header.Get("X-Goog-Upload-Offset") != "" &&
		resp.Header.Get("X-Goog-Upload-Status") == "" {
		resp.Header.Set("X-Goog-Upload-Status", "final")
	}
	return resp, err
}

// plan decides which media parts of req go through the Files API: every
// streamed part, then the largest inline parts until the inline media fit
// MaxInlineBytes. It checks MIME types and sizes first, so that nothing is
// uploaded for a request that cannot be sent.
func (p *Provider) plan(req *provider.Request) ([]bool, error) {
	up := make([]bool, len(req.Parts))
	var inline []int
	var total int64
	for i, part := range req.Parts {
		if part.IsText() {
			continue
		}
		mt := strings.ToLower(part.MIMEType)
		if !strings.HasPrefix(mt, "image/") && !strings.HasPrefix(mt, "video/") && !strings.HasPrefix(mt, "audio/") {
			return nil, p.fail(provider.Unsupported, "cannot take "+wire.Safe(mt)+" content")
		}
		if part.MediaSize() > MaxUploadBytes {
			return nil, p.fail(provider.InvalidRequest, fmt.Sprintf("a media part of %d bytes is over the %d-byte upload limit", part.MediaSize(), int64(MaxUploadBytes)))
		}
		if part.Streamed() {
			if part.Size < 0 {
				return nil, p.fail(provider.InvalidRequest, "a streamed media part has a negative size")
			}
			up[i] = true
			continue
		}
		inline = append(inline, i)
		total += int64(len(part.Data))
	}
	if total <= p.caps.MaxInlineBytes {
		return up, nil
	}
	slices.SortStableFunc(inline, func(a, b int) int { return len(req.Parts[b].Data) - len(req.Parts[a].Data) })
	for _, i := range inline {
		if total <= p.caps.MaxInlineBytes {
			break
		}
		up[i] = true
		total -= int64(len(req.Parts[i].Data))
	}
	return up, nil
}

// sourceReader remembers the first error of the media source, so that a
// local read failure is not mistaken for a failure of the service.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// upload sends one media part through the Files API's resumable upload
// and returns the file. The display name is the neutral UploadDisplayName;
// the part's bytes are streamed in genai's 8 MB chunks.
func (p *Provider) upload(ctx context.Context, part provider.Part, mt string) (*genai.File, error) {
	var rc io.ReadCloser
	size := part.MediaSize()
	if part.Streamed() {
		var err error
		if rc, err = part.Open(); err != nil {
			// The error may quote a path: it is not kept.
			return nil, p.fail(provider.InvalidRequest, "the media could not be read")
		}
	} else {
		rc = io.NopCloser(bytes.NewReader(part.Data))
	}
	defer rc.Close()
	src := &sourceReader{r: rc}
	h := http.Header{}
	if size > 0 {
		h.Set("X-Goog-Upload-Header-Content-Length", strconv.FormatInt(size, 10))
	}
	cfg := &genai.UploadFileConfig{MIMEType: mt, DisplayName: UploadDisplayName, HTTPOptions: &genai.HTTPOptions{Headers: h}}
	rctx, ex := wire.Record(ctx)
	f, err := p.safeUpload(rctx, src, cfg)
	_, status, header, body := ex.Result()
	if err != nil {
		var ue *url.Error
		switch {
		case src.err != nil && ctx.Err() == nil:
			return nil, p.fail(provider.InvalidRequest, "the media could not be read")
		case ctx.Err() != nil || errors.As(err, &ue):
			return nil, wire.TransportError(p.name, ctx, err)
		case status >= 400:
			return nil, p.classify(status, header, body)
		case status == 0:
			return nil, wire.TransportError(p.name, ctx, err)
		}
		return nil, p.fail(provider.BadOutput, "the upload answer could not be decoded")
	}
	if f == nil || f.Name == "" || f.URI == "" {
		return nil, p.fail(provider.BadOutput, "the upload answer names no file")
	}
	return f, nil
}

// safeUpload calls genai's Upload, turning a panic on a malformed answer
// (genai asserts the answer's shape) into an error.
func (p *Provider) safeUpload(ctx context.Context, r io.Reader, cfg *genai.UploadFileConfig) (f *genai.File, err error) {
	defer func() {
		if v := recover(); v != nil {
			f, err = nil, errors.New("malformed upload answer")
		}
	}()
	return p.client.Files.Upload(ctx, r, cfg)
}

// waitActive polls files.get until f is ACTIVE, with a doubling wait from
// PollInterval up to MaxPollInterval, for at most MaxProcessingWait.
func (p *Provider) waitActive(ctx context.Context, f *genai.File) (*genai.File, error) {
	wctx, cancel := context.WithTimeout(ctx, p.maxWait)
	defer cancel()
	delay := p.poll
	for {
		switch f.State {
		case genai.FileStateActive:
			return f, nil
		case genai.FileStateFailed:
			msg := "the uploaded media could not be processed"
			if f.Error != nil && f.Error.Message != "" {
				msg += ": " + wire.Safe(f.Error.Message, p.key)
			}
			return nil, p.fail(provider.InvalidRequest, msg)
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-wctx.Done():
			t.Stop()
			if ctx.Err() != nil {
				return nil, wire.TransportError(p.name, ctx, ctx.Err())
			}
			return nil, &provider.Error{Code: provider.Timeout, Provider: p.name,
				Message: "the uploaded media was still processing after " + p.maxWait.String()}
		}
		delay = min(delay*2, MaxPollInterval)
		rctx, ex := wire.Record(wctx)
		g, err := p.client.Files.Get(rctx, f.Name, nil)
		_, status, header, body := ex.Result()
		if err != nil {
			switch {
			case status >= 400:
				return nil, p.classify(status, header, body)
			case ctx.Err() == nil && wctx.Err() != nil:
				return nil, &provider.Error{Code: provider.Timeout, Provider: p.name,
					Message: "the uploaded media was still processing after " + p.maxWait.String()}
			case ctx.Err() != nil || status == 0:
				return nil, wire.TransportError(p.name, ctx, err)
			}
			return nil, p.fail(provider.BadOutput, "the file status could not be decoded")
		}
		if g == nil || g.Name == "" {
			return nil, p.fail(provider.BadOutput, "the file status names no file")
		}
		if g.URI == "" {
			g.URI = f.URI
		}
		f = g
	}
}

// cleanup deletes the uploaded files, even when ctx is cancelled: it runs
// on a context without ctx's cancellation, bounded by deleteTimeout. A
// file the service no longer has (403 or 404) counts as deleted.
func (p *Provider) cleanup(ctx context.Context, files []*genai.File) {
	if len(files) == 0 {
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteTimeout)
	defer cancel()
	for _, f := range files {
		if err := p.delete(dctx, f.Name); err != nil && p.onCleanup != nil {
			p.onCleanup(err)
		}
	}
}

func (p *Provider) delete(ctx context.Context, name string) error {
	var last error
	for attempt := range deleteAttempts {
		if attempt > 0 {
			t := time.NewTimer(time.Duration(attempt) * 200 * time.Millisecond)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return &provider.Error{Code: provider.Timeout, Provider: p.name, Message: "an uploaded file could not be deleted in time; the service removes it after 48 hours"}
			}
		}
		rctx, ex := wire.Record(ctx)
		_, err := p.client.Files.Delete(rctx, name, nil)
		if err == nil {
			return nil
		}
		_, status, header, body := ex.Result()
		if status == http.StatusNotFound {
			return nil
		}
		if status >= 400 {
			last = p.classify(status, header, body)
			if status == http.StatusForbidden && provider.Classify(last) == provider.InvalidRequest {
				return nil // "... the File ... may not exist": already gone
			}
		} else {
			last = wire.TransportError(p.name, ctx, err)
		}
	}
	var pe *provider.Error
	if errors.As(last, &pe) {
		pe.Message = "an uploaded file could not be deleted; the service removes it after 48 hours: " + pe.Message
	}
	return last
}
