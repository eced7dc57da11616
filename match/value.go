package match

import (
	"github.com/go-json-experiment/json/jsontext"
	"math"
	"strconv"
	"time"
)

// Observation is one event to match: the cyber-observable objects seen
// together, and when. It is what a STIX observed-data object holds, or
// what one line of a log maps to.
type Observation struct {
	// First and Last bound the time of the observation (first_observed and
	// last_observed; equal for a log line).
	First, Last time.Time
	// Objects are the observation's cyber-observable objects. References
	// between them (Value of kind KindRef) hold indexes into Objects.
	Objects []Object
	// ID is the observed-data id, empty for a log line.
	ID string
	// Line is the 1-based line (or, for a bundle, object) number of the
	// event in its source, 0 when unknown.
	Line int
	// Raw is the event as read (the observed-data object or the log line).
	// Decoders reuse its buffer: copy it to keep it past the next event.
	Raw []byte
}

// Object is one cyber-observable object: its type, its id or key within
// the observation, and its properties in a tree of Values.
type Object struct {
	Type  string
	ID    string
	Props []Prop
}

// Prop is a named value: a property of an object, a key of a dictionary,
// or (with an empty Key) an item of a list.
type Prop struct {
	Key   string
	Value Value
}

// ValueKind is the JSON type of a Value.
type ValueKind uint8

// The kinds of values.
const (
	KindNull   ValueKind = iota // JSON null, or nothing
	KindString                  // Str
	KindInt                     // Num
	KindFloat                   // float64 bits in Num (Float)
	KindBool                    // Num 1 for true
	KindList                    // Sub, with empty keys
	KindDict                    // Sub: an object or dictionary
	KindRef                     // a reference to Objects[Num] of the observation
)

// Value is a property value.
type Value struct {
	Kind ValueKind
	Str  string
	Num  int64
	Sub  []Prop
}

// String returns a string value.
func String(s string) Value { return Value{Kind: KindString, Str: s} }

// Int returns an integer value.
func Int(n int64) Value { return Value{Kind: KindInt, Num: n} }

// Float returns a floating-point value; an integral float is an integer.
func Float(f float64) Value {
	if f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return Int(int64(f))
	}
	return Value{Kind: KindFloat, Num: int64(math.Float64bits(f))}
}

// Bool returns a Boolean value.
func Bool(b bool) Value {
	if b {
		return Value{Kind: KindBool, Num: 1}
	}
	return Value{Kind: KindBool}
}

// Ref returns a reference to the object at index i of the observation.
func Ref(i int) Value { return Value{Kind: KindRef, Num: int64(i)} }

// List returns a list value.
func List(items ...Value) Value {
	sub := make([]Prop, len(items))
	for i, v := range items {
		sub[i].Value = v
	}
	return Value{Kind: KindList, Sub: sub}
}

// Float returns the value of a KindFloat or KindInt value as a float64.
func (v Value) Float() float64 {
	if v.Kind == KindInt {
		return float64(v.Num)
	}
	return math.Float64frombits(uint64(v.Num))
}

// Get returns the member named key of a dictionary value.
func (v Value) Get(key string) (Value, bool) {
	if v.Kind != KindDict {
		return Value{}, false
	}
	return get(v.Sub, key)
}

func get(props []Prop, key string) (Value, bool) {
	for i := range props {
		if props[i].Key == key {
			return props[i].Value, true
		}
	}
	return Value{}, false
}

// Get returns the property named key of the object.
func (o *Object) Get(key string) (Value, bool) { return get(o.Props, key) }

// appendJSON writes v as JSON, references as their object's id (or
// index).
func (v Value) appendJSON(b []byte, objs []Object) []byte {
	switch v.Kind {
	case KindString:
		return appendQuote(b, v.Str)
	case KindInt:
		return strconv.AppendInt(b, v.Num, 10)
	case KindFloat:
		return strconv.AppendFloat(b, v.Float(), 'g', -1, 64)
	case KindBool:
		return strconv.AppendBool(b, v.Num == 1)
	case KindRef:
		if int(v.Num) < len(objs) && objs[v.Num].ID != "" {
			return appendQuote(b, objs[v.Num].ID)
		}
		return appendQuote(b, strconv.FormatInt(v.Num, 10))
	case KindList:
		b = append(b, '[')
		for i, p := range v.Sub {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.Value.appendJSON(b, objs)
		}
		return append(b, ']')
	case KindDict:
		b = append(b, '{')
		for i, p := range v.Sub {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuote(b, p.Key)
			b = append(b, ':')
			b = p.Value.appendJSON(b, objs)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// ObjectsJSON writes the observation's objects as a JSON dictionary keyed
// by their ids (or indexes), as STIX 2.0 observed-data embedded them; it
// is how a decoded log line is shown.
func (o *Observation) ObjectsJSON() []byte {
	b := []byte{'{'}
	for i := range o.Objects {
		obj := &o.Objects[i]
		if i > 0 {
			b = append(b, ',')
		}
		id := obj.ID
		if id == "" {
			id = strconv.Itoa(i)
		}
		b = appendQuote(b, id)
		b = append(b, `:{"type":`...)
		b = appendQuote(b, obj.Type)
		for _, p := range obj.Props {
			b = append(b, ',')
			b = appendQuote(b, p.Key)
			b = append(b, ':')
			b = p.Value.appendJSON(b, o.Objects)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendQuote appends s as a JSON string. strconv.AppendQuote writes Go's
// escapes (\x7f, \a), which are not JSON. Invalid UTF-8 becomes U+FFFD.
func appendQuote(b []byte, s string) []byte {
	b, _ = jsontext.AppendQuote(b, s)
	return b
}
