package pii

import "strings"

// Limits of RFC 5321: 64 bytes before the @, 253 after.
const (
	maxLocal  = 64
	maxDomain = 253
)

// localByte marks the bytes an address's local part may hold here: the
// characters people's addresses use, not every RFC 5322 atext character (a
// quote or a slash before an address is punctuation, not part of it).
var localByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c))
	}
	for _, c := range []byte("._%+-") {
		t[c] = true
	}
	return t
}()

// domainByte marks the bytes of a host name.
var domainByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c))
	}
	t['.'], t['-'] = true, true
	return t
}()

// email returns the span of the address around the @ at at, if it is an
// address of a person.
func email(s string, at int) (start, end int, ok bool) {
	start = at
	for start > 0 && localByte[s[start-1]] {
		start--
		if at-start > maxLocal {
			return 0, 0, false
		}
	}
	// Leading punctuation belongs to the sentence ("-john@..." is rare,
	// "...+john" even more so).
	for start < at && (s[start] == '.' || s[start] == '-' || s[start] == '+' || s[start] == '%') {
		start++
	}
	if start == at || s[at-1] == '.' || strings.Contains(s[start:at], "..") {
		return 0, 0, false
	}
	if start > 0 {
		switch p := s[start-1]; {
		case p == '@', p == '/', p == '\\':
			// Another address's domain, or a URL's user information
			// (http://user@host, often an obfuscation trick), is not a
			// free-standing address.
			return 0, 0, false
		case p == ':' && !hasSuffixFold(s[:start-1], "mailto"):
			return 0, 0, false
		}
	}
	end = at + 1
	for end < len(s) && domainByte[s[end]] {
		end++
		if end-at-1 > maxDomain {
			return 0, 0, false
		}
	}
	// A trailing dot or hyphen ends the sentence, not the domain.
	for end > at+1 && (s[end-1] == '.' || s[end-1] == '-') {
		end--
	}
	if end < len(s) {
		if c := s[end]; c == '@' || c == '_' {
			return 0, 0, false
		}
	}
	domain := s[at+1 : end]
	if !hostName(domain) {
		return 0, 0, false
	}
	if !personal(s[start:at], domain) {
		return 0, 0, false
	}
	return start, end, true
}

// hostName reports whether d is a host name with a top-level domain of
// letters: two or more labels of letters, digits and inner hyphens.
func hostName(d string) bool {
	labels := 0
	last := ""
	for len(d) > 0 {
		i := strings.IndexByte(d, '.')
		var label string
		if i < 0 {
			label, d = d, ""
		} else {
			label, d = d[:i], d[i+1:]
			if d == "" {
				return false
			}
		}
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		labels++
		last = label
	}
	if labels < 2 || len(last) < 2 {
		return false
	}
	if strings.HasPrefix(last, "xn--") {
		return true
	}
	for i := 0; i < len(last); i++ {
		if !isAlpha(last[i]) {
			return false
		}
	}
	return true
}

// personal reports whether the address local@domain may belong to a person:
// it is not a role mailbox and not at a domain reserved for documentation.
func personal(local, domain string) bool {
	return !roleMailbox(local) && !reservedDomain(domain)
}

// roleMailboxWords are the words role mailboxes are made of. A local part
// made only of these words (split at '.', '-' and '_', ignoring a +tag and
// digits) is an organization's mailbox, not a person's: abuse@, security@,
// soc@, cert@, noc@, info@, no-reply@, security-team@, cert.report@ and the
// like are published to be contacted and are commonly shared in CTI.
var roleMailboxWords = map[string]bool{
	"abuse": true, "admin": true, "administrator": true, "alert": true, "alerts": true,
	"billing": true, "bounce": true, "bounces": true, "cert": true, "cirt": true,
	"contact": true, "contacts": true, "csirt": true, "daemon": true, "dmarc": true,
	"do": true, "donotreply": true, "enquiries": true, "enquiry": true, "feedback": true,
	"git": true, "help": true, "helpdesk": true, "hostmaster": true, "incident": true,
	"incidents": true, "info": true, "information": true, "it": true, "mail": true,
	"mailer": true, "marketing": true, "media": true, "news": true, "newsletter": true,
	"no": true, "noc": true, "noreply": true, "not": true, "notifications": true,
	"notification": true, "office": true, "ops": true, "phishing": true, "postmaster": true,
	"press": true, "privacy": true, "psirt": true, "reply": true, "report": true,
	"reports": true, "root": true, "sales": true, "secops": true, "security": true,
	"service": true, "soc": true, "spam": true, "support": true, "sysadmin": true,
	"team": true, "tech": true, "vulnerability": true, "vuln": true, "webmaster": true,
	"www": true, "hr": true, "jobs": true, "careers": true, "legal": true, "dpo": true,
	"gdpr": true, "compliance": true, "ciso": true, "cti": true, "intel": true,
	"threatintel": true, "disclosure": true, "bugbounty": true, "bug": true, "bounty": true,
}

// roleMailbox reports whether local is a role mailbox (see roleMailboxWords).
func roleMailbox(local string) bool {
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	words := 0
	for w := range strings.FieldsFuncSeq(local, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		if strings.Trim(w, "0123456789") == "" {
			continue
		}
		if !roleMailboxWords[asciiLower(w)] {
			return false
		}
		words++
	}
	return words > 0
}

// reservedDomain reports whether d is reserved for documentation and tests
// (RFC 2606, RFC 6761): example.com, example.net, example.org and their
// subdomains, and the .example, .test, .invalid and .localhost top-level
// domains. No person receives mail there.
func reservedDomain(d string) bool {
	d = asciiLower(d)
	for _, r := range []string{"example.com", "example.net", "example.org"} {
		if d == r || strings.HasSuffix(d, "."+r) {
			return true
		}
	}
	for _, tld := range []string{".example", ".test", ".invalid", ".localhost"} {
		if strings.HasSuffix(d, tld) {
			return true
		}
	}
	return false
}

// asciiLower lower-cases the ASCII letters of s, allocating only when s has
// an upper-case letter.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if isUpper(s[i]) {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}

// hasSuffixFold reports whether s ends with the lower-case ASCII word kw,
// ignoring case.
func hasSuffixFold(s, kw string) bool {
	return len(s) >= len(kw) && hasPrefixFold(s, len(s)-len(kw), kw)
}
