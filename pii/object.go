package pii

import (
	"fmt"
	"strings"
)

// Options controls what ScanObject flags.
type Options struct {
	// FlagIdentifiers flags, as PossiblePII, the values that identify an
	// account or a mailbox: the local part of email-addr values, the
	// user_id and account_login of user-account objects, and in STIX
	// indicator patterns the literals compared with email-addr:value,
	// email-message:*_ref(s).value or user-account:user_id,
	// account_login and display_name. Role mailboxes and built-in system
	// accounts (root, Administrator, SYSTEM, ...) are not flagged.
	FlagIdentifiers bool
}

// Finding is one span of personal data in a string of a STIX object.
type Finding struct {
	// Path is the JSON path of the string in the object: member names
	// joined by dots, array indexes in brackets, such as description,
	// external_references[2].description or x_acme_notes.comment. A member
	// name made of other characters than letters, digits, '_' and '-' is
	// written as a quoted index: x_acme["odd name"].
	Path string `json:"path"`
	// Start and End are byte offsets in the decoded string (the string as
	// JSON unescapes it, not its encoding in the object's bytes).
	Start int  `json:"start"`
	End   int  `json:"end"`
	Kind  Kind `json:"kind"`
}

// String describes the finding without the text it covers, as
// description[12:31] email.
func (f Finding) String() string {
	return fmt.Sprintf("%s[%d:%d] %s", f.Path, f.Start, f.End, f.Kind)
}

// ScanObject scans the free-text properties of one STIX object, given as
// the JSON bytes of the object as submitted, and returns its findings in
// document order (nil when there are none). Which properties are scanned
// is described in the package documentation.
//
// It returns an error, a *stix.SyntaxError with the offset and path of the
// fault, when raw is not one well-formed JSON object; it does not otherwise
// validate the object.
func ScanObject(raw []byte, opts Options) ([]Finding, error) {
	h, err := skimHead(raw)
	if err != nil {
		return nil, fmt.Errorf("pii: scan object: %w", err)
	}
	var out []Finding
	var spans []Span
	var buf []byte
	w := walker{d: raw}
	w.top = func(name []byte) mode { return topMode(h, string(name), opts) }
	w.visit = func(start, end int, esc bool, m mode) error {
		var text string
		if esc {
			b, _, err := unquote(raw[start:end], buf[:0], false)
			if err != nil {
				return w.fail(start, err.Error())
			}
			buf = b
			text = string(b)
		} else {
			text = string(raw[start+1 : end-1])
		}
		spans = spans[:0]
		switch m {
		case modeText:
			spans = appendSpans(spans, text)
		case modeIdent:
			if !systemAccount(text) {
				spans = identifierSpan(spans, text, 0, len(text), false)
			}
		case modeEmailValue:
			spans = identifierSpan(spans, text, 0, len(text), true)
		case modePattern:
			spans = patternIdentifiers(spans, text)
		}
		if len(spans) > 0 {
			path := w.pathString()
			for _, sp := range spans {
				out = append(out, Finding{Path: path, Start: sp.Start, End: sp.End, Kind: sp.Kind})
			}
		}
		return nil
	}
	if err := w.walkObject(); err != nil {
		return nil, fmt.Errorf("pii: scan object: %w", err)
	}
	return out, nil
}

// head is what the choice of properties depends on.
type head struct {
	typ           string
	patternType   string
	identityClass string
}

// skimHead reads the type, pattern_type and identity_class members of the
// top-level object without walking anything else.
func skimHead(d []byte) (head, error) {
	var h head
	var seen, seenPT, seenIC bool
	w := walker{d: d}
	w.top = func(name []byte) mode {
		switch string(name) {
		case "type", "pattern_type", "identity_class":
			return modeAll
		}
		return modeNone
	}
	w.visit = func(start, end int, esc bool, m mode) error {
		if len(w.path) != 1 {
			return nil
		}
		s := w.path[0]
		v := string(d[start+1 : end-1])
		if esc {
			b, _, err := unquote(d[start:end], nil, false)
			if err != nil {
				return w.fail(start, err.Error())
			}
			v = string(b)
		}
		switch string(d[s.start:s.end]) {
		case "type":
			h.typ, seen = v, true
		case "pattern_type":
			h.patternType, seenPT = v, true
		case "identity_class":
			h.identityClass, seenIC = v, true
		}
		// Stop as soon as nothing more is needed; the main walk checks
		// the rest of the object.
		if seen && (h.typ != "indicator" || seenPT) && (h.typ != "identity" || seenIC) {
			return errHeadDone
		}
		return nil
	}
	if err := w.walkObject(); err != nil && err != errHeadDone {
		return h, err
	}
	return h, nil
}

// errHeadDone stops skimHead's walk once the head is known.
const errHeadDone = syntaxMsg("head read")

// textProps are the free-text properties scanned on every object.
var textProps = map[string]bool{
	"name": true, "description": true, "labels": true, "aliases": true,
	"objective": true, "goals": true,
}

// typeTextProps are the free-text properties of particular types.
var typeTextProps = map[string]map[string]bool{
	"note":          {"abstract": true, "content": true, "authors": true},
	"opinion":       {"explanation": true, "authors": true},
	"email-message": {"subject": true, "body": true},
	"user-account":  {"display_name": true},
}

// topMode is the mode of the top-level property name of an object.
func topMode(h head, name string, opts Options) mode {
	switch {
	case textProps[name], typeTextProps[h.typ][name]:
		return modeText
	case strings.HasPrefix(name, "x_") && len(name) > 2:
		return modeText
	case name == "external_references":
		return modeExtRefs
	case name == "body_multipart" && h.typ == "email-message":
		return modeMultipart
	case name == "contact_information" && h.typ == "identity" && h.identityClass == "individual":
		return modeText
	}
	if !opts.FlagIdentifiers {
		return modeNone
	}
	switch {
	case h.typ == "email-addr" && name == "value":
		return modeEmailValue
	case h.typ == "user-account" && (name == "user_id" || name == "account_login"):
		return modeIdent
	case h.typ == "indicator" && name == "pattern" && (h.patternType == "stix" || h.patternType == ""):
		return modePattern
	}
	return modeNone
}

// systemAccounts are built-in accounts of operating systems, which belong
// to no person (compared lower-case).
var systemAccounts = map[string]bool{
	"root": true, "administrator": true, "admin": true, "system": true, "guest": true,
	"nobody": true, "daemon": true, "bin": true, "sys": true, "www-data": true,
	"local service": true, "network service": true, "localsystem": true,
	"nt authority\\system": true, "defaultaccount": true, "wdagutilityaccount": true,
	"krbtgt": true, "0": true,
}

func systemAccount(v string) bool { return systemAccounts[strings.ToLower(v)] }
