package wiretest_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/providertest"
)

// A scripted fault is answered the way the real service fails.
func ExampleStart() {
	s := wiretest.Start(wiretest.OpenAI, wiretest.Options{})
	defer s.Close()
	s.Enqueue(providertest.Outcome{Fault: provider.RateLimited, RetryAfter: 1500 * time.Millisecond})
	req, _ := http.NewRequest(http.MethodPost, s.BaseURL()+"/chat/completions",
		strings.NewReader(`{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+s.Secret())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Retry-After-Ms"), len(s.Wire()))
	// Output: 429 2 1500 1
}

// Answer builds a valid answer from the request's own schema.
func ExampleAnswer() {
	fmt.Println(wiretest.Answer(&wiretest.Request{
		Schema: []byte(`{"type":"object","properties":{"prompt":{"type":"string"}}}`),
	}))
	// Output: {"prompt":"a cool beach, natural light, photographed with a 35mm lens, high detail"}
}
