package webapp_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/payments"
)

// fakeProcessor sells two packs; its checkout page is a page of the test
// server itself, so that the test sees the browser arrive there.
type fakeProcessor struct {
	mu        sync.Mutex
	base      string // the test server's URL, set once it runs
	checkouts []payments.CheckoutRequest
}

func (p *fakeProcessor) Packs() []payments.Pack {
	return []payments.Pack{
		{Name: "starter", Credits: 500, Amount: 500, Currency: "usd"},
		{Name: "pro", Credits: 2000, Amount: 1800, Currency: "eur"},
	}
}

func (p *fakeProcessor) Checkout(_ context.Context, req payments.CheckoutRequest) (payments.Checkout, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkouts = append(p.checkouts, req)
	id := "cs_fake_" + req.Pack
	return payments.Checkout{ID: id, URL: p.base + "/processor/pay?session=" + id}, nil
}

func (p *fakeProcessor) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusOK)
}

// The account section lists the packs; Buy asks for a checkout of that
// pack and the browser goes to the processor's page.
func TestBrowserBuyCredits(t *testing.T) {
	proc := &fakeProcessor{}
	var arrived sync.Map
	paypage := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Store(r.URL.Query().Get("session"), true)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>processor</title><p id="paid">the processor's page</p>`))
	})
	srv := newServerWith(t, 10, func(c *httpapi.Config) { c.Payments = proc },
		map[string]http.Handler{"GET /processor/pay": paypage})
	proc.mu.Lock()
	proc.base = srv.URL
	proc.mu.Unlock()
	ctx := newBrowser(t, 45*time.Second)
	do(t, ctx, "opening the app", chromedp.Navigate(srv.URL+"/?checkout=cancel"))
	waitFor(t, ctx, "the packs", `document.querySelectorAll("#packs button.buy").length === 2 && !document.getElementById("packs-box").hidden`, 15*time.Second)
	packs := eval[[]string](t, ctx, `[...document.querySelectorAll("#packs li")].map(li => li.textContent.trim())`)
	if len(packs) != 2 || !strings.Contains(packs[0], "500 credits") || !strings.Contains(packs[0], "5.00") ||
		!strings.Contains(packs[1], "2000 credits") || !strings.Contains(packs[1], "18.00") {
		t.Errorf("packs shown %q", packs)
	}
	if got := eval[string](t, ctx, `document.getElementById("checkout-state").textContent`); !strings.Contains(got, "canceled") {
		t.Errorf("coming back canceled shows %q", got)
	}
	if !eval[bool](t, ctx, `document.getElementById("owed-state").hidden`) {
		t.Error("an account that owes nothing is shown blocked")
	}

	// The origin is the API's own and not trusted, and no PublicURL is
	// set: the server refuses to make up a return address, and the page
	// says so without leaving.
	do(t, ctx, "buying pro", chromedp.Click(chromedp.CSS(`#packs button[data-pack="pro"]`)))
	waitFor(t, ctx, "the refusal", `document.getElementById("errors").textContent !== ""`, 15*time.Second)
	proc.mu.Lock()
	n := len(proc.checkouts)
	proc.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d checkouts without a return address", n)
	}
	visited := 0
	arrived.Range(func(any, any) bool { visited++; return true })
	if visited != 0 || eval[string](t, ctx, `location.pathname`) != "/" {
		t.Errorf("the browser left the app: %d visits of the processor's page", visited)
	}
}

// TestBrowserBuyCreditsNavigates: with a PublicURL, Buy sends the
// checkout of the pack clicked and the browser lands on the processor's
// page; a balance with credits owed shows the account blocked.
func TestBrowserBuyCreditsNavigates(t *testing.T) {
	proc := &fakeProcessor{}
	var mu sync.Mutex
	var arrived []string
	paypage := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived = append(arrived, r.URL.Query().Get("session"))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>processor</title><p id="paid">the processor's page</p>`))
	})
	var base string
	srv := newServerWith(t, 10, func(c *httpapi.Config) {
		c.Payments = proc
		c.PublicURL = "https://picfre.example.com/"
	}, map[string]http.Handler{"GET /processor/pay": paypage})
	base = srv.URL
	// A top-up spent, then refunded: credits owed, the account blocked.
	bg := context.Background()
	if _, err := srv.ledger.TopUp(bg, metering.TopUp{Account: account, Credits: 30, PaymentRef: "pay-owed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ledger.Adjust(bg, metering.Adjustment{Account: account, Credits: -40, Key: "spent", Reason: "spent"}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ledger.Reverse(bg, metering.Reversal{PaymentRef: "pay-owed", Key: "re_1", Credits: 30, Reason: "refund"}); err != nil {
		t.Fatal(err)
	}
	proc.mu.Lock()
	proc.base = base
	proc.mu.Unlock()
	ctx := newBrowser(t, 45*time.Second)
	do(t, ctx, "opening the app", chromedp.Navigate(base))
	waitFor(t, ctx, "the packs", `document.querySelectorAll("#packs button.buy").length === 2`, 15*time.Second)
	if got := eval[string](t, ctx, `document.getElementById("owed-state").hidden ? "" : document.getElementById("owed-state").textContent`); !strings.Contains(got, "Account blocked: credits owed (30)") {
		t.Errorf("an account owing 30 credits shows %q", got)
	}
	do(t, ctx, "buying pro", chromedp.Click(chromedp.CSS(`#packs button[data-pack="pro"]`)))
	// The page navigates away: evaluations fail while it does, so the
	// wait is a loop that tolerates them.
	deadline := time.Now().Add(15 * time.Second)
	for {
		on, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.pathname === "/processor/pay" && !!document.getElementById("paid")`))
		if err == nil && on {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the browser did not reach the processor's page: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := eval[string](t, ctx, `location.search`); got != "?session=cs_fake_pro" {
		t.Errorf("landed on %q", got)
	}
	proc.mu.Lock()
	reqs := append([]payments.CheckoutRequest(nil), proc.checkouts...)
	proc.mu.Unlock()
	if len(reqs) != 1 || reqs[0].Pack != "pro" || reqs[0].Account != account ||
		reqs[0].SuccessURL != "https://picfre.example.com/?checkout=success" {
		t.Errorf("checkouts %+v", reqs)
	}
	mu.Lock()
	if len(arrived) != 1 || arrived[0] != "cs_fake_pro" {
		t.Errorf("the processor's page was visited with %q", arrived)
	}
	mu.Unlock()
}
