package openai_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/openai"
)

// New makes a provider; here it talks to an in-process server that speaks
// the real protocol. Wrap it in provider.Resilient for retries and pacing.
func ExampleNew() {
	s := wiretest.Start(wiretest.OpenAI, wiretest.Options{})
	defer s.Close()
	drv, err := openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL()})
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
	// Output: openai true 12 true
}
