package pii

import (
	"fmt"
	"strings"
	"sync"
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
	sc := scanPool.Get().(*objectScan)
	defer sc.release()
	sc.opts = opts
	sc.w = walker{d: raw, path: sc.w.path[:0], h: sc}
	sc.skim = true
	if err := sc.w.walkObject(); err != nil && err != errHeadDone {
		return nil, fmt.Errorf("pii: scan object: %w", err)
	}
	sc.skim = false
	sc.w.path = sc.w.path[:0]
	if err := sc.w.walkObject(); err != nil {
		return nil, fmt.Errorf("pii: scan object: %w", err)
	}
	return sc.out, nil
}

// objectScan is the state of one ScanObject, recycled through scanPool.
// It walks the object twice: a skim that stops as soon as it has read the
// head, then the scan.
type objectScan struct {
	w     walker
	opts  Options
	head  head
	skim  bool
	seen  [3]bool // type, pattern_type, identity_class read by the skim
	spans []Span
	buf   []byte
	out   []Finding
}

var scanPool = sync.Pool{New: func() any { return new(objectScan) }}

// release returns sc to the pool, keeping its scratch buffers unless they
// grew large, and dropping the references to the caller's data.
func (sc *objectScan) release() {
	const keep = 1 << 16
	clear(sc.buf[:cap(sc.buf)]) // decoded text may be personal data
	*sc = objectScan{w: walker{path: sc.w.path[:0]}, spans: sc.spans[:0], buf: sc.buf[:0]}
	if cap(sc.spans) > keep/16 || cap(sc.buf) > keep {
		sc.spans, sc.buf = nil, nil
	}
	scanPool.Put(sc)
}

// head is what the choice of properties depends on.
type head struct {
	typ           string
	patternType   string
	identityClass string
}

// headProps are the top-level properties the skim reads.
var headProps = [3]string{"type", "pattern_type", "identity_class"}

// errHeadDone stops the skim once the head is known.
const errHeadDone = syntaxMsg("head read")

func (sc *objectScan) top(name []byte) mode {
	if sc.skim {
		for _, p := range headProps {
			if string(name) == p {
				return modeAll
			}
		}
		return modeNone
	}
	return topMode(sc.head, string(name), sc.opts)
}

func (sc *objectScan) visit(start, end int, esc bool, m mode) error {
	raw := sc.w.d
	var text string
	if esc {
		b, _, err := unquote(raw[start:end], sc.buf[:0], false)
		if err != nil {
			return sc.w.fail(start, err.Error())
		}
		sc.buf = b
		text = view(b)
	} else {
		text = view(raw[start+1 : end-1])
	}
	if sc.skim {
		return sc.skimmed(text)
	}
	spans := sc.spans[:0]
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
	sc.spans = spans
	if len(spans) > 0 {
		path := sc.w.pathString()
		for _, sp := range spans {
			sc.out = append(sc.out, Finding{Path: path, Start: sp.Start, End: sp.End, Kind: sp.Kind})
		}
	}
	return nil
}

// skimmed records a head property read by the skim, and stops the skim as
// soon as nothing more is needed.
func (sc *objectScan) skimmed(v string) error {
	if len(sc.w.path) != 1 {
		return nil
	}
	s := sc.w.path[0]
	name := sc.w.d[s.start:s.end]
	h := &sc.head
	switch string(name) {
	case "type":
		h.typ, sc.seen[0] = strings.Clone(v), true
	case "pattern_type":
		h.patternType, sc.seen[1] = strings.Clone(v), true
	case "identity_class":
		h.identityClass, sc.seen[2] = strings.Clone(v), true
	}
	if sc.seen[0] && (h.typ != "indicator" || sc.seen[1]) && (h.typ != "identity" || sc.seen[2]) {
		return errHeadDone
	}
	return nil
}

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
