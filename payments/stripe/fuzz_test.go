package stripe_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stripe/stripe-go/v84/webhook"
)

// FuzzWebhook delivers arbitrary bodies, either with an arbitrary header
// (which must never be accepted) or signed with a configured secret (which
// must never panic and answer only the documented statuses).
func FuzzWebhook(f *testing.F) {
	f.Add(sessionEvent("evt_1", "checkout.session.completed", paidPro("acct", "pi_1")), "t=1,v1=00", true)
	f.Add(refundEvent("evt_2", "pi_1", 900, 0, true, refund{"re_1", 900}), "", true)
	f.Add(refundEvent("evt_3", "pi_1", 1800, 900, false), "", true)
	f.Add(disputeEvent("evt_4", "du_1", "pi_1", "lost"), "", true)
	f.Add([]byte(`{"object":"event","id":"e","type":"charge.refunded","data":{"object":{"id":"ch","amount":-1,"amount_refunded":9223372036854775807,"payment_intent":"pi_1"}}}`), "", true)
	f.Add([]byte(`{}`), "t=1700000000,v1=deadbeef", false)
	f.Add([]byte(`{"object":"event","id":"e","type":"charge.dispute.closed"}`), "", true)
	f.Fuzz(func(t *testing.T, body []byte, header string, sign bool) {
		h := newHook(t, newLedger(t), nil)
		h.deliver(t, sessionEvent("evt_seed", "checkout.session.completed", paidPro("acct", "pi_1")))
		before := h.balance(t, "acct")
		if sign {
			header = h.sign(body, newSecret)
		}
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Stripe-Signature", header)
		w := httptest.NewRecorder()
		h.p.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusServiceUnavailable:
			if !sign && webhook.ValidatePayloadIgnoringTolerance(body, header, oldSecret) != nil &&
				webhook.ValidatePayloadIgnoringTolerance(body, header, newSecret) != nil {
				t.Fatalf("status %d without a valid signature", w.Code)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if after := h.balance(t, "acct"); after != before {
				t.Fatalf("a refused request changed the balance: %+v -> %+v", before, after)
			}
		default:
			t.Fatalf("status %d", w.Code)
		}
		if after := h.balance(t, "acct"); after.Credits < 0 || after.Credits > before.Credits+2000*64 {
			t.Fatalf("balance %+v", after)
		}
	})
}
