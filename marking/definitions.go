package marking

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

// TearlineExtension is the extension-definition id of the Tearline marking
// extension: a property extension of marking-definition objects whose value
// holds "classification" (a level name), "rel_to" (country codes, alpha-2 or
// alpha-3, and community names) and "orcon" (originator controlled). The
// UUID is the version 5 UUID of the URL
// "https://github.com/tearline/tearline/marking#extension" in the URL
// namespace; TestTearlineExtensionID recomputes it.
const TearlineExtension = "extension-definition--e4443871-90e5-517c-afa6-10e0687c60a7"

// ACSExtension is the extension-definition id of the ACS 3.0 marking
// extension (DHS/CISA Access Control Specification, used by AIS 2.0), as
// produced by the OASIS stix2-elevator and read by MISP.
const ACSExtension = "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce"

// acsLevels maps ACS 3.0 control_set classification tokens to level names.
var acsLevels = map[string]string{"U": "UNCLASSIFIED", "C": "CONFIDENTIAL", "S": "SECRET", "TS": "TOP SECRET"}

// Definition is what one marking-definition object means to the decision.
// A definition may combine several of these (say TLP and a statement).
type Definition struct {
	ID   string
	Name string
	// TLP is the definition's TLP level; NoTLP when it is not a TLP marking.
	TLP TLP
	// Statement is the text of a statement marking; statements never
	// restrict.
	Statement string
	// Classification is the level name (upper case) the marking requires;
	// "" when it does not classify.
	Classification string
	// RelTo lists the audiences the content is releasable to: alpha-2
	// country codes and community names (upper case). A recipient passes
	// when its country or one of its communities is listed. Empty means no
	// releasability restriction.
	RelTo []string
	// ORCON marks originator-controlled content.
	ORCON bool
	// ACS holds the ACS 3.0 marking when the definition carries one.
	ACS *ACS
	// Unknown is set when the definition uses a marking scheme this server
	// does not understand (another definition_type or extension); content
	// marked by it is withheld and refused at ingest.
	Unknown string

	digest [32]byte
}

// ACS is the part of an ACS 3.0 marking the decision reads. The enforced
// parts are folded into the Definition (Classification) or checked from here
// (Nationalities, Organizations, Anonymous); the rest is carried for callers.
type ACS struct {
	Classification string // control_set.classification token: U, C, S, TS
	// Nationalities (control_set.permitted_nationalities, alpha-2 after
	// mapping, or "ALL") and Organizations (control_set
	// .permitted_organizations, e.g. "USA.DHS", or "ALL") restrict who may
	// see the content; empty means unrestricted.
	Nationalities []string
	Organizations []string
	// Anonymous is true when an access_privilege entry permits
	// ANONYMOUSACCESS; otherwise anonymous readers are refused.
	Anonymous bool
	// FurtherSharing restricts peers and clients of readers (see
	// FurtherSharing).
	FurtherSharing []FurtherSharing
	// Carried only, not enforced:
	FormalDetermination []string // control_set.formal_determination, e.g. FOUO, AIS, PUBREL
	Caveats             []string // control_set.caveat
	Sensitivity         []string // control_set.sensitivity
	Shareability        []string // control_set.shareability
	Originator          string   // responsible_entity_originator
	Custodian           string   // responsible_entity_custodian
	PolicyReference     string
}

// FurtherSharing is one ACS further_sharing rule: with whom content may be
// shared onward. The server enforces it where it shares onward itself (to
// peers, and to clients of readers); what readers do afterwards is their
// obligation.
type FurtherSharing struct {
	Scope  []string
	Effect string // "permit" or "deny"
}

// Definitions holds the marking definitions known to the server, by id. The
// nine standard TLP definitions are always known. It is safe for concurrent
// use; lookups take no lock.
type Definitions struct {
	mu sync.Mutex // serializes Add
	m  atomic.Pointer[map[string]*Definition]
}

// NewDefinitions returns a set holding only the standard TLP definitions.
func NewDefinitions() *Definitions {
	d := &Definitions{}
	m := make(map[string]*Definition, len(standardTLP))
	for id, t := range standardTLP {
		m[id] = &Definition{ID: id, Name: t.String(), TLP: t}
	}
	d.m.Store(&m)
	return d
}

// Lookup returns the definition with id, or nil.
func (d *Definitions) Lookup(id string) *Definition {
	return (*d.m.Load())[id]
}

// lookupBytes is Lookup without converting id to a string.
func (d *Definitions) lookupBytes(id []byte) *Definition {
	return (*d.m.Load())[string(id)]
}

// Add validates a marking-definition object (its JSON as stored) and makes
// it known. Adding the same definition again is a no-op. Errors are
// *tearline.Error: EINVALID when raw is not a valid marking definition or
// uses a scheme that cannot be read (malformed Tearline or ACS extension),
// ECONFLICT when a different definition with the same id is known (marking
// definitions are immutable).
func (d *Definitions) Add(raw []byte) error {
	def, err := ParseDefinition(raw)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old := *d.m.Load()
	if prev := old[def.ID]; prev != nil {
		if _, std := standardTLP[def.ID]; std || prev.digest == def.digest {
			return nil
		}
		return tearline.Errorf(tearline.ECONFLICT, "marking definition %s is already defined differently; marking definitions cannot be modified", def.ID)
	}
	m := make(map[string]*Definition, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[def.ID] = def
	d.m.Store(&m)
	return nil
}

// ParseDefinition validates a marking-definition object and returns its
// meaning. Errors are *tearline.Error with code EINVALID.
func ParseDefinition(raw []byte) (*Definition, error) {
	obj, issues := stix.ValidateObject(raw, "")
	if obj == nil {
		msg := "invalid marking definition"
		if errs := issues.Errors(); len(errs) > 0 {
			msg += ": " + errs[0].String()
		}
		return nil, tearline.Errorf(tearline.EINVALID, "%s", msg)
	}
	if obj.Type != "marking-definition" {
		return nil, tearline.Errorf(tearline.EINVALID, "%s is not a marking-definition", obj.ID)
	}
	v, err := stix.ParseValue(raw)
	if err != nil {
		return nil, tearline.Errorf(tearline.EINVALID, "marking definition: %v", err)
	}
	def := &Definition{ID: obj.ID, Name: v.GetString("name"), digest: obj.Digest}
	if t, ok := standardTLP[def.ID]; ok {
		def.TLP = t
		def.Name = t.String()
		return def, nil
	}
	bad := func(format string, args ...any) (*Definition, error) {
		return nil, tearline.Errorf(tearline.EINVALID, "marking definition %s: "+format, append([]any{def.ID}, args...)...)
	}
	switch dt := v.GetString("definition_type"); dt {
	case "":
	case "statement":
		def.Statement = v.Get("definition").GetString("statement")
	default:
		// "tlp" outside the standard ids is refused by validation.
		def.Unknown = "definition_type " + strconv.Quote(dt)
	}
	ext := v.Get("extensions")
	if ext == nil {
		return def, nil
	}
	for i := range ext.Members {
		m := &ext.Members[i]
		switch m.Name {
		case TLP2Extension:
			t, ok := ParseTLP(m.Value.GetString("tlp_2_0"))
			if !ok {
				return bad("tlp_2_0 %s is not a TLP 2.0 level", strconv.Quote(m.Value.GetString("tlp_2_0")))
			}
			def.TLP = t
		case TearlineExtension:
			if err := parseTearline(def, &m.Value); err != nil {
				return bad("%s", err)
			}
		case ACSExtension:
			if err := parseACS(def, &m.Value); err != nil {
				return bad("%s", err)
			}
		default:
			def.Unknown = "extension " + strconv.Quote(m.Name)
		}
	}
	return def, nil
}

type defError string

func (e defError) Error() string { return string(e) }

// parseTearline reads the Tearline marking extension.
func parseTearline(def *Definition, v *stix.Value) error {
	for i := range v.Members {
		m := &v.Members[i]
		switch m.Name {
		case "extension_type":
		case "classification":
			if m.Value.Kind != stix.String || strings.TrimSpace(m.Value.Str) == "" {
				return defError("classification must be a non-empty level name")
			}
			def.Classification = normLevel(m.Value.Str)
		case "rel_to":
			list, ok := stringList(&m.Value)
			if !ok || len(list) == 0 {
				return defError("rel_to must be a non-empty list of country codes and community names")
			}
			for _, s := range list {
				a := canonicalAudience(s)
				if a == "" {
					return defError("rel_to holds an empty entry")
				}
				if !slices.Contains(def.RelTo, a) {
					def.RelTo = append(def.RelTo, a)
				}
			}
		case "orcon":
			if m.Value.Kind != stix.Bool {
				return defError("orcon must be true or false")
			}
			def.ORCON = m.Value.Bool
		default:
			return defError("the Tearline marking extension has no property " + strconv.Quote(m.Name))
		}
	}
	return nil
}

// parseACS reads the ACS 3.0 marking extension.
func parseACS(def *Definition, v *stix.Value) error {
	a := &ACS{
		Originator:      v.GetString("responsible_entity_originator"),
		Custodian:       v.GetString("responsible_entity_custodian"),
		PolicyReference: v.GetString("policy_reference"),
	}
	cs := v.Get("control_set")
	if cs == nil || cs.Kind != stix.Object {
		return defError("the ACS marking has no control_set")
	}
	a.Classification = strings.ToUpper(cs.GetString("classification"))
	level, ok := acsLevels[a.Classification]
	if !ok {
		return defError("ACS control_set.classification " + strconv.Quote(cs.GetString("classification")) + " is not one of U, C, S, TS")
	}
	def.Classification = level
	lists := []struct {
		name string
		dst  *[]string
	}{
		{"permitted_nationalities", &a.Nationalities},
		{"permitted_organizations", &a.Organizations},
		{"formal_determination", &a.FormalDetermination},
		{"caveat", &a.Caveats},
		{"sensitivity", &a.Sensitivity},
		{"shareability", &a.Shareability},
	}
	for _, l := range lists {
		x := cs.Get(l.name)
		if x == nil {
			continue
		}
		list, ok := stringList(x)
		if !ok {
			return defError("ACS control_set." + l.name + " must be a list of strings")
		}
		*l.dst = list
	}
	for i, n := range a.Nationalities {
		if strings.EqualFold(n, "ALL") {
			a.Nationalities = []string{"ALL"}
			break
		}
		c, ok := CanonicalCountry(n)
		if !ok {
			return defError("ACS permitted_nationalities entry " + strconv.Quote(n) + " is not an ISO 3166 country code")
		}
		a.Nationalities[i] = c
	}
	for i, o := range a.Organizations {
		a.Organizations[i] = strings.ToUpper(o)
		if a.Organizations[i] == "ALL" {
			a.Organizations = []string{"ALL"}
			break
		}
	}
	if ap := v.Get("access_privilege"); ap != nil && ap.Kind == stix.Array {
		for i := range ap.Elems {
			e := &ap.Elems[i]
			if strings.EqualFold(e.GetString("privilege_action"), "ANONYMOUSACCESS") && strings.EqualFold(e.GetString("rule_effect"), "permit") {
				a.Anonymous = true
			}
		}
	}
	if fs := v.Get("further_sharing"); fs != nil && fs.Kind == stix.Array {
		for i := range fs.Elems {
			scope, _ := stringList(fs.Elems[i].Get("sharing_scope"))
			a.FurtherSharing = append(a.FurtherSharing, FurtherSharing{Scope: scope, Effect: fs.Elems[i].GetString("rule_effect")})
		}
	}
	def.ACS = a
	return nil
}

func stringList(v *stix.Value) ([]string, bool) {
	if v == nil || v.Kind != stix.Array {
		return nil, false
	}
	out := make([]string, 0, len(v.Elems))
	for i := range v.Elems {
		if v.Elems[i].Kind != stix.String {
			return nil, false
		}
		out = append(out, v.Elems[i].Str)
	}
	return out, true
}

// normLevel is the canonical form of a classification level name: upper
// case, single spaces.
func normLevel(s string) string {
	return strings.Join(strings.Fields(strings.ToUpper(s)), " ")
}
