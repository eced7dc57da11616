package stix

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"github.com/gowebpki/jcs"
)

// scoNamespace is the UUIDv5 namespace of deterministic SCO identifiers
// (STIX 2.1 section 2.9).
var scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// ErrNoIDContributingProperties is returned by SCOID for an object that has
// none of its type's ID-contributing properties (and always for process,
// which has none): the specification then calls for a random UUIDv4.
var ErrNoIDContributingProperties = errors.New("the object has none of its type's ID-contributing properties; its id should be a random UUIDv4")

// hashPreference is the order in which the specification picks the one
// hash of a "hashes" ID-contributing property.
var hashPreference = []string{"MD5", "SHA-1", "SHA-256", "SHA-512"}

// SCOID computes the deterministic identifier of the STIX 2.1
// cyber-observable object raw: "type--" and the UUIDv5, in namespace
// 00abedb4-aa42-466c-9c01-fed23315a9b7, of the RFC 8785 canonical JSON of an
// object holding the ID-contributing properties the object has. Of a
// "hashes" property only one hash takes part: MD5, else SHA-1, SHA-256,
// SHA-512, else the first one listed. The object need not be valid; its
// other properties are ignored. It returns ErrNoIDContributingProperties
// when none is present, and an error when raw is not JSON or not an object
// of one of the 18 SCO types.
func SCOID(raw []byte) (string, error) {
	v, err := ParseValue(raw)
	if err != nil {
		return "", fmt.Errorf("stix.SCOID: %w", err)
	}
	if v.Kind != Object {
		return "", fmt.Errorf("stix.SCOID: a STIX object must be a JSON object, not a %s", v.Kind)
	}
	typ := v.GetString("type")
	def := registry[typ]
	if def == nil || def.class != classSCO {
		return "", fmt.Errorf("stix.SCOID: %s is not a STIX 2.1 cyber-observable type", quote(typ))
	}
	id, err := scoID(def, &v)
	if err != nil {
		return "", fmt.Errorf("stix.SCOID(%s): %w", typ, err)
	}
	return id, nil
}

// scoBufs recycles the buffers in which the name of a UUIDv5 is built.
var scoBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// scoID computes the deterministic id of o, an object of the SCO type def.
func scoID(def *typeDef, o *Value) (string, error) {
	bp := scoBufs.Get().(*[]byte)
	defer scoBufs.Put(bp)
	b := append((*bp)[:0], '{')
	n := 0
	for _, name := range def.idContrib {
		v := o.Get(name)
		if v == nil {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		if name == "hashes" && v.Kind == Object {
			h := preferredHash(v)
			if h == nil {
				return "", errors.New(`property "hashes" is empty`)
			}
			b = append(b, '{')
			b = appendJSONString(b, h.Name)
			b = append(b, ':')
			b = appendJSON(b, &h.Value)
			b = append(b, '}')
			continue
		}
		b = appendJSON(b, v)
	}
	b = append(b, '}')
	*bp = b
	if n == 0 {
		return "", ErrNoIDContributingProperties
	}
	canon, err := jcs.Transform(b)
	if err != nil {
		return "", fmt.Errorf("canonicalizing the ID-contributing properties: %w", err)
	}
	return def.name + "--" + uuid.NewSHA1(scoNamespace, canon).String(), nil
}

// preferredHash returns the member of a hashes dictionary that takes part
// in a deterministic id, or nil when it is empty.
func preferredHash(h *Value) *Member {
	for _, alg := range hashPreference {
		for i := range h.Members {
			if h.Members[i].Name == alg {
				return &h.Members[i]
			}
		}
	}
	if len(h.Members) > 0 {
		return &h.Members[0]
	}
	return nil
}

// appendJSON appends the JSON encoding of v. Numbers keep their literal
// text; the canonicalization that follows normalizes them.
func appendJSON(b []byte, v *Value) []byte {
	switch v.Kind {
	case Null:
		return append(b, "null"...)
	case Bool:
		if v.Bool {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case Number:
		return append(b, v.Str...)
	case String:
		return appendJSONString(b, v.Str)
	case Object:
		b = append(b, '{')
		for i := range v.Members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v.Members[i].Name)
			b = append(b, ':')
			b = appendJSON(b, &v.Members[i].Value)
		}
		return append(b, '}')
	case Array:
		b = append(b, '[')
		for i := range v.Elems {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, &v.Elems[i])
		}
		return append(b, ']')
	}
	return b
}

func appendJSONString(b []byte, s string) []byte {
	// Parsed values are valid UTF-8, so AppendQuote cannot fail here.
	out, _ := jsontext.AppendQuote(b, s)
	return out
}

// checkSCOID warns when an SCO's id is not the one the specification
// recommends: the deterministic UUIDv5 computed from its ID-contributing
// properties, or a UUIDv4 when it has none. Any RFC 4122 UUID is accepted,
// so these are warnings only. Objects with errors are not checked: they are
// rejected anyway.
func (c *checker) checkSCOID(def *typeDef, o *Value, path string) {
	if c.issues.HasErrors() {
		return
	}
	idv := o.Get("id")
	if idv == nil || idv.Kind != String {
		return
	}
	_, ver, err := ParseID(idv.Str)
	if err != nil {
		return
	}
	idPath := joinPath(path, "id")
	if ver != 4 && ver != 5 {
		c.warnf(idPath, "sco-id-version", "id %s uses a version %d UUID; cyber-observable ids should be UUIDv5 (deterministic) or UUIDv4", quote(idv.Str), ver)
	}
	if registry[def.name] != def {
		return // a custom SCO: its extension definition names its ID-contributing properties
	}
	want, err := scoID(def, o)
	switch {
	case errors.Is(err, ErrNoIDContributingProperties):
		if ver == 5 {
			c.warnf(idPath, "sco-id", "id %s is a UUIDv5, but %s, so its id should be a random UUIDv4", quote(idv.Str), idContribText(def))
		}
	case err != nil:
	case !strings.EqualFold(want, idv.Str):
		c.warnf(idPath, "sco-id", "id %s should be the deterministic %s computed from the object's ID-contributing properties (%s)", quote(idv.Str), want, strings.Join(def.idContrib, ", "))
	}
}

// idContribText says why an object has nothing to derive an id from.
func idContribText(def *typeDef) string {
	if len(def.idContrib) == 0 {
		return def.name + " objects have no ID-contributing properties"
	}
	return "the object has none of its ID-contributing properties (" + strings.Join(def.idContrib, ", ") + ")"
}
