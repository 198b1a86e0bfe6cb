package gemini_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/gemini"
)

// New makes a provider; here it talks to an in-process server that speaks
// the real protocol. Wrap it in provider.Resilient for retries and pacing.
func ExampleNew() {
	s := wiretest.Start(wiretest.Gemini, wiretest.Options{})
	defer s.Close()
	drv, err := gemini.New(gemini.Options{APIKey: s.Secret(), BaseURL: s.BaseURL()})
	if err != nil {
		panic(err)
	}
	p := provider.Resilient(drv, provider.Options{})
	resp, err := p.Generate(context.Background(), &provider.Request{
		Instructions: "Describe the image for a stock agency.",
		Parts:        []provider.Part{{Item: 0, MIMEType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n"), Width: 8, Height: 8}},
		Schema: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["title","keywords"],` +
			`"properties":{"title":{"type":"string"},"keywords":{"type":"array","items":{"type":"string"}}}}`),
		SchemaName: "picfre_metadata",
		Detail:     provider.DetailLow,
	})
	if err != nil {
		panic(err)
	}
	var v struct {
		Title    string
		Keywords []string
	}
	_ = json.Unmarshal([]byte(resp.Text), &v)
	fmt.Println(drv.Name(), v.Title != "", len(v.Keywords), resp.Usage.InputTokens > 0)
	// Output: gemini true 12 true
}

// A clip too large to send inline is streamed from its scratch file
// through the Files API, referenced in the request, and deleted again
// before Generate returns.
func ExampleProvider_Generate_upload() {
	s := wiretest.Start(wiretest.Gemini, wiretest.Options{})
	defer s.Close()
	drv, err := gemini.New(gemini.Options{APIKey: s.Secret(), BaseURL: s.BaseURL(), PollInterval: time.Millisecond})
	if err != nil {
		panic(err)
	}
	clip := bytes.Repeat([]byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p'}, 1<<17) // 1 MiB
	part := provider.Part{Item: 0, MIMEType: "video/mp4", Size: int64(len(clip)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(clip)), nil }}
	_, err = drv.Generate(context.Background(), &provider.Request{
		Instructions: "Describe the clip for a stock agency.",
		Parts:        []provider.Part{part},
	})
	if err != nil {
		panic(err)
	}
	up := s.Uploads()[0]
	fmt.Println(len(up.Data), up.DisplayName, s.Requests()[0].Media[0].FileURI == up.URI, len(s.Files()))
	// Output: 1048576 picfre-media true 0
}
