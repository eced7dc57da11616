package normalize

import (
	"crypto/x509"
	"encoding/pem"
	"net/mail"
	"strings"

	"github.com/tearline/tearline"
)

// maxContactField is the longest text member of a contact, in bytes;
// armored keys and certificates may be longer (maxContactKey).
const (
	maxContactField = 500
	maxContactKey   = 64 << 10
)

// checkContact trims c's members and checks them, naming path (such as
// "contacts[0]") in errors: EINVALID for an email that is not one bare
// address, a phone number with characters other than digits, spaces and
// + - ( ) ., a PGP key that is neither a fingerprint (40 hex digits), a
// key id (16) nor an armored public key block, an S/MIME certificate that is not one
// PEM-encoded X.509 certificate, or a member too long.
func checkContact(c *tearline.Contact, path string) error {
	bad := func(field, format string, args ...any) error {
		return tearline.Errorf(tearline.EINVALID, "%s.%s: "+format, append([]any{path, field}, args...)...)
	}
	c.Role, c.Email, c.Phone, c.Hours = strings.TrimSpace(c.Role), strings.TrimSpace(c.Email), strings.TrimSpace(c.Phone), strings.TrimSpace(c.Hours)
	c.PGPKey, c.SMIME = strings.TrimSpace(c.PGPKey), strings.TrimSpace(c.SMIME)
	for field, v := range map[string]string{"name": c.Name, "role": c.Role, "email": c.Email, "phone": c.Phone, "hours": c.Hours} {
		if len(v) > maxContactField {
			return bad(field, "%d bytes; at most %d", len(v), maxContactField)
		}
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			return bad("email", "%q is not an email address such as soc@example.org", c.Email)
		}
	}
	if c.Phone != "" {
		digits := 0
		for _, r := range c.Phone {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case strings.ContainsRune(" +-().", r):
			default:
				return bad("phone", "%q: use digits, spaces and + - ( ) . only, e.g. +33 1 23 45 67 89", c.Phone)
			}
		}
		if digits < 3 {
			return bad("phone", "%q has too few digits", c.Phone)
		}
	}
	if c.PGPKey != "" {
		if len(c.PGPKey) > maxContactKey {
			return bad("pgp_key", "%d bytes; at most %d", len(c.PGPKey), maxContactKey)
		}
		fp := strings.ToUpper(strings.ReplaceAll(c.PGPKey, " ", ""))
		switch {
		case strings.HasPrefix(c.PGPKey, "-----BEGIN PGP PUBLIC KEY BLOCK-----") && strings.HasSuffix(c.PGPKey, "-----END PGP PUBLIC KEY BLOCK-----"):
		case (len(fp) == 16 || len(fp) == 40) && strings.Trim(fp, "0123456789ABCDEF") == "":
		default:
			return bad("pgp_key", "give the key's fingerprint (40 hex digits) or id (16), or its armored public key block")
		}
	}
	if c.SMIME != "" {
		if len(c.SMIME) > maxContactKey {
			return bad("smime_certificate", "%d bytes; at most %d", len(c.SMIME), maxContactKey)
		}
		block, rest := pem.Decode([]byte(c.SMIME))
		if block == nil || block.Type != "CERTIFICATE" || len(strings.TrimSpace(string(rest))) > 0 {
			return bad("smime_certificate", "give one PEM-encoded certificate (-----BEGIN CERTIFICATE-----)")
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return bad("smime_certificate", "not an X.509 certificate: %v", err)
		}
	}
	return nil
}
