package match

import (
	"encoding/binary"
	"net/netip"
	"strings"

	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/stix/pattern"
)

// visitor receives each value an object path reaches: the value, the type
// of the object that holds it, and the path steps after the last reference
// followed (the value's path within that object). It returns true to stop
// the walk.
type visitor interface {
	visit(v Value, owner string, rel []pattern.Step) bool
}

// walk calls fn with each value that path reaches from object oi of obs,
// following references (a key step on a reference continues on the
// referenced object), list indexes and [*]. A step that does not fit the
// value (a key on a list, an index on a string, a missing key, a
// reference to no object) reaches nothing. It reports whether fn stopped
// the walk.
func walk(obs *Observation, oi int, path []pattern.Step, fn visitor) bool {
	o := &obs.Objects[oi]
	return walkProps(obs, o.Props, o.Type, path, 0, 0, fn)
}

// walkProps continues the walk at step i on the members of a dictionary
// (or object) of an object of type owner whose own path started at step
// rel.
func walkProps(obs *Observation, props []Prop, owner string, path []pattern.Step, i, rel int, fn visitor) bool {
	s := path[i]
	if s.Kind != pattern.StepKey {
		return false
	}
	if i == rel && s.Key == "type" {
		// An object's type is kept apart from its properties.
		return walkValue(obs, String(owner), owner, path, i+1, rel, fn)
	}
	hashes := i > rel && path[i-1].Kind == pattern.StepKey && path[i-1].Key == "hashes"
	var want observable.Kind
	if hashes {
		want, _ = observable.HashKind(s.Key)
	}
	for j := range props {
		k := props[j].Key
		if k != s.Key {
			// Hash algorithm names have several spellings (SHA-256,
			// SHA256): a hashes dictionary matches them by algorithm.
			if want == 0 {
				continue
			}
			if got, ok := observable.HashKind(k); !ok || got != want {
				continue
			}
		}
		if walkValue(obs, props[j].Value, owner, path, i+1, rel, fn) {
			return true
		}
	}
	return false
}

// walkValue continues the walk with value v at step i.
func walkValue(obs *Observation, v Value, owner string, path []pattern.Step, i, rel int, fn visitor) bool {
	if i == len(path) {
		if v.Kind == KindNull {
			return false
		}
		return fn.visit(v, owner, path[rel:])
	}
	s := path[i]
	switch v.Kind {
	case KindRef:
		if s.Kind != pattern.StepKey || v.Num < 0 || int(v.Num) >= len(obs.Objects) {
			return false
		}
		o := &obs.Objects[v.Num]
		return walkProps(obs, o.Props, o.Type, path, i, i, fn)
	case KindDict:
		return walkProps(obs, v.Sub, owner, path, i, rel, fn)
	case KindList:
		switch s.Kind {
		case pattern.StepAnyIndex:
			for _, p := range v.Sub {
				if walkValue(obs, p.Value, owner, path, i+1, rel, fn) {
					return true
				}
			}
		case pattern.StepIndex:
			if s.Index >= 0 && s.Index < len(v.Sub) {
				return walkValue(obs, v.Sub[s.Index].Value, owner, path, i+1, rel, fn)
			}
		}
	}
	return false
}

// kindOf returns the observable kind of the value at path rel within an
// object of type owner, 0 when the value is not an observable of a known
// kind (compared as written).
func kindOf(owner string, rel []pattern.Step) observable.Kind {
	n := len(rel)
	if n == 1 && rel[0].Kind == pattern.StepKey && rel[0].Key == "value" {
		switch owner {
		case "ipv4-addr":
			return observable.IPv4
		case "ipv6-addr":
			return observable.IPv6
		case "domain-name":
			return observable.Domain
		case "url":
			return observable.URL
		case "email-addr":
			return observable.Email
		case "mac-addr":
			return observable.MAC
		}
		return 0
	}
	if n >= 2 && rel[n-1].Kind == pattern.StepKey && rel[n-2].Kind == pattern.StepKey && rel[n-2].Key == "hashes" {
		k, _ := observable.HashKind(rel[n-1].Key)
		return k
	}
	return 0
}

// staticOwner returns the type of the object that holds the value at the
// end of path from an object of type typ, and the path within it; owner is
// "" when the path follows a reference, whose target type is known only
// in the event.
func staticOwner(typ string, path []pattern.Step) (owner string, rel []pattern.Step) {
	owner, start := typ, 0
	for i, s := range path[:len(path)-1] {
		if s.Kind == pattern.StepKey && (strings.HasSuffix(s.Key, "_ref") || strings.HasSuffix(s.Key, "_refs")) {
			owner = ""
			start = i + 1
			if strings.HasSuffix(s.Key, "_refs") && start < len(path) && path[start].Kind != pattern.StepKey {
				start++
			}
		}
	}
	if start > len(path) {
		start = len(path)
	}
	return owner, path[start:]
}

// refKinds are the kinds a value reached through a reference may have,
// tried in this order on a constant (the referenced object's type decides
// in the event).
var refKinds = []observable.Kind{observable.IPv4, observable.MAC, observable.Email, observable.URL, observable.Domain}

// Key tags: the byte after the field number says how the value is encoded.
// Observable kinds use their own number (observable.AppendKey); these do
// not collide with them.
const (
	tagRaw = 0x00 // a string as written
	tagInt = 0xff // an integer, 8 bytes big-endian
)

// appendValueKey appends the key of value v for field f: the field
// number, then the normalized observable key when kind is set and v
// normalizes, else v as written. It reports false for values that have no
// key (lists, dictionaries, null).
func appendValueKey(dst []byte, f uint16, kind observable.Kind, v Value) ([]byte, bool) {
	dst = binary.BigEndian.AppendUint16(dst, f)
	switch v.Kind {
	case KindString:
		return appendStringKey(dst, kind, v.Str), true
	case KindInt:
		dst = append(dst, tagInt)
		return binary.BigEndian.AppendUint64(dst, uint64(v.Num)), true
	case KindBool:
		return append(dst, tagInt-1, byte(v.Num)), true
	}
	return dst, false
}

// appendStringKey appends the key of string s of kind kind (0 for none).
func appendStringKey(dst []byte, kind observable.Kind, s string) []byte {
	if kind == observable.IPv4 || kind == observable.IPv6 {
		if a, ok := parseIPv4(s); ok {
			// What the netip path below gives, without its cost.
			dst = append(dst, byte(observable.IPv4))
			return append(dst, a[:]...)
		}
	}
	if (kind == observable.IPv4 || kind == observable.IPv6) && strings.IndexByte(s, '/') < 0 {
		// The common case, addresses, parsed once: what Normalize and
		// AppendKey give (the family's kind, then the address bytes).
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			a = a.Unmap()
			k := observable.IPv4
			if a.Is6() {
				k = observable.IPv6
			}
			dst = append(dst, byte(k))
			dst, _ = a.AppendBinary(dst)
			return dst
		}
	}
	if int(kind) < len(hashHexLen) && hashHexLen[kind] > 0 && len(s) == hashHexLen[kind] {
		// Fixed-length hashes, decoded in one pass: what Normalize
		// (lower-case hex of the kind's length) and AppendKey (the kind,
		// then the bytes) give.
		if out, ok := appendHexKey(dst, kind, s); ok {
			return out
		}
	}
	if kind != 0 {
		if o, err := observable.Normalize(kind, s); err == nil {
			if out, err := observable.AppendKey(dst, o); err == nil {
				return out
			}
		}
	}
	dst = append(dst, tagRaw)
	return append(dst, s...)
}

// literalValue converts a string, integer or Boolean constant to the Value
// it equals, for keys; ok is false for other constants.
func literalValue(l pattern.Literal) (Value, bool) {
	switch l.Kind {
	case pattern.StringLit:
		return String(l.Str), true
	case pattern.IntLit:
		return Int(l.Int), true
	case pattern.FloatLit:
		v := Float(l.Float)
		return v, v.Kind == KindInt
	case pattern.BoolLit:
		return Bool(l.Bool), true
	}
	return Value{}, false
}

// parseIPv4 reads an IPv4 address written as netip.ParseAddr reads
// them: four decimal fields of 0 to 255 without leading zeros, joined by
// dots. It reports false for any other string (which is no IPv4 address
// netip reads).
func parseIPv4(s string) (a [4]byte, ok bool) {
	field, n, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits > 0 && n == 0 {
				return a, false // a leading zero
			}
			n = n*10 + int(c-'0')
			digits++
			if n > 255 {
				return a, false
			}
		case c == '.' && digits > 0 && field < 3:
			a[field] = byte(n)
			field, n, digits = field+1, 0, 0
		default:
			return a, false
		}
	}
	if digits == 0 || field != 3 {
		return a, false
	}
	a[3] = byte(n)
	return a, true
}

// hashHexLen is the number of hex digits of the fixed-length hash kinds.
var hashHexLen = [...]int{observable.MD5: 32, observable.SHA1: 40, observable.SHA256: 64,
	observable.SHA512: 128, observable.SHA3_256: 64, observable.SHA3_512: 128, observable.TLSH: 0}

// hexVal is the value of each hex digit, either case; 0xff for other bytes.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c], t[c-'a'+'A'] = c-'a'+10, c-'a'+10
	}
	return t
}()

// appendHexKey appends the key of the hash s of kind: the kind, then the
// bytes s spells in hex; false, with dst unchanged, when s is not hex.
func appendHexKey(dst []byte, kind observable.Kind, s string) ([]byte, bool) {
	n := len(dst)
	dst = append(dst, byte(kind))
	for i := 0; i+1 < len(s); i += 2 {
		hi, lo := hexVal[s[i]], hexVal[s[i+1]]
		if hi > 15 || lo > 15 {
			return dst[:n], false
		}
		dst = append(dst, hi<<4|lo)
	}
	return dst, true
}
