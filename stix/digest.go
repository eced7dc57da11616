package stix

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Digest returns the SHA-256 of a canonical encoding of v: object members
// sorted by name, numbers by value, strings by their decoded text, every
// item tagged and length-prefixed so no two different values encode alike.
// Two JSON texts that differ only in formatting have the same digest.
func Digest(v *Value) [32]byte {
	d := digestPool.Get().(*digester)
	d.h.Reset()
	d.buf = appendCanonical(d.buf[:0], v, d.h)
	d.h.Write(d.buf)
	var sum [32]byte
	d.h.Sum(sum[:0])
	digestPool.Put(d)
	return sum
}

// digester is the reusable state of Digest.
type digester struct {
	h   hash.Hash
	buf []byte
}

var digestPool = sync.Pool{New: func() any { return &digester{h: sha256.New(), buf: make([]byte, 0, 4096)} }}

// appendCanonical appends the encoding of v to buf, flushing to h when buf
// grows large.
func appendCanonical(buf []byte, v *Value, h hash.Hash) []byte {
	if len(buf) > 32<<10 {
		h.Write(buf)
		buf = buf[:0]
	}
	switch v.Kind {
	case Null:
		buf = append(buf, 'z')
	case Bool:
		if v.Bool {
			buf = append(buf, 't')
		} else {
			buf = append(buf, 'f')
		}
	case Number:
		buf = append(buf, 'n')
		buf = appendString(buf, canonicalNumber(v.Str))
	case String:
		buf = append(buf, 's')
		buf = appendString(buf, v.Str)
	case Array:
		buf = append(buf, 'a')
		buf = binary.AppendUvarint(buf, uint64(len(v.Elems)))
		for i := range v.Elems {
			buf = appendCanonical(buf, &v.Elems[i], h)
		}
	case Object:
		buf = append(buf, 'o')
		buf = binary.AppendUvarint(buf, uint64(len(v.Members)))
		order := make([]int, len(v.Members))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(v.Members[a].Name, v.Members[b].Name) })
		for _, i := range order {
			buf = appendString(buf, v.Members[i].Name)
			buf = appendCanonical(buf, &v.Members[i].Value, h)
		}
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// canonicalNumber spells a JSON number by its value: integers that fit in an
// int64 as decimal integers, everything else as the shortest float64 form.
func canonicalNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			if s == "-0" {
				return "0"
			}
			return s
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return s
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
