package stix

import "slices"

// KnownType reports whether name is a type the STIX 2.1 specification
// defines (domain, relationship, cyber-observable or meta object).
func KnownType(name string) bool {
	d, ok := registry[name]
	return ok && d.class != classCustom
}

// IsObservableType reports whether name is a cyber-observable object type
// of the specification, such as "ipv4-addr" or "file".
func IsObservableType(name string) bool {
	d, ok := registry[name]
	return ok && d.class == classSCO
}

// ObservableTypes returns the cyber-observable object types of the
// specification, sorted.
func ObservableTypes() []string {
	var out []string
	for name, d := range registry {
		if d.class == classSCO {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
