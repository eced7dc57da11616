package stix

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ValidTypeName reports whether s follows the STIX type naming rules: 3 to
// 250 characters of a-z, 0-9 and '-', starting with a letter, with no
// trailing or doubled hyphen.
func ValidTypeName(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if s[i-1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// ValidPropertyName reports whether s follows the STIX property naming rules:
// 3 to 250 characters of a-z, 0-9 and '_', starting with a letter.
// (Spec-defined names such as "id" are shorter and are checked by the type
// definitions instead.)
func ValidPropertyName(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ParseID splits a STIX identifier "type--uuid" and checks both parts: the
// type name rules and an RFC 4122 (RFC 9562) UUID: canonical 8-4-4-4-12
// hexadecimal form, the RFC variant, version 1 to 8. It returns the type.
func ParseID(id string) (typ string, uuidVersion int, err error) {
	i := strings.LastIndex(id, "--")
	if i < 0 {
		return "", 0, errors.New(`must be "type--UUID"`)
	}
	typ, u := id[:i], id[i+2:]
	if !ValidTypeName(typ) {
		return "", 0, errors.New("the type part " + quote(typ) + " is not a valid STIX type name")
	}
	v, err := checkUUID(u)
	if err != nil {
		return "", 0, err
	}
	return typ, v, nil
}

func checkUUID(u string) (int, error) {
	if len(u) != 36 {
		return 0, errors.New("the UUID part " + quote(u) + " is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
	}
	for i := 0; i < 36; i++ {
		c := u[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return 0, errors.New("the UUID part " + quote(u) + " is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return 0, errors.New("the UUID part " + quote(u) + " has a non-hexadecimal character")
		}
	}
	ver := int(hexVal(u[14]))
	if ver < 1 || ver > 8 {
		return 0, errors.New("the UUID part " + quote(u) + " has no valid RFC 4122 version (1-8)")
	}
	if v := hexVal(u[19]); v < 8 || v > 11 {
		return 0, errors.New("the UUID part " + quote(u) + " does not have the RFC 4122 variant")
	}
	return ver, nil
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}

// quote returns s as a Go-syntax quoted string for a message, shortened
// when long (at a character boundary, so the message stays valid UTF-8).
func quote(s string) string {
	if len(s) > 80 {
		cut := 77
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
