package fake_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// A fake provider answers from a script first, then from the request's
// Spec. Here the first call is rate limited, the second answered.
func Example() {
	p := fake.New(fake.Options{})
	p.Enqueue(
		fake.Step{Fault: provider.RateLimited, RetryAfter: 2e9},
		fake.Step{Text: `{"prompt":"a red kite over a green hill"}`},
	)
	req := &provider.Request{Spec: provider.Spec{Task: provider.TaskPrompt, Items: 1}}
	_, err := p.Generate(context.Background(), req)
	var pe *provider.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Code, pe.RetryAfter)
	}
	resp, _ := p.Generate(context.Background(), req)
	fmt.Println(resp.Text)
	fmt.Println(p.Calls(), "requests recorded")
	// Output:
	// rate_limited 2s
	// {"prompt":"a red kite over a green hill"}
	// 2 requests recorded
}
