// Package markingtest is an independent reference model of Tearline's
// marking rules, and random generators of marking definitions, recipient
// profiles and marked STIX objects, for randomized tests of every path an
// object leaves the server by.
//
// The model is the rules of package marking's documentation written out
// plainly over generic JSON (map[string]any); it shares no code with package
// marking, so that a test comparing the two finds a mistake in either.
package markingtest

import (
	"slices"
	"strings"
)

// Levels are the default classification levels, lowest first.
var Levels = []string{"UNCLASSIFIED", "CUI", "CONFIDENTIAL", "SECRET", "TOP SECRET"}

// TLP levels, least restrictive first; 0 is no TLP.
const (
	NoTLP = iota
	Clear
	Green
	Amber
	AmberStrict
	Red
)

// TearlineExtension is the extension-definition id of Tearline's
// structured markings.
const TearlineExtension = "extension-definition--e4443871-90e5-517c-afa6-10e0687c60a7"

// Def is the model of one marking definition.
type Def struct {
	ID    string
	TLP   int      // NoTLP, or Clear ... Red
	Class int      // -1 none, else an index into Levels
	RelTo []string // countries (alpha-2 or alpha-3) and communities
	ORCON bool
}

// TLPDefs are the nine standard TLP 1.0 and 2.0 marking definitions.
var TLPDefs = []Def{
	{ID: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", TLP: Clear, Class: -1},
	{ID: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", TLP: Green, Class: -1},
	{ID: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", TLP: Amber, Class: -1},
	{ID: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", TLP: Red, Class: -1},
	{ID: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", TLP: Clear, Class: -1},
	{ID: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", TLP: Green, Class: -1},
	{ID: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", TLP: Amber, Class: -1},
	{ID: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", TLP: AmberStrict, Class: -1},
	{ID: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", TLP: Red, Class: -1},
}

// Reader is who an object goes to: the organization's profile and its
// relation to the path it reads through (see marking.Recipient).
type Reader struct {
	OrgID       string // "" for anonymous
	Country     string
	Communities []string
	Clearance   string // "" for none

	Member, Peer, CollectionReader, ClientOf, AnonymousRead bool
	Ceiling                                                 int // for peers
}

// alpha2 maps the alpha-3 codes the generators use to alpha-2.
var alpha2 = map[string]string{"USA": "US", "GBR": "GB", "CAN": "CA", "FRA": "FR", "DEU": "DE", "AUS": "AU", "NZL": "NZ", "JPN": "JP"}

func country(c string) string {
	c = strings.ToUpper(c)
	if a, ok := alpha2[c]; ok {
		return a
	}
	return c
}

// rank is the highest TLP level the reader receives without being named.
func (r Reader) rank() int {
	rank := Clear
	switch {
	case r.OrgID == "":
		rank = NoTLP
		if r.AnonymousRead {
			rank = Clear
		}
	case r.CollectionReader:
		rank = AmberStrict
	case r.ClientOf:
		rank = Amber
	case r.Member || r.Peer:
		rank = Green
	}
	if r.Peer && rank > r.Ceiling {
		rank = r.Ceiling
	}
	return rank
}

// ClearanceLevel returns the index of the reader's clearance in Levels (0
// for none).
func (r Reader) ClearanceLevel() int {
	return max(0, slices.Index(Levels, strings.ToUpper(r.Clearance)))
}

// Pass reports whether reader r passes marking d on an object created by
// creator (its created_by_ref) with distribution list dist.
func Pass(d Def, r Reader, creator string, dist []string) bool {
	if r.OrgID != "" && r.OrgID == creator {
		return true
	}
	rank := r.rank()
	named := r.OrgID != "" && slices.Contains(dist, r.OrgID)
	tlpOK := func(l int) bool { return l <= rank || named && !(r.Peer && l > r.Ceiling) }
	if d.TLP > 0 && !tlpOK(d.TLP) {
		return false
	}
	if d.ORCON && (!tlpOK(AmberStrict) || r.Peer) {
		return false
	}
	if d.Class >= 0 && r.ClearanceLevel() < d.Class {
		return false
	}
	if len(d.RelTo) > 0 {
		ok := false
		for _, a := range d.RelTo {
			if country(a) == country(r.Country) && r.Country != "" || slices.Contains(r.Communities, a) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// required lists the properties each generated type requires (STIX 2.1),
// beyond the common ones no generated marking selects.
var required = map[string][]string{
	"indicator": {"pattern", "pattern_type", "valid_from"},
	"malware":   {"is_family"},
	"report":    {"name", "published", "object_refs"},
	"note":      {"content", "object_refs"},
}

// Model decides as the rules say, over generic JSON.
type Model struct {
	// Defs are the marking definitions known, by id.
	Defs map[string]Def
}

// NewModel returns a model knowing the TLP definitions and defs.
func NewModel(defs ...Def) *Model {
	m := &Model{Defs: map[string]Def{}}
	for _, d := range append(slices.Clone(TLPDefs), defs...) {
		m.Defs[d.ID] = d
	}
	return m
}

// Accept reports whether an object submitted by organization submitter
// ("" for the operator) with the given clearance is accepted: its markings
// are known, its object markings hold at most one TLP level and one
// classification, nothing in it is classified above the clearance, and when
// any marking is originator controlled the object names its originator in
// created_by_ref and the submitter (unless the operator) is that originator.
func (m *Model) Accept(submitter, clearance string, obj map[string]any) bool {
	cl := Reader{Clearance: clearance}.ClearanceLevel()
	creator, _ := obj["created_by_ref"].(string)
	orconOK := func(d Def) bool {
		return !d.ORCON || (creator != "" && (submitter == "" || submitter == creator))
	}
	tlp, class := -1, -1
	for _, id := range Strings(obj["object_marking_refs"]) {
		d, ok := m.Defs[id]
		if !ok || !orconOK(d) {
			return false
		}
		if d.TLP > 0 {
			if tlp >= 0 && tlp != d.TLP {
				return false
			}
			tlp = d.TLP
		}
		if d.Class >= 0 {
			if class >= 0 && class != d.Class {
				return false
			}
			class = d.Class
		}
		if d.Class > cl {
			return false
		}
	}
	for _, e := range Maps(obj["granular_markings"]) {
		if ref, ok := e["marking_ref"].(string); ok {
			d, known := m.Defs[ref]
			if !known || d.Class > cl || !orconOK(d) {
				return false
			}
		}
	}
	return true
}

// Outcome is what the model says a reader gets of an object.
type Outcome struct {
	Withheld bool
	// Whole: the object goes byte for byte as stored.
	Whole bool
	// Copy is the redacted copy, granular_markings included, when neither
	// Withheld nor Whole.
	Copy map[string]any
	// Touched are the top-level properties redaction changed or removed
	// (granular_markings aside); every other property keeps its bytes.
	Touched map[string]bool
	// Why says why the object is withheld.
	Why string
}

// Decide is the model's access decision for reader r and object obj.
func (m *Model) Decide(r Reader, obj map[string]any) Outcome {
	creator, _ := obj["created_by_ref"].(string)
	dist := Strings(obj["x_tearline_distribution"])
	if r.OrgID != "" && r.OrgID == creator {
		return Outcome{Whole: true}
	}
	hasTLP := false
	for _, id := range Strings(obj["object_marking_refs"]) {
		d, ok := m.Defs[id]
		if !ok {
			return Outcome{Withheld: true, Why: "unknown marking " + id}
		}
		hasTLP = hasTLP || d.TLP > 0
		if !Pass(d, r, creator, dist) {
			return Outcome{Withheld: true, Why: "object marking " + id}
		}
	}
	if !hasTLP {
		level := AmberStrict
		if t := obj["type"]; t == "marking-definition" || t == "extension-definition" {
			level = Clear
		}
		if !Pass(Def{TLP: level, Class: -1}, r, creator, dist) {
			return Outcome{Withheld: true, Why: "unmarked"}
		}
	}
	entries := Maps(obj["granular_markings"])
	failing := make([]bool, len(entries))
	removed := map[string]bool{}
	touched := map[string]bool{}
	for i, e := range entries {
		ref, ok := e["marking_ref"].(string)
		if !ok {
			continue
		}
		d, known := m.Defs[ref]
		if !known {
			return Outcome{Withheld: true, Why: "unknown granular marking " + ref}
		}
		if Pass(d, r, creator, dist) {
			continue
		}
		failing[i] = true
		for _, s := range Strings(e["selectors"]) {
			removed[s] = true
			touched[strings.SplitN(s, ".", 2)[0]] = true
		}
	}
	if len(removed) == 0 {
		return Outcome{Whole: true}
	}
	p := pruner{removed: removed, gone: map[string]bool{}, index: map[string]int{}}
	body := map[string]any{}
	for k, v := range obj {
		if k == "granular_markings" {
			continue
		}
		if nv, keep := p.prune(v, k); keep {
			body[k] = nv
		}
	}
	typ, _ := obj["type"].(string)
	for _, name := range required[typ] {
		if _, ok := body[name]; !ok {
			return Outcome{Withheld: true, Why: "required property " + name + " removed"}
		}
	}
	if typ == "malware" && body["is_family"] == true && body["name"] == nil {
		return Outcome{Withheld: true, Why: "a malware family without a name is not valid STIX"}
	}
	for _, ref := range Maps(body["external_references"]) {
		// STIX 2.1 section 2.5: besides source_name, one of description,
		// url or external_id.
		if ref["description"] == nil && ref["url"] == nil && ref["external_id"] == nil {
			return Outcome{Withheld: true, Why: "an external reference left with only its source_name is not valid STIX"}
		}
	}
	var gm []any
	for i, e := range entries {
		if failing[i] {
			continue
		}
		var sels []any
		for _, s := range Strings(e["selectors"]) {
			if ns, ok := p.renumber(s); ok {
				sels = append(sels, ns)
			}
		}
		if len(sels) == 0 {
			continue
		}
		ne := map[string]any{}
		for k, v := range e {
			ne[k] = v
		}
		ne["selectors"] = sels
		gm = append(gm, ne)
	}
	if len(gm) > 0 {
		body["granular_markings"] = gm
	}
	return Outcome{Copy: body, Touched: touched}
}

// pruner removes selected parts and the containers they leave empty,
// remembering what went and where list items moved.
type pruner struct {
	removed map[string]bool
	gone    map[string]bool // selector paths removed or pruned
	index   map[string]int  // list item path -> its new index
}

func (p *pruner) prune(v any, path string) (any, bool) {
	if p.removed[path] {
		p.gone[path] = true
		return nil, false
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if ne, keep := p.prune(e, path+"."+k); keep {
				out[k] = ne
			}
		}
		if len(x) > 0 && len(out) == 0 {
			p.gone[path] = true
			return nil, false
		}
		return out, true
	case []any:
		var out []any
		for i, e := range x {
			ip := path + ".[" + itoa(i) + "]"
			if ne, keep := p.prune(e, ip); keep {
				p.index[ip] = len(out)
				out = append(out, ne)
			}
		}
		if len(x) > 0 && len(out) == 0 {
			p.gone[path] = true
			return nil, false
		}
		return out, true
	}
	return v, true
}

// renumber returns selector s as it reads in the copy, or false when what
// it selected is gone.
func (p *pruner) renumber(s string) (string, bool) {
	parts := strings.Split(s, ".")
	prefix := ""
	out := make([]string, len(parts))
	for i, part := range parts {
		if i > 0 {
			prefix += "."
		}
		prefix += part
		if p.gone[prefix] {
			return "", false
		}
		out[i] = part
		if strings.HasPrefix(part, "[") {
			out[i] = "[" + itoa(p.index[prefix]) + "]"
		}
	}
	return strings.Join(out, "."), true
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// Strings returns the strings of a generic JSON list.
func Strings(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Maps returns the objects of a generic JSON list.
func Maps(v any) []map[string]any {
	var out []map[string]any
	l, _ := v.([]any)
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
