package pii

import "strings"

// What a comparison in a STIX pattern compares: which literals identify a
// person.
const (
	pathOther = iota
	pathEmail // an email address (email-addr:value, email-message:from_ref.value, ...)
	pathIdent // a user account's user_id, account_login or display_name
)

// patternIdentifiers appends a PossiblePII span for each string literal of
// the STIX pattern p that is compared with an email address or a user
// account identifier: for an address, its local part (the domain names an
// organization); otherwise the whole literal. It reads the pattern with a
// one-pass tokenizer and never fails: malformed patterns yield what could be
// read.
func patternIdentifiers(dst []Span, p string) []Span {
	cur := pathOther
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			end := literalEnd(p, i)
			if cur != pathOther {
				content := end
				if end > i+1 && p[end-1] == '\'' {
					content = end - 1
				}
				dst = identifierSpan(dst, p, i+1, content, cur == pathEmail)
			}
			i = end
		case isAlpha(c):
			if (c == 't' || c == 'h' || c == 'b') && i+1 < len(p) && p[i+1] == '\'' {
				i = literalEnd(p, i+1) // a timestamp, hex or binary literal
				continue
			}
			j := pathEnd(p, i)
			tok := p[i:j]
			switch {
			case strings.IndexByte(tok, ':') > 0:
				cur = classifyPath(tok)
			case tok == "AND" || tok == "OR" || tok == "FOLLOWEDBY":
				cur = pathOther
			}
			i = j
		case c == ']':
			cur = pathOther
			i++
		default:
			i++
		}
	}
	return dst
}

// literalEnd returns the offset past the string literal whose opening quote
// is at i (a backslash escapes the next character), or len(p) when it is
// not closed.
func literalEnd(p string, i int) int {
	for j := i + 1; j < len(p); j++ {
		switch p[j] {
		case '\\':
			j++
		case '\'':
			return j + 1
		}
	}
	return len(p)
}

// pathEnd returns the end of an object path or keyword starting at i,
// including quoted path components (file:hashes.'SHA-256').
func pathEnd(p string, i int) int {
	j := i
	for j < len(p) {
		c := p[j]
		switch {
		case isWord(c) || c == '-' || c == ':' || c == '.' || c == '[' || c == ']' && j > i && strings.IndexByte(p[i:j], '[') >= 0 || c == '*':
			j++
		case c == '\'' && j > i && p[j-1] == '.':
			j = literalEnd(p, j)
		default:
			return j
		}
	}
	return j
}

// classifyPath tells what an object path such as email-addr:value or
// email-message:to_refs[*].value compares.
func classifyPath(path string) int {
	typ, prop, _ := strings.Cut(path, ":")
	switch typ {
	case "email-addr":
		if prop == "value" {
			return pathEmail
		}
	case "user-account":
		switch prop {
		case "user_id", "account_login", "display_name":
			return pathIdent
		}
	case "email-message":
		ref, rest, _ := strings.Cut(prop, ".")
		if i := strings.IndexByte(ref, '['); i >= 0 {
			ref = ref[:i]
		}
		switch ref {
		case "from_ref", "sender_ref", "to_refs", "cc_refs", "bcc_refs":
			if rest == "value" {
				return pathEmail
			}
		}
	}
	return pathOther
}

// identifierSpan appends the PossiblePII span of the identifier in
// s[start:end]: for an email address, its local part unless it is a role
// mailbox or at a reserved domain; otherwise all of it. Text without a
// letter or digit identifies no one.
func identifierSpan(dst []Span, s string, start, end int, isEmail bool) []Span {
	v := s[start:end]
	if isEmail {
		if at := strings.LastIndexByte(v, '@'); at >= 0 {
			local, domain := v[:at], v[at+1:]
			if !personal(local, domain) {
				return dst
			}
			end = start + at
			v = local
		}
	}
	if isPlaceholder(strings.Trim(v, `"`)) {
		return dst // redacted already
	}
	for i := 0; i < len(v); i++ {
		if isAlnum(v[i]) || v[i] >= 0x80 {
			return append(dst, Span{start, end, PossiblePII})
		}
	}
	return dst
}

// isPlaceholder reports whether v is a placeholder Redact wrote.
func isPlaceholder(v string) bool {
	if !strings.HasPrefix(v, "[REDACTED:") || !strings.HasSuffix(v, "]") {
		return false
	}
	_, err := ParseKind(v[len("[REDACTED:") : len(v)-1])
	return err == nil
}
