package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tearline/tearline/marking"
)

// Paths a disclosure can take out of the server. Disclosure.Path may hold
// any other short name; these are the ones Tearline uses.
const (
	PathObjects    = "taxii-objects"     // GET .../objects/
	PathObject     = "taxii-object"      // GET .../objects/{id}/
	PathVersions   = "taxii-versions"    // GET .../objects/{id}/versions/
	PathManifest   = "taxii-manifest"    // GET .../manifest/
	PathStatus     = "taxii-status"      // status details naming objects
	PathExport     = "export"            // defensive-measure and bundle exports
	PathSearch     = "search"            // search results
	PathUI         = "ui"                // the analyst UI
	PathWebhook    = "webhook"           // webhooks and streams
	PathFederation = "federation"        // pushes to and pulls by peers
	pathGenesis    = "genesis"           // the first record of a ledger
	formatVersion  = "tearline-ledger/1" // the genesis record's reason
)

// Disclosure is one access decision put into effect: an object version sent
// (whole or redacted) to a recipient, or withheld from it, on one path.
type Disclosure struct {
	// Time is when the decision was made; Record sets it to the current
	// time when zero. It is kept to the microsecond, in UTC.
	Time time.Time
	// Org is the recipient organization's id ("" for an anonymous reader);
	// Key the id of the API key that authenticated the request, if any.
	Org, Key string
	// Collection is the collection read from, if any.
	Collection string
	// Path is how the object left (PathObjects, PathExport, ...).
	Path string
	// Object is the STIX id and Version the object version (its modified
	// timestamp, or created for unversioned objects).
	Object, Version string
	// Decision, TLP, Classification and Reason are copied from the
	// marking.Result of the access decision.
	Decision       marking.Decision
	TLP            marking.TLP
	Classification string
	Reason         string
	// Request is the request id, to join the ledger with the logs.
	Request string
}

// Entry is a Disclosure as recorded: its sequence number in the chain, the
// hash of the previous record and its own hash, hex-encoded.
type Entry struct {
	Seq uint64
	Disclosure
	Prev, Hash string
}

const (
	timeLayout = "2006-01-02T15:04:05.000000Z07:00"
	hashHex    = 2 * sha256.Size
	// hashSuffix is how every line ends: `,"hash":"<64 hex>"}`. The
	// canonical bytes of a record are the line without it, closed by '}'.
	hashSuffixLen = len(`,"hash":""}`) + hashHex
)

// encoder turns disclosures into lines of the chain. It is used by one
// goroutine at a time.
type encoder struct {
	seq  uint64
	prev [sha256.Size]byte
	h    hash.Hash
}

func newEncoder(seq uint64, prev [sha256.Size]byte) *encoder {
	return &encoder{seq: seq, prev: prev, h: sha256.New()}
}

// appendRecord appends the next record for d, with its newline, to buf.
func (e *encoder) appendRecord(buf []byte, d *Disclosure) []byte {
	e.seq++
	return e.appendSeq(buf, e.seq, d)
}

func (e *encoder) appendSeq(buf []byte, seq uint64, d *Disclosure) []byte {
	start := len(buf)
	buf = append(buf, `{"seq":`...)
	buf = strconv.AppendUint(buf, seq, 10)
	buf = append(buf, `,"time":"`...)
	buf = d.Time.UTC().AppendFormat(buf, timeLayout)
	buf = append(buf, '"')
	buf = appendField(buf, "org", d.Org, true)
	buf = appendField(buf, "key", d.Key, false)
	buf = appendField(buf, "collection", d.Collection, false)
	buf = appendField(buf, "path", d.Path, true)
	buf = appendField(buf, "object", d.Object, true)
	buf = appendField(buf, "version", d.Version, true)
	buf = appendField(buf, "decision", d.Decision.String(), true)
	buf = appendField(buf, "tlp", d.TLP.String(), false)
	buf = appendField(buf, "classification", d.Classification, false)
	buf = appendField(buf, "reason", d.Reason, false)
	buf = appendField(buf, "request", d.Request, false)
	buf = append(buf, `,"prev":"`...)
	buf = hex.AppendEncode(buf, e.prev[:])
	buf = append(buf, `"}`...)
	e.h.Reset()
	e.h.Write(e.prev[:])
	e.h.Write(buf[start:])
	e.h.Sum(e.prev[:0])
	buf = buf[:len(buf)-1]
	buf = append(buf, `,"hash":"`...)
	buf = hex.AppendEncode(buf, e.prev[:])
	return append(buf, "\"}\n"...)
}

// appendField appends ,"name":"value", leaving out empty optional fields.
func appendField(buf []byte, name, value string, required bool) []byte {
	if value == "" && !required {
		return buf
	}
	buf = append(buf, ',', '"')
	buf = append(buf, name...)
	buf = append(buf, `":`...)
	return appendString(buf, value)
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, so
// that decoding and encoding again gives the same bytes.
func appendString(buf []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			buf = append(buf, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}

// line is the JSON form of a record, for reading.
type line struct {
	Seq            *uint64 `json:"seq"`
	Time           string  `json:"time"`
	Org            string  `json:"org"`
	Key            string  `json:"key"`
	Collection     string  `json:"collection"`
	Path           string  `json:"path"`
	Object         string  `json:"object"`
	Version        string  `json:"version"`
	Decision       string  `json:"decision"`
	TLP            string  `json:"tlp"`
	Classification string  `json:"classification"`
	Reason         string  `json:"reason"`
	Request        string  `json:"request"`
	Prev           string  `json:"prev"`
	Hash           string  `json:"hash"`
}

// splitHash returns the canonical bytes of a record line (without its
// newline) in two parts, body and "}", and the hash the line claims.
func splitHash(b []byte) (body []byte, claimed string, err error) {
	if len(b) < hashSuffixLen+2 || !bytes.HasPrefix(b[len(b)-hashSuffixLen:], []byte(`,"hash":"`)) || !bytes.HasSuffix(b, []byte(`"}`)) {
		return nil, "", errors.New(`the line does not end with a "hash" member`)
	}
	return b[:len(b)-hashSuffixLen], string(b[len(b)-hashSuffixLen+9 : len(b)-2]), nil
}

// hashLine computes the hash of a record line given the previous hash.
func hashLine(h hash.Hash, prev []byte, body []byte) [sha256.Size]byte {
	var sum [sha256.Size]byte
	h.Reset()
	h.Write(prev)
	h.Write(body)
	h.Write([]byte{'}'})
	h.Sum(sum[:0])
	return sum
}

// parseEntry decodes a record line (without its newline). It checks the
// form of the line, not the chain.
func parseEntry(b []byte) (Entry, error) {
	var l line
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Entry{}, fmt.Errorf("not a ledger record: %w", err)
	}
	if l.Seq == nil {
		return Entry{}, errors.New(`not a ledger record: no "seq"`)
	}
	t, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return Entry{}, fmt.Errorf("bad time: %w", err)
	}
	e := Entry{Seq: *l.Seq, Prev: l.Prev, Hash: l.Hash, Disclosure: Disclosure{
		Time: t, Org: l.Org, Key: l.Key, Collection: l.Collection, Path: l.Path,
		Object: l.Object, Version: l.Version, Classification: l.Classification,
		Reason: l.Reason, Request: l.Request,
	}}
	switch l.Decision {
	case "whole":
		e.Decision = marking.Whole
	case "redacted":
		e.Decision = marking.Redacted
	case "withhold":
		e.Decision = marking.Withhold
	default:
		return Entry{}, fmt.Errorf("unknown decision %q", l.Decision)
	}
	if l.TLP != "" {
		tlp, ok := marking.ParseTLP(l.TLP)
		if !ok {
			return Entry{}, fmt.Errorf("unknown TLP %q", l.TLP)
		}
		e.TLP = tlp
	}
	if len(e.Prev) != hashHex || len(e.Hash) != hashHex {
		return Entry{}, errors.New("prev or hash is not a SHA-256 in hex")
	}
	return e, nil
}
