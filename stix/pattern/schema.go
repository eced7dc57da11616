package pattern

// Schema knows the cyber-observable object types and their properties, for
// the checks of object paths. The stix package provides one built from its
// object definitions (stix.PatternSchema); this package has no table of its
// own.
type Schema interface {
	// Resolve follows path on objects of type objectType, dereferencing
	// reference properties (network-traffic:dst_ref.value), and describes
	// what it reaches. When a step does not exist (or the type is not a
	// cyber-observable type), Problem says why and Bad which step.
	Resolve(objectType string, path []Step) Resolution
}

// Resolution is what a Schema found at the end of an object path.
type Resolution struct {
	// Problem is empty when the path resolves; otherwise it says why not,
	// in a sentence such as `file has no property "created"`.
	Problem string
	// Bad is the index in the path of the step Problem is about, or -1 for
	// the object type itself.
	Bad int
	// Kind is the kind of the property reached; PropUnknown for custom and
	// unconstrained values.
	Kind PropKind
	// Types lists the object types the final property belongs to, after
	// references are followed (several when a reference may point to
	// objects of several types); nil when unknown. It may be shared: do not
	// modify it.
	Types []string
}

// PropKind is the kind of a property value.
type PropKind uint8

// The kinds of property values.
const (
	PropUnknown    PropKind = iota // custom or unconstrained
	PropString                     // string, including open vocabularies and enumerations
	PropInteger                    //
	PropFloat                      //
	PropBoolean                    //
	PropTimestamp                  //
	PropBinary                     // base64 in JSON, compared as bytes
	PropHex                        // hexadecimal in JSON, compared as bytes
	PropRef                        // identifier of another object
	PropList                       // list: its items are reached with [n] or [*]
	PropObject                     // nested object: its members are reached with .name
	PropDictionary                 // dictionary (hashes included): its values are reached with .key
)

// String names the kind for messages: "a string", "a list".
func (k PropKind) String() string {
	switch k {
	case PropString:
		return "a string"
	case PropInteger:
		return "an integer"
	case PropFloat:
		return "a float"
	case PropBoolean:
		return "a boolean"
	case PropTimestamp:
		return "a timestamp"
	case PropBinary:
		return "binary"
	case PropHex:
		return "hex"
	case PropRef:
		return "a reference"
	case PropList:
		return "a list"
	case PropObject:
		return "an object"
	case PropDictionary:
		return "a dictionary"
	}
	return "a value"
}
