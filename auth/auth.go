package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/tearline/tearline"
)

// Authenticator resolves the caller of an HTTP request.
type Authenticator struct {
	Dir tearline.Directory
}

// Authenticate returns the principal of r, from its Authorization header
// when it has one ("Bearer TOKEN", "Token TOKEN", or HTTP Basic with the
// token as password), else from a TLS client certificate bound to an
// organization. It returns (nil, nil)
// when the request carries no credentials, and an EUNAUTHORIZED error for
// credentials that are wrong, unknown or revoked.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (*tearline.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, err := parseAuthorization(h)
		if err != nil {
			return nil, err
		}
		return a.token(ctx, tok)
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return a.certificate(ctx, CertificateFingerprint(r.TLS.PeerCertificates[0].Raw))
	}
	return nil, nil
}

// parseAuthorization returns the token of an Authorization header value:
// "Bearer TOKEN", "Token TOKEN" (the scheme in any case, the token trimmed
// of spaces) or HTTP Basic with the token as password (any user name). It
// returns an EUNAUTHORIZED error for other schemes and malformed Basic
// credentials.
func parseAuthorization(h string) (string, error) {
	scheme, cred, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer", "token": // "Token" is what taxii2-client's TokenAuth sends
		return strings.TrimSpace(cred), nil
	case "basic":
		// As net/http's Request.BasicAuth reads it.
		dec, err := base64.StdEncoding.DecodeString(cred)
		_, pass, ok := strings.Cut(string(dec), ":")
		if err != nil || !ok {
			return "", tearline.Errorf(tearline.EUNAUTHORIZED, "malformed HTTP Basic credentials")
		}
		return pass, nil
	default:
		return "", tearline.Errorf(tearline.EUNAUTHORIZED, "unsupported authorization scheme %q: use Bearer TOKEN or Basic with the token as password", scheme)
	}
}

// absentHash is compared with the secret of a token whose key id is
// unknown, so that the answer takes as long as for a wrong secret.
var absentHash = HashSecret("")

func (a *Authenticator) token(ctx context.Context, s string) (*tearline.Principal, error) {
	t, err := ParseToken(s)
	if err != nil {
		return nil, tearline.Errorf(tearline.EUNAUTHORIZED, "%v", err)
	}
	key, hash, err := a.Dir.FindAPIKey(ctx, t.KeyID)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		SecretMatches(t.Secret, absentHash)
	}
	if tearline.ErrorCode(err) == tearline.ENOTFOUND || err == nil && !SecretMatches(t.Secret, hash) {
		return nil, tearline.Errorf(tearline.EUNAUTHORIZED, "unknown API token")
	} else if err != nil {
		return nil, fmt.Errorf("auth: find API key %s: %w", t.KeyID, err)
	}
	if !key.Revoked.IsZero() {
		return nil, tearline.Errorf(tearline.EUNAUTHORIZED, "API token %s was revoked", key.ID)
	}
	org, err := a.Dir.FindOrganization(ctx, key.OrgID)
	if err != nil {
		return nil, fmt.Errorf("auth: organization %s of API key %s: %w", key.OrgID, key.ID, err)
	}
	return &tearline.Principal{Org: org, Role: key.Role, KeyID: key.ID}, nil
}

func (a *Authenticator) certificate(ctx context.Context, fingerprint string) (*tearline.Principal, error) {
	c, err := a.Dir.FindCertificate(ctx, fingerprint)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Errorf(tearline.EUNAUTHORIZED, "client certificate %s is not bound to an organization", fingerprint)
	} else if err != nil {
		return nil, fmt.Errorf("auth: find client certificate %s: %w", fingerprint, err)
	}
	org, err := a.Dir.FindOrganization(ctx, c.OrgID)
	if err != nil {
		return nil, fmt.Errorf("auth: organization %s of client certificate %s: %w", c.OrgID, fingerprint, err)
	}
	return &tearline.Principal{Org: org, Role: c.Role, KeyID: fingerprint}, nil
}

// CertificateFingerprint returns the lower-case hex SHA-256 of a DER
// certificate, the form used in tearline.Certificate.
func CertificateFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}
