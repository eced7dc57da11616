package auth

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/tearline/tearline"
)

// ParseCertificatePEM reads the first certificate of a PEM file and returns
// a binding with its fingerprint and subject filled in.
func ParseCertificatePEM(data []byte) (*tearline.Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no PEM CERTIFICATE block found")
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		return &tearline.Certificate{Fingerprint: CertificateFingerprint(c.Raw), Subject: c.Subject.String()}, nil
	}
}
