package pii

import (
	"fmt"
	"strconv"
)

// Kind is the kind of personal data a span holds. Its names (String) are
// stable: they appear in redacted text ([REDACTED:email]), in redaction
// records and in receipts.
type Kind uint8

// The kinds. The zero Kind is not a kind of personal data and never appears
// in a Span or Finding.
const (
	Email       Kind = iota + 1 // an email address of a person
	Phone                       // a phone number
	SSN                         // a US social security number
	Card                        // a payment card number
	IBAN                        // an international bank account number
	Passport                    // a passport number next to a passport keyword
	Address                     // a street address
	PossiblePII                 // an identifier flagged by policy (Options.FlagIdentifiers)
)

var kindNames = [...]string{
	Email:       "email",
	Phone:       "phone",
	SSN:         "ssn",
	Card:        "card",
	IBAN:        "iban",
	Passport:    "passport",
	Address:     "address",
	PossiblePII: "possible-pii",
}

// Kinds lists every kind, in the order of the constants.
func Kinds() []Kind {
	return []Kind{Email, Phone, SSN, Card, IBAN, Passport, Address, PossiblePII}
}

// String returns the kind's stable lower-case name, such as "email" or
// "possible-pii".
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind returns the kind called name (as String returns it). It returns
// an error for any other name.
func ParseKind(name string) (Kind, error) {
	for k := Email; k <= PossiblePII; k++ {
		if kindNames[k] == name {
			return k, nil
		}
	}
	return 0, fmt.Errorf("pii: unknown kind %q", name)
}

// MarshalText encodes the kind as its name, so that it appears by name in
// JSON. It returns an error for a value that is not a kind.
func (k Kind) MarshalText() ([]byte, error) {
	if k == 0 || int(k) >= len(kindNames) {
		return nil, fmt.Errorf("pii: invalid kind %d", k)
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText decodes a kind's name. It returns an error for an unknown
// name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}
