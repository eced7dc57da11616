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

// Entry is a Disclosure as recorded: the sequence number and hash (hex) of
// the record (line) holding it.
type Entry struct {
	Seq uint64
	Disclosure
	Hash string
}

const (
	timeLayout = "2006-01-02T15:04:05.000000Z07:00"
	hashHex    = 2 * sha256.Size
	// hashSuffixLen is the length of how every line ends: `,"hash":"<64
	// hex>"}`. The canonical bytes of a record are the line without it,
	// closed by '}'.
	hashSuffixLen = len(`,"hash":""}`) + hashHex
)

// sameHeader reports whether a and b can share a record: same time,
// recipient, path and request.
func sameHeader(a, b *Disclosure) bool {
	return a.Time.Equal(b.Time) && a.Org == b.Org && a.Key == b.Key && a.Collection == b.Collection &&
		a.Path == b.Path && a.Request == b.Request
}

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

// appendRecord appends the next record, with its newline, to buf: the
// disclosures ds, which share their header (sameHeader).
func (e *encoder) appendRecord(buf []byte, ds []Disclosure) []byte {
	e.seq++
	return e.appendSeq(buf, e.seq, &ds[0], ds, "")
}

// appendSeq appends record seq with header h, the objects of ds and, for
// the genesis record, the format.
func (e *encoder) appendSeq(buf []byte, seq uint64, h *Disclosure, ds []Disclosure, format string) []byte {
	start := len(buf)
	buf = append(buf, `{"seq":`...)
	buf = strconv.AppendUint(buf, seq, 10)
	buf = append(buf, `,"time":"`...)
	buf = h.Time.UTC().AppendFormat(buf, timeLayout)
	buf = append(buf, '"')
	buf = appendField(buf, "path", h.Path, true)
	buf = appendField(buf, "org", h.Org, true)
	buf = appendField(buf, "key", h.Key, false)
	buf = appendField(buf, "collection", h.Collection, false)
	buf = appendField(buf, "request", h.Request, false)
	buf = appendField(buf, "format", format, false)
	buf = append(buf, `,"objects":[`...)
	for i := range ds {
		d := &ds[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		// [id, version, decision, tlp, classification, reason], trailing
		// empty members left out.
		tlp := d.TLP.String()
		n := 3
		switch {
		case d.Reason != "":
			n = 6
		case d.Classification != "":
			n = 5
		case tlp != "":
			n = 4
		}
		buf = append(buf, '[')
		buf = appendString(buf, d.Object)
		buf = append(buf, ',')
		buf = appendString(buf, d.Version)
		buf = append(buf, ',', '"')
		buf = append(buf, d.Decision.String()...)
		buf = append(buf, '"')
		rest := [...]string{tlp, d.Classification, d.Reason}
		for _, v := range rest[:n-3] {
			buf = append(buf, ',')
			buf = appendString(buf, v)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `],"prev":"`...)
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
		// Copy the run of bytes that need no escaping in one append.
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' && s[j] < utf8.RuneSelf {
			j++
		}
		buf = append(buf, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
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
	Seq        *uint64    `json:"seq"`
	Time       string     `json:"time"`
	Path       string     `json:"path"`
	Org        *string    `json:"org"`
	Key        string     `json:"key"`
	Collection string     `json:"collection"`
	Request    string     `json:"request"`
	Format     string     `json:"format"`
	Objects    [][]string `json:"objects"`
	Prev       string     `json:"prev"`
	Hash       string     `json:"hash"`
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

// record is a parsed line.
type record struct {
	Seq        uint64
	Path       string
	Prev, Hash string
	Format     string
	Entries    []Entry
}

// parseRecord decodes a record line (without its newline). It checks the
// form of the line, not the chain.
func parseRecord(b []byte) (record, error) {
	var l line
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return record{}, fmt.Errorf("not a ledger record: %w", err)
	}
	if l.Seq == nil || l.Org == nil || l.Objects == nil {
		return record{}, errors.New(`not a ledger record: "seq", "org" or "objects" missing`)
	}
	t, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return record{}, fmt.Errorf("bad time: %w", err)
	}
	if len(l.Prev) != hashHex || len(l.Hash) != hashHex {
		return record{}, errors.New("prev or hash is not a SHA-256 in hex")
	}
	r := record{Seq: *l.Seq, Path: l.Path, Prev: l.Prev, Hash: l.Hash, Format: l.Format, Entries: make([]Entry, 0, len(l.Objects))}
	for _, o := range l.Objects {
		if len(o) < 3 || len(o) > 6 {
			return record{}, fmt.Errorf("an object entry has %d members, not 3 to 6", len(o))
		}
		o = append(o, "", "", "")
		d := Disclosure{Time: t, Org: *l.Org, Key: l.Key, Collection: l.Collection, Path: l.Path,
			Request: l.Request, Object: o[0], Version: o[1], Classification: o[4], Reason: o[5]}
		switch o[2] {
		case "whole":
			d.Decision = marking.Whole
		case "redacted":
			d.Decision = marking.Redacted
		case "withhold":
			d.Decision = marking.Withhold
		default:
			return record{}, fmt.Errorf("unknown decision %q", o[2])
		}
		if o[3] != "" {
			tlp, ok := marking.ParseTLP(o[3])
			if !ok {
				return record{}, fmt.Errorf("unknown TLP %q", o[3])
			}
			d.TLP = tlp
		}
		r.Entries = append(r.Entries, Entry{Seq: r.Seq, Disclosure: d, Hash: r.Hash})
	}
	return r, nil
}
