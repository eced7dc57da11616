package stix

import (
	"errors"
	"slices"
	"sync"
)

// ResolveSelector follows a granular-marking selector such as
// "external_references.[1].url" through the parsed object o. It returns nil
// when the selector resolves to a part of o, else an error saying why not.
func ResolveSelector(o *Value, sel string) error {
	if msg := resolveSelector(o, sel); msg != "" {
		return errors.New("selector " + quote(sel) + " " + msg)
	}
	return nil
}

// RequiredProperties returns the names of the top-level properties that an
// object of type typ must carry (its class's common required properties and
// the type's own), sorted. For an unknown (custom) type it returns the
// required properties of a custom object: type and id. The result must not be
// modified.
func RequiredProperties(typ string) []string {
	m := requiredProps()
	if r, ok := m[typ]; ok {
		return r
	}
	return m[""]
}

var requiredProps = sync.OnceValue(func() map[string][]string {
	collect := func(lists ...[]prop) []string {
		var out []string
		for _, l := range lists {
			for i := range l {
				if l[i].required && !slices.Contains(out, l[i].name) {
					out = append(out, l[i].name)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	m := map[string][]string{"": collect(customCommon)}
	for name, d := range registry {
		m[name] = collect(commonProps(d.class), d.props)
	}
	return m
})
