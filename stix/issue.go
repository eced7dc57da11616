package stix

import (
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Issue is one finding of validation: where (a JSON path such as
// objects[12].valid_from), which rule, and what is wrong in plain words.
type Issue struct {
	Path    string
	Rule    string // short stable identifier of the rule, e.g. "timestamp-format"
	Message string
	Warning bool // a SHOULD rule: reported but not a failure
}

// String renders the issue as "path: message [rule]", prefixed with
// "warning: " for warnings.
func (i Issue) String() string {
	var b strings.Builder
	if i.Warning {
		b.WriteString("warning: ")
	}
	if i.Path != "" {
		b.WriteString(i.Path)
		b.WriteString(": ")
	}
	b.WriteString(i.Message)
	b.WriteString(" [")
	b.WriteString(i.Rule)
	b.WriteString("]")
	return b.String()
}

// Issues is a list of validation findings.
type Issues []Issue

// HasErrors reports whether any issue is an error rather than a warning.
func (is Issues) HasErrors() bool {
	for _, i := range is {
		if !i.Warning {
			return true
		}
	}
	return false
}

// Errors returns only the errors.
func (is Issues) Errors() Issues { return is.filter(false) }

// Warnings returns only the warnings.
func (is Issues) Warnings() Issues { return is.filter(true) }

func (is Issues) filter(warn bool) Issues {
	var out Issues
	for _, i := range is {
		if i.Warning == warn {
			out = append(out, i)
		}
	}
	return out
}

// joinPath appends a member name to a JSON path. name may also be a
// relative path such as ParseValue reports: empty for the value itself, or
// starting with an index ("[2].url").
func joinPath(base, name string) string {
	switch {
	case base == "":
		return name
	case name == "":
		return base
	case name[0] == '[':
		return base + name
	}
	return base + "." + name
}

// indexPath appends an array index to a JSON path.
func indexPath(base string, i int) string {
	return base + "[" + strconv.Itoa(i) + "]"
}

// pointerToPath converts an RFC 6901 JSON pointer to the dotted path form
// used in messages. Tokens made only of digits are shown as array indexes.
func pointerToPath(p string) string {
	var path string
	for tok := range jsontext.Pointer(p).Tokens() {
		if tok != "" && strings.Trim(tok, "0123456789") == "" {
			path += "[" + tok + "]"
		} else {
			path = joinPath(path, tok)
		}
	}
	return path
}
