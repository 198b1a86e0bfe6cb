package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"

	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/payments"
)

// oneCheckout is a payments.Processor for the example; a real one is
// payments/stripe's *stripe.Processor.
type oneCheckout struct{}

func (oneCheckout) Packs() []payments.Pack { return payments.DefaultPacks() }

func (oneCheckout) Checkout(_ context.Context, req payments.CheckoutRequest) (payments.Checkout, error) {
	fmt.Println("checkout of", req.Pack, "returning to", req.SuccessURL)
	return payments.Checkout{ID: "cs_example", URL: "https://checkout.example.com/cs_example"}, nil
}

func (oneCheckout) ServeHTTP(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

// Selling credits: Config.Payments serves the packs, the checkout and the
// processor's webhook; the buyer returns to Config.PublicURL.
func ExampleConfig_payments() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "picfre-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	spool, err := blob.OpenBucket(ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "spool"))+"?create_dir=true")
	if err != nil {
		panic(err)
	}
	defer spool.Close()
	svc, err := jobs.Open(ctx, "sqlite:"+filepath.Join(dir, "picfre.db"), jobs.Config{Spool: spool, Workers: -1})
	if err != nil {
		panic(err)
	}
	defer svc.Close(ctx)

	api, err := httpapi.New(httpapi.Config{
		Jobs:      svc,
		Auth:      httpapi.AuthenticatorFunc(func(*http.Request) (string, error) { return "acct_example", nil }),
		Payments:  oneCheckout{},
		PublicURL: "https://picfre.example.com/",
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/v1/credits/packs")
	if err != nil {
		panic(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Print(string(b))

	res, err = http.Post(srv.URL+"/v1/credits/checkout", "application/json", strings.NewReader(`{"pack":"starter"}`))
	if err != nil {
		panic(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Print(res.StatusCode, " ", string(b))
	// Output:
	// {"packs":[{"name":"starter","credits":500,"amount":500,"currency":"usd"}]}
	// checkout of starter returning to https://picfre.example.com/?checkout=success
	// 200 {"id":"cs_example","url":"https://checkout.example.com/cs_example"}
}
