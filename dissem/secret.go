package dissem

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/tearline/tearline"
)

// MinSecret is the shortest webhook secret accepted.
const MinSecret = 16

// NewSecret returns a new random webhook secret.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return "whsec_" + hex.EncodeToString(b[:])
}

// CheckWebhookURL refuses what cannot be a webhook URL: not absolute http
// or https, no host, credentials, or a fragment. EINVALID naming
// webhook.url.
func CheckWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return tearline.Errorf(tearline.EINVALID, "webhook.url: empty; give the http or https URL deliveries are POSTed to")
	case err != nil:
		return tearline.Errorf(tearline.EINVALID, "webhook.url: not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return tearline.Errorf(tearline.EINVALID, "webhook.url: scheme %q; use http or https", u.Scheme)
	case u.Host == "":
		return tearline.Errorf(tearline.EINVALID, "webhook.url: no host")
	case u.User != nil:
		return tearline.Errorf(tearline.EINVALID, "webhook.url: holds credentials; deliveries are authenticated by their signature")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return tearline.Errorf(tearline.EINVALID, "webhook.url: holds a fragment (#...)")
	}
	return nil
}
