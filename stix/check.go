package stix

import "fmt"

// class groups STIX types by the common properties they carry.
type class uint8

const (
	classSDO    class = iota + 1 // domain objects: created/modified required
	classSRO                     // relationship and sighting
	classSCO                     // cyber-observables: no created/modified
	classMeta                    // marking-definition, language-content, extension-definition
	classCustom                  // unknown types accepted with common checks only
)

// propKind is the type of a property value as the spec defines it.
type propKind uint8

const (
	kAny             propKind = iota + 1
	kString                   // any string
	kStringList               // non-empty list of strings
	kTimestamp                // RFC 3339, UTC "Z"
	kBool                     //
	kInteger                  // whole number, optional range
	kFloat                    // any number, optional range
	kRef                      // identifier; refs restricts the target types
	kRefList                  // non-empty list of identifiers
	kVocab                    // open vocabulary: values outside it are a warning
	kVocabList                // non-empty list of open-vocabulary strings
	kEnum                     // closed enumeration: values outside it are errors
	kEnumList                 // non-empty list of enumeration values
	kKillChainPhases          // non-empty list of kill-chain-phase objects
	kHashes                   // hashes dictionary
	kDict                     // dictionary with spec-conformant keys
	kBinary                   // base64
	kHex                      // hexadecimal string
	kObject                   // nested object described by sub
	kObjectList               // non-empty list of nested objects described by sub
)

// prop describes one property of a type.
type prop struct {
	name     string
	kind     propKind
	required bool
	refs     []string // allowed target types of kRef/kRefList; nil means any
	vocab    []string // kVocab, kVocabList, kEnum, kEnumList
	min, max float64  // range of kInteger/kFloat when hasRange
	hasRange bool
	sub      []prop // properties of kObject/kObjectList elements
	// check runs after the kind check succeeds, for rules of this property
	// alone (formats, patterns).
	check func(c *checker, v *Value, path string)
}

// typeDef is the definition of one STIX type.
type typeDef struct {
	name  string
	class class
	props []prop
	// idContrib lists the ID-contributing properties of an SCO, in spec
	// order, for deterministic UUIDv5 identifiers.
	idContrib []string
	// extensions lists the predefined extensions of an SCO by name.
	extensions map[string][]prop
	// check runs cross-property rules (at-least-one-of, ordering, ...) after
	// the properties are checked one by one.
	check func(c *checker, o *Value, path string)
}

// registry holds every known type, filled by register from init functions.
var registry = map[string]*typeDef{}

// register adds a type definition. It panics on duplicates: that is a
// programming error caught by any test run.
func register(d *typeDef) {
	if _, dup := registry[d.name]; dup {
		panic("stix: type registered twice: " + d.name)
	}
	registry[d.name] = d
}

// checker accumulates the issues found in one object.
type checker struct {
	issues Issues
}

// errorf records a MUST violation at path.
func (c *checker) errorf(path, rule, format string, args ...any) {
	c.issues = append(c.issues, Issue{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// warnf records a SHOULD violation at path.
func (c *checker) warnf(path, rule, format string, args ...any) {
	c.issues = append(c.issues, Issue{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...), Warning: true})
}
