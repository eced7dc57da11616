package taxii

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/dissem"
)

// FuzzSubscriptionForm reads any body as the JSON form of POST
// /api/v1/subscriptions/ (its filter and webhook, as createSubscription
// reads them): it never panics, refuses with EINVALID or ETOOLARGE only,
// and a webhook it accepts has a URL that passes the URL check and a
// secret of the minimum length, shown once.
func FuzzSubscriptionForm(f *testing.F) {
	for _, s := range []string{
		`{"org":"acme","name":"energy","filter":{"sectors":["energy"]},"webhook":{"url":"https://hooks.example/t","secret":"0123456789abcdef0123456789abcdef"}}`,
		`{"org":"acme","filter":{},"webhook":{"url":"http://127.0.0.1:9/x"}}`,
		`{"org":"acme","filter":{"types":["indicator"],"max_tlp":"amber"},"webhook":null}`,
		`{"org":"acme","filter":{},"webhook":{"url":"https://u:p@h/"}}`,
		`{"org":"acme","filter":{},"webhook":{"secret":"short"}}`,
		`{"org":"acme","filter":[],"webhook":{"url":"javascript:x"}}`,
		`{"org":1}`, `{} {}`, ``, `{"unknown":true}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/subscriptions/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req subscriptionRequest
		refused := func(what string, err error) bool {
			if err == nil {
				return false
			}
			if c := tearline.ErrorCode(err); c != tearline.EINVALID && c != tearline.ETOOLARGE {
				t.Fatalf("%s of %q: %v is not EINVALID", what, body, err)
			}
			return true
		}
		if refused("decode", decodeJSON(httptest.NewRecorder(), r, &req)) {
			return
		}
		if req.Filter != nil {
			if _, err := checkFilter(req.Filter); refused("filter", err) {
				return
			}
		}
		if req.Webhook == nil {
			return
		}
		sub := &tearline.Subscription{}
		secret, err := applyWebhook(sub, *req.Webhook, true)
		if refused("webhook", err) {
			return
		}
		if sub.WebhookURL == "" {
			if sub.WebhookSecret != "" || secret != "" {
				t.Fatalf("%q: a secret without a webhook", body)
			}
			return
		}
		if err := dissem.CheckWebhookURL(sub.WebhookURL); err != nil {
			t.Fatalf("%q: accepted webhook URL %q: %v", body, sub.WebhookURL, err)
		}
		if len(sub.WebhookSecret) < dissem.MinSecret || secret != sub.WebhookSecret {
			t.Fatalf("%q: secret %q shown as %q", body, sub.WebhookSecret, secret)
		}
	})
}
